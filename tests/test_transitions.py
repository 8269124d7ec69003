"""Every transition's Lua script, against a real redis-server."""

from __future__ import annotations

import asyncio
import json

import pytest
from redis.asyncio import Redis

from app.clock import FakeClock
from app.config import BeaconConfig
from app.domain.errors import AlreadyDone, IncidentNotFound, InvalidInput
from app.domain.escalation import SeverityPaging
from app.domain.incidents import IncidentService, normalise_id
from app.domain.models import EventType, NewIncident, Status
from app.domain.refusals import Refusal, RefusalCode, RefusalError
from app.domain.results import REPEATED, Refused, Transition
from app.domain.timers import sla_rearm
from app.scheduler import Scheduler, TimerWork
from app.store import Stores
from app.store.cache import ENVELOPE_TTL_S
from app.store.incidents import IncidentStore
from app.store.keys import Keys
from views.refusals import refusal_text


@pytest.fixture
def stores(redis: Redis) -> Stores:
    return Stores(redis, Keys("t"))


@pytest.fixture
def store(stores: Stores) -> IncidentStore:
    return stores.incidents


@pytest.fixture
def service(store: IncidentStore, config: BeaconConfig, clock: FakeClock) -> IncidentService:
    return IncidentService(store, config, clock)


def scheduler_for(stores: Stores, clock: FakeClock) -> Scheduler:
    return Scheduler(stores.timers, TimerWork(stores, clock), clock)


def new(title: str = "Checkout is down", **kw) -> NewIncident:
    return NewIncident(title=title, severity=kw.pop("severity", "P2"), reporter="UALICE", **kw)


async def events(store: IncidentStore) -> list[tuple[str, dict[str, str]]]:
    return await store.redis.xrange(store.keys.events())


async def test_declare_numbers_incidents_and_appends_one_event(service, store):
    first = await service.declare(new(service="payments", assignee="UBOB"))
    second = await service.declare(new("Search slow", severity="P4"))
    assert (first.id, second.id) == ("INC-1", "INC-2")
    assert first.status is Status.TRIGGERED and first.assignee == "UBOB"
    assert first.service == "payments" and first.reporter == "UALICE"
    stream = await events(store)
    assert [f["type"] for _, f in stream] == [EventType.TRIGGERED] * 2
    assert stream[0][1]["event_id"] == "INC-1#1"
    assert [i.id for i in await service.list_open()] == ["INC-2", "INC-1"]
    timeline = await service.timeline("INC-1")
    assert [(t.seq, t.type, t.actor) for t in timeline] == [(1, EventType.TRIGGERED, "UALICE")]


async def test_declare_rejects_bad_fields_before_touching_redis(service, store):
    with pytest.raises(InvalidInput) as err:
        await service.declare(new("   "))
    assert err.value.field == "title"
    with pytest.raises(InvalidInput) as err:
        await service.declare(new("x" * 151))
    assert "150" in err.value.user_message
    with pytest.raises(InvalidInput) as err:
        await service.declare(new(service="nope"))
    assert err.value.field == "service"
    assert await events(store) == []


async def test_acknowledge_once_then_polite_refusal(service, store, clock):
    await service.declare(new())
    await clock.advance(90)
    inc = await service.acknowledge("INC-1", "UBOB")
    assert inc.status is Status.ACKNOWLEDGED and inc.acknowledged_by == "UBOB"
    assert inc.assignee == "UBOB"  # the acknowledger takes an unassigned incident
    with pytest.raises(RefusalError) as err:
        await service.acknowledge("INC-1", "UCAROL")
    assert err.value.refusal == Refusal(
        RefusalCode.ALREADY_ACKNOWLEDGED, "INC-1", "UCAROL", by="UBOB", at=inc.acknowledged_at
    )
    assert "already acknowledged by UBOB at " in err.value.user_message  # plain: no markup
    assert "<" not in err.value.user_message
    assert "already acknowledged by <@UBOB> at <!date^" in refusal_text(err.value.refusal)
    stream = await events(store)
    assert [f["type"] for _, f in stream] == [EventType.TRIGGERED, EventType.ACKNOWLEDGED]
    assert json.loads(stream[1][1]["data"]) == {"since_trigger": 90}


