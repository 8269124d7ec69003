"""Outbox retention and backlog (app/store/outbox.py, app/notifier/retention.py), real Redis."""

from __future__ import annotations

import asyncio
import logging

import pytest
from redis.asyncio import Redis

from app.clock import FakeClock
from app.config import BeaconConfig
from app.domain.incidents import IncidentService
from app.domain.models import NewIncident
from app.notifier.retention import DeliveryThresholds, StreamRetention, assess
from app.ops.metrics import Metrics, bind, unbind
from app.store import Stores
from app.store.keys import Keys
from app.store.outbox import Backlog, GroupBacklog, OutboxStore
from app.store.scripts import source

KEYS = Keys("t")
STREAM = KEYS.events()


@pytest.fixture
def outbox(redis: Redis) -> OutboxStore:
    return OutboxStore(redis, KEYS, keep_acknowledged=0)


async def add(redis: Redis, n: int, *, start: int = 1, at: float | None = None) -> list[str]:
    """n entries with ids start-0, start+1-0, ...; `at` fields when given."""
    ids = []
    for i in range(start, start + n):
        fields = {"event_id": f"E#{i}"} | ({"at": str(at)} if at is not None else {})
        ids.append(await redis.xadd(STREAM, fields, id=f"{i}-0"))
    return ids


async def read(redis: Redis, group: str, count: int) -> list[str]:
    reply = await redis.xreadgroup(group, "c1", {STREAM: ">"}, count=count)
    return [sid for _, entries in reply or [] for sid, _ in entries]


async def ids(redis: Redis) -> list[str]:
    return [sid for sid, _ in await redis.xrange(STREAM)]


def ints(raw: list[str]) -> list[int]:
    return [int(i.split("-")[0]) for i in raw]


async def test_trims_only_acknowledged_entries_below_the_oldest_pending(redis, outbox):
    await add(redis, 10)
    await redis.xgroup_create(STREAM, "g", id="0")
    read_ids = await read(redis, "g", 6)  # 1..6 delivered, 7..10 not
    await redis.xack(STREAM, "g", *[read_ids[i] for i in (0, 1, 2, 4)])  # 4 and 6 pending

    assert await outbox.trim_acknowledged() == 3
    # 5 is acknowledged but above the oldest pending (4): it stays until 4 is done
    assert ints(await ids(redis)) == [4, 5, 6, 7, 8, 9, 10]
    assert await outbox.trim_acknowledged() == 0

    await redis.xack(STREAM, "g", "4-0")
    assert await outbox.trim_acknowledged() == 2
    assert ints(await ids(redis)) == [6, 7, 8, 9, 10]

    await redis.xack(STREAM, "g", "6-0")
    assert await outbox.trim_acknowledged() == 1
    assert ints(await ids(redis)) == [7, 8, 9, 10]  # never read: never trimmed
    assert await outbox.trim_acknowledged() == 0
    # the group still gets every entry it has not read, and its pending list is intact
    assert ints(await read(redis, "g", 100)) == [7, 8, 9, 10]


async def test_pending_entries_survive_and_can_be_reclaimed(redis, outbox):
    await add(redis, 5)
    await redis.xgroup_create(STREAM, "g", id="0")
    await read(redis, "g", 5)  # all delivered, none acknowledged (the consumer died)
    assert await outbox.trim_acknowledged() == 0
    _, claimed, _ = await redis.xautoclaim(STREAM, "g", "c2", min_idle_time=0)
    assert [fields["event_id"] for _, fields in claimed] == [f"E#{i}" for i in range(1, 6)]


async def test_the_slowest_group_decides(redis, outbox):
    await add(redis, 10)
    await redis.xgroup_create(STREAM, "fast", id="0")
    await redis.xgroup_create(STREAM, "slow", id="0")
    await redis.xack(STREAM, "fast", *await read(redis, "fast", 10))
    slow = await read(redis, "slow", 4)
    await redis.xack(STREAM, "slow", *slow[:2])  # slow: 1,2 acked, 3,4 pending, 5.. unread

    assert await outbox.trim_acknowledged() == 2
    assert ints(await ids(redis)) == list(range(3, 11))

    await redis.xack(STREAM, "slow", *slow[2:])
    assert await outbox.trim_acknowledged() == 2  # 3, 4; 5.. never read by slow
    assert ints(await ids(redis)) == list(range(5, 11))


async def test_a_group_that_never_read_keeps_everything(redis, outbox):
    await add(redis, 10)
    await redis.xgroup_create(STREAM, "fast", id="0")
    await redis.xgroup_create(STREAM, "idle", id="0")
    await redis.xack(STREAM, "fast", *await read(redis, "fast", 10))
    assert await outbox.trim_acknowledged() == 0
    assert len(await ids(redis)) == 10


