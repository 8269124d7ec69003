"""Issue 7: channel names (pure) and the script that records an incident's channel once."""

from __future__ import annotations

import re

from redis.asyncio import Redis

from app.domain.channel_names import channel_name, slug
from app.domain.models import NewIncident
from app.keys import Keys
from app.store import IncidentStore


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
    store = IncidentStore(redis, Keys())
    assert await store.set_incident_channel("INC-9", "C1") == ""  # no such incident
    incident_id, _ = await store.declare(NewIncident(title="t", severity="P1", reporter="U1"), 1.0)
    assert await store.set_incident_channel(incident_id, "C1") == "C1"
    assert await store.set_incident_channel(incident_id, "C2") == "C1"  # first one stays
    incident = await store.get(incident_id)
    assert incident is not None and incident.incident_channel == "C1"
    assert await store.message_ref(incident_id, "incident_channel") == ("C1", "-")