async def test_acknowledge_with_a_fingerprint_is_its_own_redelivery_guard(service, store, stores):
    """The guard folded into acknowledge.lua: the same envelope again changes nothing and is
    refused to nobody, whether its first delivery acknowledged or was refused."""
    await service.declare(new())
    await service.declare(new("Search slow"))
    assert await store.acknowledge("INC-1", "UBOB", 1.0, once="fp-1") == Transition("INC-1#2")
    assert await store.acknowledge("INC-1", "UBOB", 2.0, once="fp-1") == REPEATED
    # The script set the envelope's key with the middleware's TTL (first_seen sees it too).
    key = store.keys.envelope("fp-1")
    assert 0 < await store.redis.ttl(key) <= ENVELOPE_TTL_S
    assert not await stores.cache.first_seen("fp-1")
    refused = await store.acknowledge("INC-1", "UCAROL", 3.0, once="fp-2")
    assert isinstance(refused, Refused) and refused.code == "acknowledged"
    assert await store.acknowledge("INC-1", "UCAROL", 4.0, once="fp-2") == REPEATED
    # The domain: a redelivery neither raises nor acts; another envelope is refused as usual.
    inc = await service.acknowledge("INC-1", "UCAROL", once="fp-2")
    assert inc.acknowledged_by == "UBOB"
    with pytest.raises(RefusalError):
        await service.acknowledge("INC-1", "UCAROL", once="fp-3")
    # A fingerprint guards its own envelope only, whatever incident it names.
    assert isinstance(await store.acknowledge("INC-2", "UBOB", 5.0, once="fp-4"), Transition)
    types = [f["type"] for _, f in await events(store)]
    assert types.count(EventType.ACKNOWLEDGED) == 2


async def test_a_refused_click_is_told_by_the_script_in_the_same_round_trip(
    service, store, stores, clock
):
    """acknowledge.lua with `tell`: whoever was not first gets the refusal as an answer the
    script added itself (one round trip, nothing raised); a redelivery adds none; the words
    are the error path's, found at delivery."""
    from app.domain.answers import Answer
    from app.domain.results import TOLD
    from app.notifier.answers import words

    await service.declare(new())
    await clock.advance(60)
    where = Answer(user="UCAROL", text="", response_url="https://hooks/x", channel="C1")
    await service.acknowledge_click("INC-1", "UBOB", once="fp-1", tell=where)  # first: no answer
    assert await stores.answers.waiting() == 0
    told = await store.acknowledge("INC-1", "UCAROL", 2.0, once="fp-2", tell=where)
    assert told == TOLD
    assert await store.acknowledge("INC-1", "UCAROL", 3.0, once="fp-2", tell=where) == REPEATED
    await service.acknowledge_click("INC-1", "UDAVE", once="fp-3",
                                    tell=Answer(user="UDAVE", text="", channel="C1"))
    await service.acknowledge_click("INC-9", "UDAVE", once="fp-4",
                                    tell=Answer(user="UDAVE", text="", channel="C1"))
    await stores.answers.ensure_group()
    entries = [a for _, a in await stores.answers.read("me", 10, 0)]
    assert [(a.user, a.channel, a.response_url) for a in entries] == [
        ("UCAROL", "C1", "https://hooks/x"), ("UDAVE", "C1", None), ("UDAVE", "C1", None)]
    carol = entries[0]
    assert carol.refused is not None and carol.refused.subject == "INC-1"
    assert carol.refused.outcome.by == "UBOB" and carol.refused.outcome.at == clock.now()
    assert words(carol).startswith("INC-1 was already acknowledged by <@UBOB> at <!date^")
    dave = entries[1]
    assert dave.at == clock.now()  # the response_url's clock starts at the click
    assert "already acknowledged by <@UBOB>" in words(dave)
    assert words(entries[2]) == IncidentNotFound("INC-9").user_message
    # Nothing else changed: one acknowledgement, by the first.
    types = [f["type"] for _, f in await events(store)]
    assert types.count(EventType.ACKNOWLEDGED) == 1