async def test_no_group_no_trim(redis, outbox):
    assert await outbox.trim_acknowledged() == 0  # no stream at all
    await add(redis, 5)
    assert await outbox.trim_acknowledged() == 0
    assert len(await ids(redis)) == 5


async def test_keeps_the_newest_acknowledged_entries(redis):
    outbox = OutboxStore(redis, KEYS, keep_acknowledged=3)
    await add(redis, 10)
    await redis.xgroup_create(STREAM, "g", id="0")
    got = await read(redis, "g", 6)
    await redis.xack(STREAM, "g", *got[:5])  # 1..5 acked, 6 pending, 7..10 unread
    assert await outbox.trim_acknowledged() == 2  # keeps 3, 4, 5
    assert ints(await ids(redis)) == list(range(3, 11))
    assert await outbox.trim_acknowledged() == 0

    await redis.xack(STREAM, "g", got[5])
    await redis.xack(STREAM, "g", *await read(redis, "g", 10))
    assert await outbox.trim_acknowledged() == 5
    assert ints(await ids(redis)) == [8, 9, 10]  # all acknowledged, the newest 3 kept


async def test_transitions_no_longer_cap_the_stream():
    assert "'MAXLEN'" not in source("declare") and "'MINID'" not in source("declare")
    assert "redis.call('XADD', stream_key, '*'," in source("declare")


async def test_a_stopped_notifier_loses_nothing(
    redis: Redis, config: BeaconConfig, clock: FakeClock, caplog: pytest.LogCaptureFixture
):
    stores = Stores(redis, KEYS)
    store = stores.outbox
    await store.ensure_group("notifier")  # what the notifier does at start; then it stops
    incidents = IncidentService(stores.incidents, config, clock)
    for i in range(20):
        await incidents.declare(NewIncident(title=f"Disk {i} full", severity="P3", reporter="U1"))
    retention = StreamRetention(
        OutboxStore(redis, KEYS, keep_acknowledged=0),
        clock,
        DeliveryThresholds(max_lag=1000, max_age_s=120, max_backlog=5),
    )
    metrics = Metrics()
    token = bind(metrics)
    try:
        with caplog.at_level(logging.INFO, logger="beacon.outbox"):
            for _ in range(3):
                backlog = await retention.run_once()
                assert backlog.length == 20 and backlog.lag == 20
    finally:
        unbind(token)
    assert retention.trimmed == 0
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1, "one loud line, not one per pass"
    assert "20 events" in errors[0].getMessage() and "Slack" in errors[0].getMessage()
    assert retention.status() == (
        "degraded",
        ["outbox backlog 20 unacknowledged events (max 5)"],
    )
    sample = metrics.registry.get_sample_value
    assert sample("beacon_outbox_stream_length") == 20
    assert sample("beacon_outbox_lag") == 20
    assert sample("beacon_outbox_pending") == 0

    # the notifier comes back: every event is there, in order
    events = await store.read_events("notifier", "c1", 100, 0)
    assert [e.event_id for e in events] == [f"INC-{i}#1" for i in range(1, 21)]
    for event in events:
        await store.ack_event("notifier", event.stream_id)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="beacon.outbox"):
        backlog = await retention.run_once()
    assert retention.trimmed == 20 and backlog.length == 0
    assert retention.status() == ("ok", [])
    assert [r.levelno for r in caplog.records] == [logging.WARNING]  # back under, once


async def test_backlog_numbers(redis: Redis, outbox: OutboxStore, clock: FakeClock):
    t = clock.now()
    assert await outbox.backlog(t) == Backlog(length=0)
    for i, age in enumerate((300, 200, 100, 50, 10), start=1):
        await redis.xadd(STREAM, {"at": str(t - age)}, id=f"{i}-0")
    await redis.xgroup_create(STREAM, "notifier", id="0")
    assert (await outbox.backlog(t)).group("notifier").lag == 5
    got = await read(redis, "notifier", 3)
    await redis.xack(STREAM, "notifier", got[0])

    backlog = await outbox.backlog(t)
    g = backlog.group("notifier")
    assert backlog.length == 5
    assert (g.lag, g.lag_exact, g.pending, g.unacknowledged) == (2, True, 2, 4)
    assert (g.oldest_pending_id, g.oldest_pending_age_s) == ("2-0", 200)
    assert (g.oldest_undelivered_id, g.oldest_undelivered_age_s) == ("4-0", 50)
    assert g.last_delivered_id == "3-0"

    await clock.advance(30)
    backlog = await outbox.backlog(clock.now())
    assert (backlog.oldest_pending_age_s, backlog.oldest_undelivered_age_s) == (230, 80)
    assert (backlog.lag, backlog.pending, backlog.unacknowledged) == (2, 2, 4)

    await redis.xack(STREAM, "notifier", *await read(redis, "notifier", 10), *got[1:])
    g = (await outbox.backlog(clock.now())).group("notifier")
    assert (g.lag, g.pending, g.oldest_pending_age_s, g.oldest_undelivered_age_s) == (
        0,
        0,
        None,
        None,
    )


