"""The notifier's per-incident order and lease (event_begin.lua, event_done.lua), real Redis."""

from __future__ import annotations

from redis.asyncio import Redis

from app.domain.models import NewIncident
from app.store import Stores
from app.store.keys import Keys

GROUP = "notifier"


async def test_an_event_applies_once_in_order_and_under_one_lease(redis: Redis) -> None:
    stores = Stores(redis, Keys("t"))
    store = stores.outbox
    incident_id, _ = await stores.incidents.declare(
        NewIncident(title="Disk full", severity="SEV2", reporter="U1"), now=100.0)
    await store.ensure_group(GROUP)
    (event,) = await store.read_events(GROUP, "a", 10, 0)

    # A later event of the incident waits for the earlier one.
    assert await store.begin_event(incident_id, 2, "a", 30_000) == ("wait", None)
    verdict, incident = await store.begin_event(incident_id, 1, "a", 30_000)
    assert verdict == "apply"
    assert incident is not None and incident.title == "Disk full"  # read in the same call
    # Another instance may not apply it meanwhile; the holder may again (a retry).
    assert await store.begin_event(incident_id, 1, "b", 30_000) == ("wait", None)
    assert (await store.begin_event(incident_id, 1, "a", 30_000))[0] == "apply"
    # Something else than an incident (the digest, an approval): nothing read.
    assert await store.begin_event("DIGEST-1", 1, "a", 30_000, read=False) == ("apply", None)

    await store.finish_event(incident_id, 1, GROUP, event.stream_id, "a")
    assert await store.begin_event(incident_id, 1, "b", 30_000) == ("done", None)
    assert await store.notified_seq(incident_id) == 1
    assert await redis.xpending(Keys("t").events(), GROUP) == {
        "pending": 0, "min": None, "max": None, "consumers": []}
    # The lease went with the finish: the next event may be taken by any instance.
    assert (await store.begin_event(incident_id, 2, "b", 30_000))[0] == "apply"