async def test_resolve_with_a_fingerprint_is_its_own_redelivery_guard(service, store):
    await service.declare(new(dedup_key="disk-1"))
    await service.declare(new("Search slow"))
    done = await store.resolve("INC-1", "UBOB", "fixed", 1.0, once="fp-1")
    assert isinstance(done, Transition)
    assert await store.redis.get(store.keys.dedup("disk-1")) is None  # still cleared
    assert await store.resolve("INC-1", "UBOB", "fixed", 2.0, once="fp-1") == REPEATED
    inc = await service.resolve("INC-1", "UCAROL", "again", once="fp-1")  # acts no more
    assert inc.resolved_by == "UBOB" and inc.resolution_note == "fixed"
    with pytest.raises(AlreadyDone):  # another envelope is refused as usual
        await service.resolve("INC-1", "UCAROL", once="fp-2")
    assert isinstance(await store.resolve("INC-2", "UBOB", "", 3.0, once="fp-3"), Transition)
    types = [f["type"] for _, f in await events(store)]
    assert types.count(EventType.RESOLVED) == 2


async def test_concurrent_acknowledge_makes_exactly_one_transition(service, store, redis_server):
    await service.declare(new())
    clients = [Redis.from_url(redis_server.url, decode_responses=True) for _ in range(10)]
    services = [
        IncidentService(IncidentStore(c, Keys("t")), service.config, service.clock) for c in clients
    ]
    results = await asyncio.gather(
        *(s.acknowledge("INC-1", f"U{i}") for i, s in enumerate(services)), return_exceptions=True
    )
    for c in clients:
        await c.aclose()
    winners = [r for r in results if not isinstance(r, Exception)]
    losers = [r for r in results if isinstance(r, AlreadyDone)]
    assert len(winners) == 1 and len(losers) == 9
    acks = [f for _, f in await events(store) if f["type"] == EventType.ACKNOWLEDGED]
    assert len(acks) == 1 and acks[0]["actor"] == winners[0].acknowledged_by


async def test_resolve_closes_and_refuses_everything_after(service, store, clock):
    await service.declare(new())
    await clock.advance(3600)
    inc = await service.resolve("INC-1", "UBOB", "rolled back")
    assert inc.status is Status.RESOLVED and inc.resolution_note == "rolled back"
    assert await service.list_open() == []
    for act in (
        service.resolve("INC-1", "UCAROL"),
        service.acknowledge("INC-1", "UCAROL"),
        service.snooze("INC-1", "UCAROL", 600),
        service.assign("INC-1", "UCAROL", "UDAN"),
        service.set_severity("INC-1", "UCAROL", "P1"),
    ):
        with pytest.raises(AlreadyDone, match="already resolved"):
            await act
    resolved = [f for _, f in await events(store) if f["type"] == EventType.RESOLVED]
    assert len(resolved) == 1 and json.loads(resolved[0]["data"])["duration"] == 3600


async def test_unknown_incident_is_reported_by_every_transition(service):
    for act in (
        service.acknowledge("INC-9", "U1"),
        service.resolve("INC-9", "U1"),
        service.snooze("INC-9", "U1", 60),
        service.add_note("INC-9", "U1", "hi"),
        service.assign("INC-9", "U1", "U2"),
        service.set_severity("INC-9", "U1", "P1"),
    ):
        with pytest.raises(IncidentNotFound, match="INC-9"):
            await act


async def test_snooze_wakes_once_through_the_scheduler(service, store, clock, stores):
    await service.declare(new(assignee="UBOB"))
    await service.acknowledge("INC-1", "UBOB")
    inc = await service.snooze("INC-1", "UBOB", 900)
    assert inc.snoozed_until == clock.now() + 900 and inc.snoozed_at(clock.now())
    scheduler = scheduler_for(stores, clock)
    assert await scheduler.tick() == 0
    await clock.advance(899)
    assert await scheduler.tick() == 0
    await clock.advance(2)
    other = scheduler_for(stores, clock)
    fired = await asyncio.gather(scheduler.tick(), other.tick())
    assert sorted(fired) == [0, 1]  # two instances, one fire
    inc = await service.get("INC-1")
    assert inc.snoozed_until is None
    types = [f["type"] for _, f in await events(store)]
    assert types.count(EventType.UNSNOOZED) == 1
    assert await stores.timers.next_timer_due() is None


