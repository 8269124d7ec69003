"""Channel names (pure) and the script that records an incident's channel once."""

from __future__ import annotations

import re

from redis.asyncio import Redis

from app.domain.channel_names import channel_name, slug
from app.domain.models import NewIncident
from app.domain.results import Refused, Transition
from app.store import Stores
from app.store.keys import Keys


def test_channel_names_follow_slacks_rules():
    assert slug("Checkout is DOWN (EU)!") == "checkout-is-down-eu"
    assert slug("Café — ünïcode") == "cafe-unicode"
    assert channel_name("inc", 42, "Checkout is down") == "inc-42-checkout-is-down"
    assert channel_name("inc", 42, "Checkout is down", 3) == "inc-42-checkout-is-down-3"
    assert channel_name("inc", 7, "!!!") == "inc-7"
    long = channel_name("inc", 12345, "x" * 200, 12)
    assert len(long) == 80 and long.endswith("-12")
    assert re.fullmatch(r"[a-z0-9_-]+", channel_name("inc", 1, "Ünïcode / emoji 🔥 <b>"))


async def test_incident_channel_is_recorded_once(redis: Redis):
    stores = Stores(redis, Keys())
    store = stores.messages
    assert await store.set_incident_channel("INC-9", "C1") == ""  # no such incident
    new = NewIncident(title="t", severity="P1", reporter="U1")
    incident_id, _ = await stores.incidents.declare(new, 1.0)
    assert await store.set_incident_channel(incident_id, "C1") == "C1"
    assert await store.set_incident_channel(incident_id, "C2") == "C1"  # first one stays
    incident = await stores.incidents.get(incident_id)
    assert incident is not None and incident.incident_channel == "C1"
    assert await store.message_ref(incident_id, "incident_channel") == ("C1", "-")


async def test_update_reminder_waits_for_silence_and_rearms(redis: Redis):
    stores = Stores(redis, Keys())
    base, store = stores.incidents, stores.channels
    incident_id, _ = await base.declare(NewIncident(title="t", severity="P1", reporter="U1"), 0.0)
    await store.status_update(incident_id, "U1", "looking", 1000.0)
    early = await store.update_reminder(incident_id, "r1", 30, 1800.0)
    assert isinstance(early, Refused) and early.code == "not_due"
    assert await stores.timers.next_timer_due() == 1000.0 + 1800  # re-armed from the last update
    due = await store.update_reminder(incident_id, "r2", 30, 2800.0)
    assert isinstance(due, Transition)
    assert (await base.timeline(incident_id))[-1].data == {"minutes": 30, "since": 1800}
    await base.resolve(incident_id, "U1", "", 3000.0)
    gone = await store.update_reminder(incident_id, "r3", 30, 4600.0)
    assert isinstance(gone, Refused) and gone.code == "resolved"


async def test_reopen_and_archive_timers(redis: Redis):
    stores = Stores(redis, Keys())
    base, store = stores.incidents, stores.channels
    incident_id, _ = await base.declare(NewIncident(title="t", severity="P1", reporter="U1"), 0.0)
    refused = await store.reopen(incident_id, "U2", 5.0)
    assert isinstance(refused, Refused) and refused.code == "not_resolved"
    await stores.messages.set_incident_channel(incident_id, "C9")
    await base.resolve(incident_id, "U1", "", 10.0)
    assert isinstance(
        await store.channel_archive(incident_id, "w", "warn", "10.0", 20.0), Transition
    )
    assert isinstance(await store.reopen(incident_id, "U2", 30.0), Transition)
    incident = await base.get(incident_id)
    assert incident is not None and incident.is_open and incident.resolved_at is None
    assert incident.reopened_at == 30.0  # where its SLA timers (and the card's deadlines) start
    late = await store.channel_archive(incident_id, "a", "archive", "10.0", 40.0)
    assert isinstance(late, Refused) and late.code == "reopened"
