"""Incident retention on a real redis-server: what goes, what stays, what the archive shows,
and the keys that only matter while an incident is open."""

from __future__ import annotations

import pytest
from redis.asyncio import Redis

from app.clock import FakeClock
from app.config import BeaconConfig
from app.config.retention import RetentionConfig
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