async def test_resnooze_and_resolve_make_old_timers_stale(service, store, clock, stores):
    await service.declare(new())
    await service.acknowledge("INC-1", "UBOB")
    await service.snooze("INC-1", "UBOB", 600)
    await service.snooze("INC-1", "UBOB", 3600)  # replaces the first wake-up
    scheduler = scheduler_for(stores, clock)
    await clock.advance(700)
    assert await scheduler.tick() == 1  # the old timer fires, but as stale: no event
    assert (await service.get("INC-1")).snoozed_until is not None
    await service.resolve("INC-1", "UBOB")
    await clock.advance(3600)
    await scheduler.tick()
    types = [f["type"] for _, f in await events(store)]
    assert EventType.UNSNOOZED not in types


async def test_snooze_bounds(service):
    await service.declare(new())
    with pytest.raises(InvalidInput):
        await service.snooze("INC-1", "U1", 0)
    with pytest.raises(InvalidInput):
        await service.snooze("INC-1", "U1", 8 * 86400)


async def test_claimed_timer_is_leased_not_lost(store, service, clock, stores):
    await service.declare(new())
    await service.acknowledge("INC-1", "UBOB")
    await service.snooze("INC-1", "UBOB", 60)
    await clock.advance(61)
    claimed = await stores.timers.claim_timers(clock.now(), lease=30)
    assert len(claimed) == 1
    # The claimer died: nobody else sees it during the lease, everyone after.
    assert await stores.timers.claim_timers(clock.now() + 10, lease=30) == []
    assert await stores.timers.claim_timers(clock.now() + 31, lease=30) == claimed


async def test_assign_severity_note(service, store):
    await service.declare(new(assignee="UBOB"))
    inc = await service.assign("INC-1", "UALICE", "UCAROL")
    assert inc.assignee == "UCAROL"
    with pytest.raises(AlreadyDone):
        await service.assign("INC-1", "UALICE", "UCAROL")
    inc = await service.set_severity("INC-1", "UALICE", "p1")
    assert inc.severity == "P1"
    with pytest.raises(InvalidInput):
        await service.set_severity("INC-1", "UALICE", "P7")
    await service.add_note("INC-1", "UBOB", "db failover started")
    with pytest.raises(InvalidInput):
        await service.add_note("INC-1", "UBOB", "  ")
    timeline = await service.timeline("INC-1")
    assert [t.type for t in timeline] == [
        EventType.TRIGGERED,
        EventType.ASSIGNED,
        EventType.SEVERITY_CHANGED,
        EventType.NOTE_ADDED,
    ]
    assert timeline[1].data == {"assignee": "UCAROL", "previous": "UBOB"}
    assert timeline[3].data["text"] == "db failover started"


async def test_record_message_and_notified_mark(store, service, stores):
    await service.declare(new())
    messages = stores.messages
    await messages.record_message("INC-1", "card", "C1", "1.000100", card=True, permalink="https://x")
    await messages.record_message("INC-1", "reply:INC-1#2", "C1", "1.000200")
    inc = await service.get("INC-1")
    assert (inc.channel, inc.card_ts, inc.permalink) == ("C1", "1.000100", "https://x")
    assert await messages.message_ref("INC-1", "reply:INC-1#2") == ("C1", "1.000200")
    await stores.outbox.mark_notified("INC-1", 3)
    await stores.outbox.mark_notified("INC-1", 2)  # never lowers
    assert await stores.outbox.notified_seq("INC-1") == 3


def test_normalise_id():
    assert normalise_id("inc-042") == "INC-42"
    assert normalise_id("#7") == "INC-7"
    with pytest.raises(InvalidInput):
        normalise_id("payments")


async def test_lease_is_exclusive_renewable_and_retakable_by_its_owner(stores):
    store = stores.leases
    assert await store.try_lock("incident:INC-1", "a", 10_000)
    assert not await store.try_lock("incident:INC-1", "b", 10_000)
    assert await store.try_lock("incident:INC-1", "a", 10_000)  # its unlock was lost
    assert await store.extend_lock("incident:INC-1", "a", 20_000)
    assert not await store.extend_lock("incident:INC-1", "b", 20_000)
    await store.unlock("incident:INC-1", "b")  # not the owner: no effect
    assert not await store.try_lock("incident:INC-1", "b", 10_000)
    await store.unlock("incident:INC-1", "a")
    assert await store.try_lock("incident:INC-1", "b", 10_000)


