"""The indexes and totals the transition scripts keep, against a real redis-server: exact
counts, stable pages, the start-up migration."""

from __future__ import annotations

import asyncio
import random

import pytest
from redis.asyncio import Redis

from app.clock import FakeClock
from app.config import BeaconConfig
from app.domain.digest import compute
from app.domain.errors import InvalidInput
from app.domain.incidents import IncidentService
from app.domain.listing import IncidentState, OpenCounts
from app.domain.models import Incident, NewIncident, Status
from app.domain.oncall_service import OnCallService
from app.domain.status import StatusService
from app.store import Stores
from app.store.keys import Keys
from views.oncall import status_text

SEVERITIES = ["P1", "P2", "P3", "P4"]


@pytest.fixture
def stores(redis: Redis) -> Stores:
    return Stores(redis, Keys("t"))


@pytest.fixture
def service(stores: Stores, config: BeaconConfig, clock: FakeClock) -> IncidentService:
    return IncidentService(stores.incidents, config, clock)


async def declare_many(stores: Stores, n: int, now: float, **kw: str) -> list[str]:
    async def one(i: int) -> str:
        new = NewIncident(title=f"i{i}", severity=SEVERITIES[i % 4], reporter="UALICE",
                          service=kw.get("service", ["payments", "search", None][i % 3]))
        incident_id, _ = await stores.incidents.declare(new, now)
        return incident_id

    ids: list[str] = []
    for start in range(0, n, 100):
        ids += await asyncio.gather(*(one(i) for i in range(start, min(n, start + 100))))
    return ids


async def every_incident(stores: Stores) -> list[Incident]:
    last = int(await stores.incidents.redis.get(stores.keys.incident_seq()) or 0)
    return await stores.incidents.get_many([f"INC-{n}" for n in range(1, last + 1)])