async def test_backlog_worst_group_and_fallbacks(redis: Redis, outbox: OutboxStore, clock):
    t = clock.now()
    # no `at`: the age comes from the id's milliseconds
    await redis.xadd(STREAM, {"x": "1"}, id=f"{int((t - 60) * 1000)}-0")
    await redis.xadd(STREAM, {"at": str(t - 5)}, id=f"{int((t - 50) * 1000)}-0")
    await redis.xadd(STREAM, {"at": str(t - 1)}, id=f"{int((t - 40) * 1000)}-0")
    await redis.xgroup_create(STREAM, "a", id="0")
    await redis.xgroup_create(STREAM, "b", id="0")
    await redis.xack(STREAM, "a", *await read(redis, "a", 10))
    backlog = await outbox.backlog(t)
    assert backlog.group("a").lag == 0 and backlog.group("a").oldest_undelivered_age_s is None
    assert backlog.group("b").oldest_undelivered_age_s == pytest.approx(60)
    assert backlog.lag == 3 and backlog.oldest_undelivered_age_s == pytest.approx(60)

    # XDEL leaves Redis unable to tell b's lag: counted instead
    await redis.xdel(STREAM, f"{int((t - 40) * 1000)}-0")
    groups = {g["name"]: g for g in await redis.xinfo_groups(STREAM)}
    assert groups["b"]["lag"] is None
    g = (await outbox.backlog(t)).group("b")
    assert (g.lag, g.lag_exact) == (2, True)


def group(**kw) -> GroupBacklog:
    base = dict(
        name="notifier",
        last_delivered_id="0-0",
        lag=0,
        lag_exact=True,
        pending=0,
        oldest_pending_id=None,
        oldest_pending_age_s=None,
        oldest_undelivered_id=None,
        oldest_undelivered_age_s=None,
    )
    return GroupBacklog(**(base | kw))


def test_assess_thresholds():
    limits = DeliveryThresholds(max_lag=1000, max_age_s=120, max_backlog=2000)
    assert assess(Backlog(length=0), limits) == ("ok", [])
    assert assess(Backlog(5, (group(lag=1000, oldest_undelivered_age_s=120),)), limits) == (
        "ok",
        [],
    )
    state, reasons = assess(Backlog(1600, (group(lag=1500, oldest_undelivered_age_s=300),)), limits)
    assert state == "degraded"
    assert reasons == [
        "outbox lag 1500 events (max 1000)",
        "oldest undelivered event 300 s old (max 120 s)",
    ]
    assert assess(Backlog(3, (group(pending=3, oldest_pending_age_s=121.4),)), limits) == (
        "degraded",
        ["oldest unacknowledged event 121 s old (max 120 s)"],
    )
    state, reasons = assess(
        Backlog(3000, (group(lag=900, pending=1200), group(name="other"))), limits
    )
    assert reasons == ["outbox backlog 2100 unacknowledged events (max 2000)"]
    # the worst group decides
    backlog = Backlog(9, (group(), group(name="slow", lag=1001)))
    assert assess(backlog, limits) == ("degraded", ["outbox lag 1001 events (max 1000)"])


async def test_run_passes_on_the_clock_and_stops(redis: Redis, outbox: OutboxStore, clock):
    retention = StreamRetention(outbox, clock, interval_s=30)
    stop = asyncio.Event()
    task = asyncio.create_task(retention.run(stop))

    async def passes(n: int) -> None:
        async with asyncio.timeout(5):
            while retention.passes < n:  # noqa: ASYNC110 - a counter, polled
                await asyncio.sleep(0.01)

    await passes(1)
    await asyncio.sleep(0.2)  # FakeClock.sleep returns in 50 ms: no pass until time moves
    assert retention.passes == 1
    await clock.advance(31)
    await passes(2)
    stop.set()
    async with asyncio.timeout(2):
        await task
    assert retention.passes == 2


async def test_a_failed_pass_is_counted_and_the_loop_goes_on(redis: Redis, clock):
    class Broken(OutboxStore):
        async def trim_acknowledged(self) -> int:
            raise ConnectionError("redis went away")

    metrics = Metrics()
    token = bind(metrics)
    try:
        retention = StreamRetention(Broken(redis, KEYS), clock, interval_s=30)
        stop = asyncio.Event()
        task = asyncio.create_task(retention.run(stop))
        await asyncio.sleep(0.1)
        await clock.advance(31)
        sample = metrics.registry.get_sample_value
        errors = {"worker": "retention"}
        async with asyncio.timeout(5):
            while sample("beacon_worker_errors_total", errors) != 2:  # noqa: ASYNC110
                await asyncio.sleep(0.01)
        stop.set()
        await task
    finally:
        unbind(token)
    assert retention.status() == ("ok", []) and retention.passes == 0