async def test_arm_is_idempotent_and_escalate_moves_one_level_once(store, service, clock, stores):
    await service.declare(new())
    timer = {"id": "esc:INC-1:0:1", "due": clock.now() + 300,
             "fields": {"kind": "escalate", "incident_id": "INC-1", "from_level": 1,
                        "from_round": 0}}
    fields = {"esc_level": 1, "esc_round": 0}
    assert await stores.timers.arm("INC-1", fields=fields, timers=[timer]) == 1
    assert await stores.timers.arm("INC-1", fields={"esc_level": 9}, timers=[timer]) == 0
    assert (await service.get("INC-1")).esc_level == 1  # fields only set when absent
    step = {"from_step": (1, 0), "to_step": (2, 0), "now": clock.now()}
    first = await stores.oncall.escalate("INC-1", "esc:INC-1:0:1",
                                 next_timer=("esc:INC-1:0:2", clock.now() + 600), **step)
    again = await stores.oncall.escalate("INC-1", "esc:INC-1:0:1", next_timer=None, **step)
    assert isinstance(first, Transition) and isinstance(again, Refused)
    assert again.code == "stale"  # already moved on
    inc = await service.get("INC-1")
    assert (inc.esc_level, inc.esc_round) == (2, 0)
    assert await stores.timers.next_timer_due() == clock.now() + 600


async def test_escalate_refuses_after_ack_and_while_snoozed(store, service, clock, stores):
    await service.declare(new("a"))
    await service.declare(new("b"))
    for n in ("INC-1", "INC-2"):
        await stores.timers.arm(n, fields={"esc_level": 1, "esc_round": 0}, timers=[])
    await service.acknowledge("INC-1", "UBOB")
    # A snooze needs an acknowledged incident now; one snoozed while unacknowledged (before
    # that rule) still never escalates.
    await store.redis.hset(store.keys.incident("INC-2"), "snoozed_until", clock.now() + 600)
    kw = {"from_step": (1, 0), "to_step": (2, 0), "next_timer": None, "now": clock.now()}
    assert (await stores.oncall.escalate("INC-1", "t1", **kw)).code == "stale"
    assert (await stores.oncall.escalate("INC-2", "t2", **kw)).code == "snoozed"
    types = [f["type"] for _, f in await events(store)]
    assert EventType.ESCALATED not in types


async def test_sla_breach_once_and_not_when_met(store, service, clock, stores):
    await service.declare(new("slow"))
    await service.declare(new("fast"))
    await service.acknowledge("INC-2", "UBOB")
    breach = await stores.oncall.sla_breach("INC-1", "sla:INC-1:ack", "ack", 15, clock.now())
    twice = await stores.oncall.sla_breach("INC-1", "sla:INC-1:ack", "ack", 15, clock.now())
    met = await stores.oncall.sla_breach("INC-2", "sla:INC-2:ack", "ack", 15, clock.now())
    assert isinstance(breach, Transition) and twice.code == "stale" and met.code == "stale"
    assert (await service.get("INC-1")).sla_ack_breached
    types = [f["type"] for _, f in await events(store)]
    assert types.count(EventType.SLA_BREACHED) == 1


async def test_digest_due_announces_each_day_once(store, clock, stores):
    timers = stores.timers
    assert await timers.arm_timer("digest:DIGEST-2027-01-15", clock.now(), {"kind": "digest"})
    assert not await timers.arm_timer("digest:DIGEST-2027-01-15", clock.now(), {"kind": "digest"})
    first = await timers.digest_due("DIGEST-2027-01-15", "digest:DIGEST-2027-01-15", clock.now())
    second = await timers.digest_due("DIGEST-2027-01-15", "digest:DIGEST-2027-01-15", clock.now())
    assert isinstance(first, Transition) and isinstance(second, Refused)
    assert [f["type"] for _, f in await events(store)] == [EventType.DIGEST_DUE]


