"""The record's transitions (follow-ups, retrospective, roles, nudge, pins) on Redis."""

from __future__ import annotations

from redis.asyncio import Redis

from app.domain.models import EventType, NewIncident
from app.domain.results import Refused, Transition
from app.store import Stores
from app.store.incident_record import RecordStore
from app.store.keys import Keys


async def _world(redis: Redis) -> tuple[Stores, RecordStore, str]:
    base = Stores(redis, Keys())
    new = NewIncident(title="t", severity="P1", reporter="U1")
    incident_id, _ = await base.incidents.declare(new, 0.0)
    return base, base.record, incident_id


async def test_followups_are_numbered_listed_and_done_once(redis: Redis):
    base, store, incident_id = await _world(redis)
    fid, added = await store.add_followup(incident_id, "U1", "Add an alert", 10.0)
    assert fid == "F-1" and isinstance(added, Transition)
    fid2, _ = await store.add_followup(incident_id, "U2", "Write the runbook", 11.0)
    _, refused = await store.add_followup("INC-99", "U1", "x", 12.0)
    assert isinstance(refused, Refused) and refused.code == "not_found"
    assert [f.id for f in await store.followups(None)] == ["F-1", "F-2"]
    done = await store.finish_followup(fid, "U2", 20.0)
    assert isinstance(done, Transition)
    again = await store.finish_followup(fid, "U3", 21.0)
    assert isinstance(again, Refused) and again.code == "done" and again.details[0] == "U2"
    assert (await store.finish_followup("F-42", "U1", 22.0)) == Refused("not_found")
    assert [f.id for f in await store.followups(None)] == [fid2]  # only open ones
    items = await store.followups(incident_id)
    assert [(f.id, f.done, f.done_by) for f in items] == [("F-1", True, "U2"), ("F-2", False, None)]
    timeline = await base.incidents.timeline(incident_id)
    assert [e.type for e in timeline[-3:]] == [
        EventType.FOLLOWUP_ADDED,
        EventType.FOLLOWUP_ADDED,
        EventType.FOLLOWUP_DONE,
    ]
    assert timeline[-1].data == {"followup_id": "F-1", "text": "Add an alert"}


async def test_retro_is_recorded_and_rescheduled(redis: Redis):
    base, store, incident_id = await _world(redis)
    assert isinstance(
        await store.schedule_retro(incident_id, "U1", "2027-01-10", "U2", "", 5), Transition
    )
    await store.schedule_retro(incident_id, "U1", "2027-01-12", "U3", "bring graphs", 6)
    raw = await redis.hgetall(Keys().incident(incident_id))
    assert (raw["retro_date"], raw["retro_owner"], raw["retro_notes"]) == (
        "2027-01-12",
        "U3",
        "bring graphs",
    )
    last = (await base.incidents.timeline(incident_id))[-1]
    assert last.type is EventType.RETRO_SCHEDULED and last.data["previous_date"] == "2027-01-10"


async def test_roles_change_hands_and_refuse_the_same_holder_and_resolved(redis: Redis):
    base, store, incident_id = await _world(redis)
    assert isinstance(await store.assign_role(incident_id, "U1", "commander", "U1", 1), Transition)
    same = await store.assign_role(incident_id, "U2", "commander", "U1", 2)
    assert isinstance(same, Refused) and same.code == "holder"
    await store.assign_role(incident_id, "U2", "commander", "U2", 3)
    incident = await base.incidents.get(incident_id)
    assert incident is not None and incident.roles == {"commander": "U2"}
    last = (await base.incidents.timeline(incident_id))[-1]
    assert last.data == {"role": "commander", "user": "U2", "previous": "U1"}
    await base.incidents.resolve(incident_id, "U1", "", 4)
    late = await store.assign_role(incident_id, "U1", "scribe", "U1", 5)
    assert isinstance(late, Refused) and late.code == "resolved"


async def test_role_nudge_fires_once_only_with_free_roles(redis: Redis):
    base, store, incident_id = await _world(redis)
    roles = ["commander", "scribe"]
    await base.timers.arm(incident_id, fields={}, timers=[{"id": "n1", "due": 600, "fields": {}}])
    await store.assign_role(incident_id, "U1", "commander", "U1", 1)
    fired = await store.role_nudge(incident_id, "n1", ["P1", "P2"], roles, 600)
    assert isinstance(fired, Transition)
    assert (await base.incidents.timeline(incident_id))[-1].data == {"roles": ["scribe"]}
    assert await base.timers.next_timer_due() is None  # the timer is gone: once only
    low = await store.role_nudge(incident_id, "n2", ["P2"], roles, 601)
    assert low == Refused("severity", ("P1",))
    await store.assign_role(incident_id, "U1", "scribe", "U2", 2)
    assert await store.role_nudge(incident_id, "n3", ["P1"], roles, 602) == Refused("all_claimed")


async def test_a_message_is_pinned_once_and_the_channel_finds_its_incident(redis: Redis):
    base, store, incident_id = await _world(redis)
    assert await base.messages.set_incident_channel(incident_id, "C9") == "C9"
    assert await store.incident_for_channel("C9") == incident_id
    assert await store.incident_for_channel("C1") is None
    kwargs = {"channel": "C9", "ts": "1.5", "author": "U3", "text": "db up", "permalink": "p"}
    assert isinstance(await store.pin_message(incident_id, "U1", now=7, **kwargs), Transition)
    assert await store.pin_message(incident_id, "U2", now=8, **kwargs) == Refused("pinned")
    last = (await base.incidents.timeline(incident_id))[-1]
    assert last.type is EventType.MESSAGE_PINNED and last.actor == "U1"
    assert last.data == {**kwargs, "thread_ts": ""}
