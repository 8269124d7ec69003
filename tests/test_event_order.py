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


async def test_a_finish_rides_with_the_next_begin_and_survives_lost_scripts(redis: Redis) -> None:
    """The lane's deferred finish (and the timers its event armed) go in one round trip with
    the next event's begin, in that order; a Redis that lost its scripts gets them again."""
    stores = Stores(redis, Keys("t"))
    outbox = stores.outbox
    incident_id, _ = await stores.incidents.declare(
        NewIncident(title="Disk full", severity="P2", reporter="U1"), now=100.0)
    await stores.incidents.acknowledge(incident_id, "U2", now=101.0)
    await outbox.ensure_group(GROUP)
    first, second = await outbox.read_events(GROUP, "a", 10, 0)
    assert (await outbox.begin_event(incident_id, 1, "a", 30_000))[0] == "apply"
    timer = {"id": f"sla:{incident_id}:ack", "due": 400.0,
             "fields": {"kind": "sla", "incident_id": incident_id}}
    deferred = [
        stores.timers.arm_call(incident_id, fields={}, timers=[timer]),
        outbox.finish_call(incident_id, 1, GROUP, first.stream_id, "a"),
    ]
    await redis.script_flush()  # a restarted Redis: EVALSHA answers NOSCRIPT

    verdict, incident = await outbox.begin_event(incident_id, 2, "a", 30_000, after=deferred)

    assert verdict == "apply"  # the finish of #1 ran first, so #2 is next
    assert incident is not None and incident.acknowledged_by == "U2"
    assert await outbox.notified_seq(incident_id) == 1
    assert await redis.zscore(Keys("t").timers(), timer["id"]) == 400.0
    pending = await redis.xpending_range(Keys("t").events(), GROUP, "-", "+", 10)
    assert [p["message_id"] for p in pending] == [second.stream_id]


async def test_a_digest_mark_expires_and_others_keep_theirs(redis: Redis) -> None:
    """The digest's id has one event, so its mark may expire; an approval's may not (a later
    event of it would wait forever), and an incident's keeps the TTL resolve.lua gave it."""
    outbox = Stores(redis, Keys("t")).outbox
    await outbox.run_calls([outbox.finish_call("DIGEST-2026-01-02", 1, GROUP, "0-1", "a",
                                               ttl=7 * 86400)])
    await outbox.run_calls([outbox.finish_call("APR-1", 1, GROUP, "0-2", "a")])
    await outbox.mark_notified("DIGEST-2026-01-03", 1, ttl=60)
    keys = Keys("t")
    assert 0 < await redis.ttl(keys.notified("DIGEST-2026-01-02")) <= 7 * 86400
    assert 0 < await redis.ttl(keys.notified("DIGEST-2026-01-03")) <= 60
    assert await redis.ttl(keys.notified("APR-1")) == -1
    await redis.expire(keys.notified("APR-1"), 100)
    await outbox.run_calls([outbox.finish_call("APR-1", 2, GROUP, "0-3", "a")])
    assert 0 < await redis.ttl(keys.notified("APR-1")) <= 100  # KEEPTTL
    assert await outbox.notified_seq("APR-1") == 2