async def test_snooze_needs_an_acknowledged_incident_and_says_its_length(service, store, clock):
    await service.declare(new())
    with pytest.raises(RefusalError) as refused:
        await service.snooze("INC-1", "UBOB", 600)
    assert refused.value.refusal.code is RefusalCode.NOT_ACKNOWLEDGED
    assert "`/incident ack INC-1`" in refusal_text(refused.value.refusal)
    assert (await service.get("INC-1")).snoozed_until is None
    await service.acknowledge("INC-1", "UBOB")
    await service.snooze("INC-1", "UBOB", 4 * 3600)
    snoozed = (await service.timeline("INC-1"))[-1]
    # the resolve SLA's deadline goes with the event (its thread reply warns when it is passed)
    inc = await service.get("INC-1")
    created, sla = inc.created_at, service.config.severity(inc.severity).sla_resolve_minutes * 60
    assert snoozed.data == {"until": clock.now() + 4 * 3600, "seconds": 4 * 3600,
                            "resolve_by": created + sla}


async def test_severity_change_stops_or_starts_escalation_in_one_script(store, service, clock):
    await service.declare(new(severity="P3"))
    await store.redis.hset(store.keys.incident("INC-1"), mapping={"esc_level": 1,
                                                                 "esc_round": 0})
    paging = ("P1", "P2", "P3")
    # Lowered to a severity that does not escalate: the level goes, so a due timer is stale.
    await store.set_severity("INC-1", "U1", "P4", clock.now(), SeverityPaging(paging=paging))
    inc = await service.get("INC-1")
    assert inc.esc_level is None
    assert (await service.timeline("INC-1"))[-1].data["escalation"] == "stopped"
    # Raised again: escalation starts from level 2 and, as P4 paged nobody, levels are paged.
    await store.set_severity("INC-1", "U1", "P1", clock.now(), SeverityPaging(2, 2, paging))
    inc = await service.get("INC-1")
    assert (inc.esc_level, inc.esc_round) == (2, 0)
    data = (await service.timeline("INC-1"))[-1].data
    assert data == {"severity": "P1", "previous": "P4", "escalation": "started", "esc_start": 2,
                    "page": 2}
    # P1 -> P2, both paging: nothing starts again, nobody is paged twice.
    await store.set_severity("INC-1", "U1", "P2", clock.now(), SeverityPaging(1, 1, paging))
    assert (await service.timeline("INC-1"))[-1].data == {"severity": "P2", "previous": "P1"}
    # Acknowledged: a raise pages nobody.
    await store.set_severity("INC-1", "U1", "P4", clock.now(), SeverityPaging(paging=paging))
    await service.acknowledge("INC-1", "UBOB")
    await store.set_severity("INC-1", "U1", "P1", clock.now(), SeverityPaging(1, 1, paging))
    assert (await service.timeline("INC-1"))[-1].data == {"severity": "P1", "previous": "P4"}


async def test_pages_are_recorded_once_per_cause(store, service, clock):
    await service.declare(new())
    pages = [("UBOB", 1), ("UCAROL", 2)]
    first = await store.record_pages("INC-1", 1, pages, "triggered", clock.now())
    again = await store.record_pages("INC-1", 1, pages, "triggered", clock.now())
    assert isinstance(first, Transition) and isinstance(again, Refused)
    entries = [t for t in await service.timeline("INC-1") if t.type is EventType.PAGED]
    assert len(entries) == 1 and entries[0].actor == "beacon"
    assert entries[0].data == {"pages": [{"user": "UBOB", "level": 1},
                                         {"user": "UCAROL", "level": 2}],
                               "cause": 1, "why": "triggered"}
    types = [f["type"] for _, f in await events(store)]
    assert types.count(EventType.PAGED) == 1  # in the outbox too: the seq stays gapless


