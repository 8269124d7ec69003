"""refire.lua, investigation_update.lua and the dedup mapping in declare/resolve, on real Redis."""

from __future__ import annotations

import asyncio
import json

import pytest
from redis.asyncio import Redis

from app.clock import FakeClock
from app.config import BeaconConfig
from app.domain.errors import IncidentNotFound, InvalidInput
from app.domain.incidents import IncidentService
from app.domain.intake import IntakeService, InvestigationStage, StatusFilter
from app.domain.models import Event, EventType, Incident, NewIncident
from app.store.incidents import IncidentStore
from app.store.keys import Keys
from views.incident import thread_text


@pytest.fixture
def store(redis: Redis) -> IncidentStore:
    return IncidentStore(redis, Keys("t"))


@pytest.fixture
def intake(store: IncidentStore, config: BeaconConfig, clock: FakeClock) -> IntakeService:
    return IntakeService(IncidentService(store, config, clock), store)


def alert(title: str = "Disk full", dedup_key: str | None = "disk-1") -> NewIncident:
    return NewIncident(title=title, severity="P3", reporter="api:ci", dedup_key=dedup_key)


async def types(store: IncidentStore) -> list[str]:
    return [f["type"] for _, f in await store.redis.xrange(store.keys.events())]


async def test_repeat_dedup_key_refires_the_open_incident(intake, store):
    first, created = await intake.declare_or_refire(alert())
    again, created_again = await intake.declare_or_refire(alert("Disk full (again)"))
    third, _ = await intake.declare_or_refire(alert())
    assert (created, created_again) == (True, False)
    assert first.id == again.id == third.id == "INC-1"
    assert third.fired_count == 3 and third.dedup_key == "disk-1"
    assert third.title == "Disk full"  # a repeat changes nothing but the count
    assert await types(store) == [EventType.TRIGGERED, EventType.REFIRED, EventType.REFIRED]
    _, last = (await store.redis.xrange(store.keys.events()))[-1]
    assert json.loads(last["data"]) == {"count": 3} and last["actor"] == "api:ci"


async def test_resolve_clears_the_dedup_key_so_the_next_alert_is_new(intake, store):
    first, _ = await intake.declare_or_refire(alert())
    await intake.incidents.resolve(first.id, "UALICE")
    assert await store.redis.get(store.keys.dedup("disk-1")) is None
    second, created = await intake.declare_or_refire(alert())
    assert created and second.id == "INC-2" and second.fired_count == 1
    other, created_other = await intake.declare_or_refire(alert(dedup_key="disk-2"))
    assert created_other and other.id == "INC-3"


async def test_refire_refuses_without_an_open_incident(store, clock):
    incident_id, outcome = await store.refire("nothing", "api:ci", clock.now())
    assert incident_id is None and outcome.code == "no_open"
    assert await types(store) == []


async def test_declare_refuses_a_dedup_key_that_is_open(store, intake, clock):
    await intake.declare_or_refire(alert())
    incident_id, outcome = await store.declare(alert(), clock.now())
    assert outcome.code == "duplicate" and outcome.details == ("INC-1",)
    assert incident_id == "INC-1"  # the open one; no number was taken for the refusal
    assert await store.redis.get(store.keys.incident_seq()) == "1"


async def test_concurrent_alerts_with_one_dedup_key_declare_once(intake, store):
    results = await asyncio.gather(*(intake.declare_or_refire(alert()) for _ in range(10)))
    assert sum(created for _, created in results) == 1
    assert {incident.id for incident, _ in results} == {"INC-1"}
    assert (await intake.incidents.get("INC-1")).fired_count == 10
    assert (await types(store)).count(EventType.TRIGGERED) == 1


async def test_racing_first_alerts_burn_no_incident_numbers(intake, store, clock):
    """20 first requests with one new dedup key at once: one incident, and the next incident
    takes the next number (the number is taken inside declare.lua, after the dedup check)."""
    await asyncio.gather(*(store.redis.ping() for _ in range(40)))  # open connections: a race
    declared = await asyncio.gather(*(store.declare(alert(), clock.now()) for _ in range(20)))
    assert sorted(incident_id for incident_id, _ in declared) == ["INC-1"] * 20
    assert [type(outcome).__name__ for _, outcome in declared].count("Refused") == 19
    results = await asyncio.gather(*(intake.declare_or_refire(alert("b", "b")) for _ in range(20)))
    assert sum(created for _, created in results) == 1
    assert {incident.id for incident, _ in results} == {"INC-2"}
    more = await asyncio.gather(*(intake.declare_or_refire(alert(dedup_key=f"k{n}"))
                                  for n in range(5)))
    assert sorted(incident.id for incident, _ in more) == [f"INC-{n}" for n in range(3, 8)]
    assert await store.redis.get(store.keys.incident_seq()) == "7"


async def test_investigation_update_appends_its_event(intake, store):
    first, _ = await intake.declare_or_refire(alert(dedup_key=None))
    await intake.investigation_update(
        first.id, "api:bot", InvestigationStage.HYPOTHESIS, "Pool exhausted", 0.7
    )
    _, last = (await store.redis.xrange(store.keys.events()))[-1]
    assert last["type"] == EventType.INVESTIGATION
    assert json.loads(last["data"]) == {
        "stage": "hypothesis",
        "text": "Pool exhausted",
        "confidence": 0.7,
    }
    with pytest.raises(IncidentNotFound):
        await intake.investigation_update("INC-9", "api:bot", InvestigationStage.STARTED, "x", None)
    with pytest.raises(InvalidInput) as err:
        await intake.investigation_update(
            first.id, "api:bot", InvestigationStage.STARTED, " ", None
        )
    assert err.value.field == "text"


async def test_list_by_status(intake):
    a, _ = await intake.declare_or_refire(alert("a", None))
    b, _ = await intake.declare_or_refire(alert("b", None))
    c, _ = await intake.declare_or_refire(alert("c", None))
    await intake.incidents.acknowledge(b.id, "UBOB")
    await intake.incidents.resolve(c.id, "UBOB")
    ids = {s: [i.id for i in await intake.list(s, 50)] for s in StatusFilter}
    assert ids[StatusFilter.OPEN] == [b.id, a.id]
    assert ids[StatusFilter.ACKNOWLEDGED] == [b.id]
    assert ids[StatusFilter.RESOLVED] == [c.id]
    assert ids[StatusFilter.ALL] == [c.id, b.id, a.id]


def _event(etype: EventType, data: dict, actor: str = "api:ci") -> Event:
    return Event("INC-1#2", etype, "INC-1", 2, actor, 0.0, data)


def test_thread_text_for_refire_and_investigation(config):
    inc = Incident("INC-1", 1, "t", "", None, "P3", "TRIGGERED", "api:ci", None, 0.0)  # type: ignore[arg-type]
    assert thread_text(_event(EventType.REFIRED, {"count": 2}), inc) == (
        "🔁 The alert fired again (×2)."
    )
    text = thread_text(
        _event(
            EventType.INVESTIGATION,
            {"stage": "root_cause", "text": "<!channel> a\nb", "confidence": 0.85},
            "api:investigator",
        ),
        inc,
    )
    assert text is not None
    assert text.startswith("🎯 *Root cause* from *investigator* (API) · confidence 85%")
    assert "&lt;!channel&gt; a\n>b" in text and "<!channel>" not in text
