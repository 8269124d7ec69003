"""Incident retention on a real redis-server: what goes, what stays, what the archive shows,
and the keys that only matter while an incident is open."""

from __future__ import annotations

import pytest
from redis.asyncio import Redis

from app.clock import FakeClock
from app.config import BeaconConfig
from app.config.retention import RetentionConfig
from app.domain.errors import IncidentNotFound
from app.domain.incident_record import IncidentRecord
from app.domain.incident_updates import IncidentUpdates
from app.domain.incidents import IncidentService
from app.domain.models import NewIncident, Status
from app.domain.retention import IncidentRetention
from app.store import Stores
from app.store.keys import Keys
from tests.test_indexes import assert_indexes_agree

DAY = 86400


@pytest.fixture
def stores(redis: Redis) -> Stores:
    return Stores(redis, Keys("t"))


@pytest.fixture
def kept_config(config: BeaconConfig) -> BeaconConfig:
    retention = RetentionConfig(resolved_days=5, reopen_window_days=2)
    return config.model_copy(update={"retention": retention})


async def keys_of(redis: Redis, incident_id: str) -> set[str]:
    return {k async for k in redis.scan_iter(match=f"*:{incident_id}:*")}


async def test_retention_archives_and_removes_only_what_is_due(
    stores: Stores, kept_config: BeaconConfig, clock: FakeClock, redis: Redis
):
    service = IncidentService(stores.incidents, kept_config, clock)
    updates = IncidentUpdates(service, stores.channels)
    record = IncidentRecord(service, stores.record)
    ids = [(await service.declare(NewIncident(title=f"t{n}", severity="P2", reporter="UA"))).id
           for n in range(8)]
    await stores.messages.record_message(ids[0], "card", "C1", "1.0", card=True)
    await stores.outbox.mark_notified(ids[0], 1)
    await record.add_followup(ids[0], "UA", "write the retro")
    await service.add_note(ids[0], "UA", "a note for the archive")
    for incident_id in ids[:4]:
        await service.resolve(incident_id, "UA", "fixed")
    # helper keys expire after the reopen window, and a reopen keeps them again
    k = stores.keys
    assert 0 < await redis.ttl(k.incident_messages(ids[0])) <= 2 * DAY
    assert 0 < await redis.ttl(k.notified(ids[0])) <= 2 * DAY
    await stores.outbox.mark_notified(ids[0], 5)  # the notifier applying the resolve
    assert 0 < await redis.ttl(k.notified(ids[0])) <= 2 * DAY
    await updates.reopen(ids[3], "UB")
    assert await redis.ttl(k.incident_messages(ids[3])) in (-1, -2)  # persisted (or none)
    await clock.advance(10 * DAY)
    await service.resolve(ids[4], "UA", "")  # recent: stays
    await service.resolve(ids[3], "UA", "")  # resolved again, recently: stays

    retention = IncidentRetention(stores.incidents, kept_config.retention, clock)
    assert await retention.sweep() == 3
    assert await retention.sweep() == 0
    for incident_id in ids[:3]:
        assert await keys_of(redis, incident_id) == set(), incident_id
        archived = await service.get(incident_id)
        assert archived.status is Status.RESOLVED and archived.resolution_note == "fixed"
    timeline = await service.timeline(ids[0])
    assert [e.type for e in timeline][:2] == ["incident.triggered", "incident.followup_added"]
    assert any(e.data.get("text") == "a note for the archive" for e in timeline)
    assert await redis.zcard(k.followups_open()) == 0  # its follow-up went with it
    for incident_id in ids[3:]:
        assert await redis.exists(k.incident(incident_id)), incident_id
    assert await stores.incidents.archive_size() == 3
    await assert_indexes_agree(stores, totals=False)


async def test_no_retention_configured_keeps_everything(
    stores: Stores, config: BeaconConfig, clock: FakeClock
):
    service = IncidentService(stores.incidents, config, clock)
    incident = await service.declare(NewIncident(title="t", severity="P2", reporter="UA"))
    await service.resolve(incident.id, "UA")
    await clock.advance(5000 * DAY)
    assert await IncidentRetention(stores.incidents, config.retention, clock).sweep() == 0
    assert (await service.get(incident.id)).status is Status.RESOLVED