async def test_severity_change_moves_the_sla_timers_to_its_deadlines(service, store, clock,
                                                                     stores):
    """P3 → P1: the armed SLA timers move to P1's deadlines in the same script, so the ack
    breach fires at P1's (what the card shows), not P3's an hour later."""
    inc = await service.declare(new(severity="P3"))  # P3: ack within 60 min, resolve 3 d
    start = inc.created_at
    await stores.timers.arm("INC-1", fields={}, timers=sla_rearm("INC-1", 60, 3 * 1440, start))
    scheduler = scheduler_for(stores, clock)
    await clock.advance(3 * 60)
    await service.set_severity("INC-1", "UALICE", "P1")  # P1: ack within 5 min, resolve 4 h
    due = dict(await store.redis.zrange(stores.keys.timers(), 0, -1, withscores=True))
    assert due == {"sla:INC-1:ack": start + 5 * 60, "sla:INC-1:resolve": start + 240 * 60}
    assert (await stores.timers.timer("sla:INC-1:ack"))["minutes"] == "5"
    await clock.advance(60)
    assert await scheduler.tick() == 0  # 4 min in: not yet
    await clock.advance(61)
    assert await scheduler.tick() == 1  # 5 min in: P1's ack deadline
    breach = (await service.timeline("INC-1"))[-1]
    assert (breach.type, breach.data) == (EventType.SLA_BREACHED, {"kind": "ack", "minutes": 5})
    # Lowered to P3 while its ack deadline is still ahead: the breach is lifted and the timer
    # armed again at P3's deadline; the resolve SLA moves too.
    await service.set_severity("INC-1", "UALICE", "P3")
    assert not (await service.get("INC-1")).sla_ack_breached
    due = dict(await store.redis.zrange(stores.keys.timers(), 0, -1, withscores=True))
    assert due == {"sla:INC-1:ack": start + 60 * 60, "sla:INC-1:resolve": start + 3 * 86400}
    # Acknowledged: a change moves only the resolve SLA (the ack SLA is met).
    await service.acknowledge("INC-1", "UBOB")
    await service.set_severity("INC-1", "UALICE", "P2")
    due = dict(await store.redis.zrange(stores.keys.timers(), 0, -1, withscores=True))
    assert due == {"sla:INC-1:resolve": start + 480 * 60}


async def test_a_claimed_sla_timer_moved_by_a_severity_change_does_not_fire(
    service, store, clock, stores
):
    inc = await service.declare(new(severity="P3"))
    await stores.timers.arm("INC-1", fields={},
                            timers=sla_rearm("INC-1", 60, 3 * 1440, inc.created_at))
    await clock.advance(61 * 60)
    claimed = await stores.timers.claim_timers(clock.now(), 60)
    assert "sla:INC-1:ack" in claimed
    fields = await stores.timers.timer("sla:INC-1:ack")  # read by the claimer, as P3's
    await service.set_severity("INC-1", "UALICE", "P4")  # P4: 4 h, still ahead
    fired = await stores.oncall.sla_breach("INC-1", "sla:INC-1:ack", "ack",
                                           int(fields["minutes"]), clock.now())
    assert isinstance(fired, Refused) and fired.details == ("moved",)
    assert await store.redis.zscore(stores.keys.timers(), "sla:INC-1:ack") == \
        inc.created_at + 240 * 60  # the moved timer stays armed


async def test_severity_change_after_a_reopen_rebuilds_its_round_timers(service, store, clock,
                                                                      stores):
    await service.declare(new(severity="P3"))
    await service.resolve("INC-1", "UBOB", "")
    await clock.advance(600)
    await stores.channels.reopen("INC-1", "UBOB", clock.now(), 1)  # back to TRIGGERED
    reopened = await service.get("INC-1")
    assert reopened.epoch
    await service.set_severity("INC-1", "UALICE", "P1")
    ids = set(await store.redis.zrange(stores.keys.timers(), 0, -1))
    tail = f":o{reopened.epoch}"
    assert ids == {"sla:INC-1:ack" + tail, "sla:INC-1:resolve" + tail}
    assert await store.redis.zscore(stores.keys.timers(), "sla:INC-1:ack" + tail) == \
        reopened.reopened_at + 5 * 60  # from the reopen, as the card says
    # Ids built for an earlier round are refused: the service builds them again.
    stale = sla_rearm("INC-1", 5, 240, reopened.created_at)
    refused = await store.set_severity("INC-1", "U1", "P2", clock.now(), sla=stale, epoch="")
    assert isinstance(refused, Refused) and refused.code == "moved"
    assert (await service.get("INC-1")).severity == "P1"
