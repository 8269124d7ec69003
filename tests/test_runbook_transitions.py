"""Runbook run transitions, each Lua script against a real redis-server."""

from __future__ import annotations

import json

import pytest
from redis.asyncio import Redis

from app.clock import FakeClock
from app.config import BeaconConfig
from app.domain.errors import AlreadyDone
from app.domain.incidents import IncidentService
from app.domain.models import EventType, NewIncident
from app.domain.results import Refused, Transition
from app.domain.runbooks import RunbookService
from app.scheduler import Scheduler, TimerWork
from app.store import Stores
from app.store.incidents import IncidentStore
from app.store.keys import Keys

RUN = "p1@INC-1#1"


@pytest.fixture
def stores(redis: Redis) -> Stores:
    return Stores(redis, Keys("t"))


@pytest.fixture
def store(stores: Stores) -> IncidentStore:
    return stores.incidents


@pytest.fixture
async def incident(store: IncidentStore, config: BeaconConfig, clock: FakeClock) -> str:
    service = IncidentService(store, config, clock)
    new = NewIncident(title="Checkout is down", severity="P1", reporter="UALICE")
    return (await service.declare(new)).id


async def types(store: IncidentStore) -> list[tuple[str, dict]]:
    rows = await store.redis.xrange(store.keys.events())
    return [(f["type"], json.loads(f["data"])) for _, f in rows[1:]]  # after the trigger


async def test_start_once_then_steps_in_order_to_done(store, incident, clock, stores):
    runs = stores.runbooks
    now = clock.now()
    assert isinstance(await runs.start(incident, RUN, "p1", 2, now), Transition)
    assert await runs.start(incident, RUN, "p1", 2, now) == Refused("started")  # redelivery
    assert isinstance(await runs.step_done(incident, RUN, 0, "made #inc-1", now), Transition)
    # a redelivered step 0 finds the run moved on
    assert (await runs.step_done(incident, RUN, 0, "again", now)).code == "stale"
    assert isinstance(await runs.step_done(incident, RUN, 1, "posted", now), Transition)
    assert [(t, d["step"]) for t, d in await types(store)] == [
        (EventType.RUNBOOK_STEP, 0),
        (EventType.RUNBOOK_STEP_DONE, 0),
        (EventType.RUNBOOK_STEP, 1),
        (EventType.RUNBOOK_STEP_DONE, 1),
    ]
    assert (await runs.runs(incident))[RUN]["status"] == "done"
    timeline = await store.timeline(incident)
    assert timeline[2].data["text"] == "made #inc-1"  # the result is in the timeline


async def test_fail_stops_the_run_and_retry_runs_the_step_once(
    store, incident, clock, config, stores
):
    runs = stores.runbooks
    now = clock.now()
    await runs.start(incident, RUN, "p1", 3, now)
    assert isinstance(
        await runs.fail(incident, RUN, 0, "send_message", "not_in_channel", now), Transition
    )
    assert (await runs.step_done(incident, RUN, 0, "late", now)).code == "stale"
    service = RunbookService(IncidentService(store, config, clock), stores.runbooks)
    await service.retry(incident, RUN, 0, "UBOB")
    with pytest.raises(AlreadyDone, match="someone retried it already"):
        await service.retry(incident, RUN, 0, "UCAROL")  # the second click
    kinds = await types(store)
    assert kinds[1][0] == EventType.RUNBOOK_STEP_FAILED
    assert kinds[1][1]["error"] == "not_in_channel"
    assert kinds[2] == (
        EventType.RUNBOOK_STEP,
        {"run": RUN, "runbook": "p1", "step": 0, "retry": True},
    )
    assert (await runs.runs(incident))[RUN]["status"] == "running"


async def test_wait_arms_a_timer_and_the_scheduler_resumes(store, incident, clock, config, stores):
    runs = stores.runbooks
    await runs.start(incident, RUN, "p1", 2, clock.now())
    await runs.step_done(incident, RUN, 0, "waiting 5 min", clock.now(), delay=300)
    assert (await runs.runs(incident))[RUN]["status"] == "waiting"
    runbooks = RunbookService(IncidentService(store, config, clock), stores.runbooks)
    scheduler = Scheduler(
        stores.timers, TimerWork(stores, clock, config, runbooks=runbooks), clock
    )
    assert await scheduler.tick() == 0
    await clock.advance(301)
    assert await scheduler.tick() == 1
    assert (await types(store))[-1] == (
        EventType.RUNBOOK_STEP,
        {"run": RUN, "runbook": "p1", "step": 1},
    )
    assert await scheduler.tick() == 0  # fired once


async def test_timer_trigger_skips_when_the_status_no_longer_fits(
    store, incident, clock, config, stores
):
    runs = stores.runbooks
    service = IncidentService(store, config, clock)
    due = clock.now() + 1800
    await runs.start(incident, RUN, "p1", 1, clock.now(), due=due, if_status="open")
    assert await types(store) == []  # nothing runs before the timer
    await service.resolve(incident, "UBOB")
    work = TimerWork(stores, clock, config, runbooks=RunbookService(service, stores.runbooks))
    scheduler = Scheduler(stores.timers, work, clock)
    await clock.advance(1801)
    await scheduler.tick()
    last_type, data = (await types(store))[-1]
    assert last_type == EventType.RUNBOOK_STEP_DONE and data["skipped"] is True
    assert (await runs.runs(incident))[RUN]["status"] == "skipped"