async def test_retention_removes_old_decided_approvals_and_investigations_whole(
    stores: Stores, kept_config: BeaconConfig, clock: FakeClock, redis: Redis
):
    k, approvals, results = stores.keys, stores.approvals, stores.investigations

    async def request(callback: str = "") -> str:
        approval_id, _ = await approvals.create(
            requested_by="UA", approvers=["UB", "UC"], expires_at=clock.now() + 3600,
            fields={"operation": "restart", "risk": "low", "callback_url": callback},
            now=clock.now())
        return approval_id

    decided, expired, pending = await request("https://cb.example/x"), await request(), \
        await request()
    await approvals.decide(decided, actor="UB", decision="APPROVED", reason="", allow_self=False,
                           now=clock.now())  # arms its callback timer
    await approvals.record_message(decided, "card", "C1", "1.0")
    await stores.outbox.mark_notified(decided, 2)
    inv_old, _ = await results.create(actor="api", fields={"root_cause": "x"}, now=clock.now())
    await results.vote(inv_old, actor="UA", rating="accurate", today="2026-01-01", now=clock.now())
    await results.record_message(inv_old, "card", "C1", "2.0")
    await stores.outbox.mark_notified(inv_old, 2)
    await clock.advance(2 * 3600)
    await approvals.expire(expired, clock.now())
    await clock.advance(10 * DAY)
    # recent ones stay; a pending approval stays whatever its age
    pending_keys = await keys_of(redis, pending)
    await approvals.expire(pending, clock.now() - 11 * DAY)  # fired early: refused, kept
    recent = await request()
    await approvals.decide(recent, actor="UC", decision="DENIED", reason="no", allow_self=False,
                           now=clock.now())
    inv_new, _ = await results.create(actor="api", fields={"root_cause": "y"}, now=clock.now())
    before = {key: await redis.dump(key) for key in
              [*await keys_of(redis, recent), *await keys_of(redis, inv_new),
               k.feedback_totals(), k.feedback_day("2026-01-01"), k.approval_seq()]}

    retention = IncidentRetention(stores.incidents, kept_config.retention, clock,
                                  (approvals, results))
    assert await retention.sweep() == 3
    assert await retention.sweep() == 0
    for gone in (decided, expired, inv_old):
        assert await keys_of(redis, gone) == set(), gone
    timers = await redis.zrange(k.timers(), 0, -1)
    assert not [t for t in timers if t.endswith((decided, expired))]
    assert await keys_of(redis, pending) == pending_keys
    assert await redis.zrange(k.approvals_pending(), 0, -1) == [pending]
    assert await redis.zrange(k.approvals_decided(), 0, -1) == [recent]
    assert await redis.zrange(k.investigations_created(), 0, -1) == [inv_new]
    for key, dump in before.items():  # byte for byte what it was
        assert await redis.dump(key) == dump, key


async def test_migration_indexes_existing_approvals_and_investigations_once(
    stores: Stores, clock: FakeClock, redis: Redis
):
    k, approvals = stores.keys, stores.approvals
    ids = []
    for _ in range(3):
        approval_id, _ = await approvals.create(
            requested_by="UA", approvers=["UB"], expires_at=clock.now() + 60,
            fields={"operation": "x"}, now=clock.now())
        ids.append(approval_id)
    await approvals.decide(ids[0], actor="UB", decision="APPROVED", reason="",
                           allow_self=False, now=clock.now() + 1)
    await approvals.expire(ids[1], clock.now() + 60)
    inv, _ = await stores.investigations.create(actor="api", fields={}, now=clock.now() + 5)
    await redis.delete(k.approvals_decided(), k.investigations_created())  # an older Beacon

    assert "retention-index-v1" in await stores.migrations.run_pending(clock.now())
    decided = await redis.zrange(k.approvals_decided(), 0, -1, withscores=True)
    assert decided == [(ids[0], clock.now() + 1), (ids[1], clock.now() + 60)]  # not pending
    created = await redis.zrange(k.investigations_created(), 0, -1, withscores=True)
    assert created == [(inv, clock.now() + 5)]
    assert await stores.migrations.run_pending(clock.now()) == []  # once
    assert await stores.migrations.index_kept(clock.now()) == 3  # forced again: the same
    assert await redis.zrange(k.approvals_decided(), 0, -1, withscores=True) == decided


async def test_archive_days_drops_old_archive_entries_and_nothing_else(
    stores: Stores, config: BeaconConfig, clock: FakeClock, redis: Redis
):
    retention = RetentionConfig(resolved_days=5, archive_days=30)
    kept = config.model_copy(update={"retention": retention})
    service = IncidentService(stores.incidents, kept, clock)
    old = (await service.declare(NewIncident(title="old", severity="P3", reporter="UA"))).id
    await service.resolve(old, "UA", "")
    await clock.advance(20 * DAY)
    young = (await service.declare(NewIncident(title="young", severity="P3", reporter="UA"))).id
    await service.resolve(young, "UA", "")
    await clock.advance(9 * DAY)
    sweeper = IncidentRetention(stores.incidents, retention, clock)
    assert await sweeper.sweep() == 2  # both archived; neither archive entry is 30 days old

    await clock.advance(5 * DAY)  # old: resolved 34 days ago; young: 14
    assert await sweeper.sweep() == 1
    with pytest.raises(IncidentNotFound):
        await service.get(old)
    assert (await service.get(young)).title == "young"  # still read from the archive
    assert await redis.zrange(stores.keys.incidents_archived_at(), 0, -1) == [young]
    assert await stores.incidents.archive_size() == 1