def expected_totals(incidents: list[Incident]) -> dict[int, dict[str, float]]:
    out: dict[int, dict[str, float]] = {}
    for i in incidents:
        b = out.setdefault(int(i.created_at // 900), {})
        for name, by in [("declared", 1), ("alerts", max(1, i.fired_count)),
                         (f"sev:{i.severity}", 1), (f"svc:{i.service or ''}", 1)]:
            b[name] = b.get(name, 0) + by
        if i.acknowledged_at:
            b["ack_n"] = b.get("ack_n", 0) + 1
            b["ack_sum"] = b.get("ack_sum", 0) + i.acknowledged_at - i.created_at
        if i.resolved_at:
            b["res_n"] = b.get("res_n", 0) + 1
            b["res_sum"] = b.get("res_sum", 0) + i.resolved_at - i.created_at
    return {k: {f: v for f, v in b.items() if v} for k, b in out.items()}


async def assert_indexes_agree(stores: Stores, *, totals: bool = True) -> None:
    """Every index and total equals what the incidents themselves say (the totals count
    what happened, so they still count incidents retention removed since)."""
    incidents = await every_incident(stores)
    store, k, r = stores.incidents, stores.keys, stores.incidents.redis
    open_ = [i for i in incidents if i.is_open]

    async def members(key: str) -> set[str]:
        return set(await r.zrange(key, 0, -1))

    assert await members(k.incidents_open()) == {i.id for i in open_}
    assert await members(k.incidents_all()) == {i.id for i in incidents}
    assert await members(k.incidents_acknowledged()) == {
        i.id for i in open_ if i.status is Status.ACKNOWLEDGED}
    assert await members(k.incidents_resolved()) == {
        i.id for i in incidents if i.status is Status.RESOLVED}
    for user in {i.assignee for i in incidents if i.assignee}:
        assert await members(k.incidents_open_assignee(user)) == {
            i.id for i in open_ if i.assignee == user}
    counts = await store.open_counts(SEVERITIES)
    services: dict[str, int] = {}
    for i in open_:
        services[i.service or ""] = services.get(i.service or "", 0) + 1
    assert counts == OpenCounts(
        total=len(open_),
        acknowledged=sum(i.status is Status.ACKNOWLEDGED for i in open_),
        by_severity={s: sum(i.severity == s for i in open_) for s in SEVERITIES},
        by_service=services,
    )
    if not totals:
        return
    want = expected_totals(incidents)
    got = dict(zip(want, await store.stats(list(want)), strict=True))
    for bucket, fields in want.items():
        assert {f: pytest.approx(v) for f, v in fields.items()} == {
            f: v for f, v in got[bucket].items() if v}, bucket


async def test_index_names_built_in_lua_are_the_keys_names(service, stores):
    new = NewIncident(title="t", severity="P3", reporter="UA", service="payments",
                      assignee="UBOB")
    incident = await service.declare(new)
    r, k = stores.incidents.redis, stores.keys
    assert await r.zscore(k.incidents_open_severity("P3"), incident.id) == incident.number
    assert await r.zscore(k.incidents_open_assignee("UBOB"), incident.id) == incident.number
    assert await r.zscore(k.incidents_all(), incident.id) == incident.number
    assert await r.hget(k.incidents_open_services(), "payments") == "1"
    assert await r.exists(k.stats(int(incident.created_at // 900)))
    assert 0 < await r.ttl(k.stats(int(incident.created_at // 900))) <= 3 * 86400


async def test_status_counts_1200_open_incidents(stores, service, config, clock, redis):
    await declare_many(stores, 1200, clock.now())
    oncall = OnCallService(config, clock, stores.oncall, None)  # type: ignore[arg-type]
    report = await StatusService(service, oncall, stores, lambda: None).report()
    text = status_text(report, config)
    assert "• Open incidents: 1200 (P1: 300 · P2: 300 · P3: 300 · P4: 300)" in text


async def test_pages_cover_every_incident_once_while_new_ones_arrive(stores, service, clock):
    first = set(await declare_many(stores, 1200, clock.now()))
    seen: list[str] = []
    cursor = None
    totals = []
    while True:
        page = await service.page(IncidentState.OPEN, 200, cursor)
        seen += [i.id for i in page.incidents]
        totals.append(page.total)
        await declare_many(stores, 7, clock.now())  # arrive between pages
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert len(seen) == len(set(seen)) == 1200 and set(seen) == first
    assert totals[0] == 1200 and totals[-1] == 1200 + 7 * (len(totals) - 1)
    numbers = [int(i.split("-")[1]) for i in seen]
    assert numbers == sorted(numbers, reverse=True)  # newest first
    with pytest.raises(InvalidInput):
        await service.page(IncidentState.RESOLVED, 10, cursor)  # another list's cursor
    with pytest.raises(InvalidInput):
        await service.page(IncidentState.OPEN, 201)


async def test_counts_stay_exact_across_transitions_and_redeliveries(stores, clock, config):
    from app.domain.incident_updates import IncidentUpdates

    service = IncidentService(stores.incidents, config, clock)
    updates = IncidentUpdates(service, stores.channels)
    ids = await declare_many(stores, 60, clock.now())
    rng = random.Random(7)
    store = stores.incidents
    for step in range(400):
        await clock.advance(rng.choice([1, 30, 600]))
        incident_id = rng.choice(ids)
        now = clock.now()
        match rng.randrange(6):
            case 0:
                await store.acknowledge(incident_id, rng.choice(["UA", "UB"]), now)
            case 1:
                await store.resolve(incident_id, "UA", "", now)
            case 2:
                incident = await store.get(incident_id)
                if incident is not None and incident.status is Status.RESOLVED:
                    await updates.reopen(incident_id, "UB")
            case 3:
                await store.set_severity(incident_id, "UA", rng.choice(SEVERITIES), now)
            case 4:
                await store.assign(incident_id, "UA", rng.choice(["UA", "UB", "UC"]), now)
            case 5:  # a redelivered click: the same transition twice in a row
                await store.acknowledge(incident_id, "UA", now)
                await store.acknowledge(incident_id, "UA", now)
                await store.resolve(incident_id, "UA", "", now)
                await store.resolve(incident_id, "UA", "", now)
        if step % 50 == 0:
            await assert_indexes_agree(stores)
    await assert_indexes_agree(stores)


async def test_digest_reads_the_totals(stores, clock):
    store = stores.incidents
    ids = await declare_many(stores, 6, clock.now(), service="payments")
    await clock.advance(120)
    await store.acknowledge(ids[0], "UA", clock.now())
    await clock.advance(480)
    await store.resolve(ids[0], "UA", "", clock.now())
    await clock.advance(86400 - 600)
    from app.domain.digest import window_buckets

    _, today, before = window_buckets(clock.now())
    totals = dict(zip(before + today, await store.stats(before + today), strict=True))
    counts = await store.open_counts(SEVERITIES)
    d = compute(now=clock.now(), totals=totals, open_now=counts.by_severity)
    assert d.today.incidents == 6 and d.today.alerts == 6
    assert d.today.mtta_s == 120 and d.today.mttr_s == 600
    assert d.today.by_service == {"payments": 6}
    assert d.open_now == {"P1": 1, "P2": 2, "P3": 1, "P4": 1}


async def test_migration_builds_the_indexes_once_and_again_the_same(stores, clock):
    store, k, r = stores.incidents, stores.keys, stores.incidents.redis
    ids = await declare_many(stores, 300, clock.now())
    for incident_id in ids[:100]:
        await store.acknowledge(incident_id, "UA", clock.now())
    for incident_id in ids[50:150]:
        await store.resolve(incident_id, "UA", "", clock.now())
    # data as an older Beacon left it: open and all scored by creation time, nothing else
    for key in [key async for key in r.scan_iter(match=k.index_prefix() + "incidents:*")]:
        if key not in (k.incidents_open(), k.incidents_all()):
            await r.delete(key)
    await r.delete(*[key async for key in r.scan_iter(match=k.stats("*"))])
    for key in (k.incidents_open(), k.incidents_all()):
        await r.zadd(key, {m: clock.now() for m in await r.zrange(key, 0, -1)})

    ran = await stores.migrations.run_pending(clock.now())
    assert ran == ["indexes-v1", "retention-index-v1"]
    await assert_indexes_agree(stores)
    dump = {key: await r.dump(key) async for key in r.scan_iter(match=k.index_prefix() + "*")
            if "migrations" not in key}
    assert await stores.migrations.run_pending(clock.now()) == []  # once
    await stores.migrations.build_indexes(clock.now())  # forced again: the same result
    again = {key: await r.dump(key) async for key in r.scan_iter(match=k.index_prefix() + "*")
             if "migrations" not in key}
    assert dump.keys() == again.keys()
    await assert_indexes_agree(stores)
