"""alerts.lua through IntakeService.alerts, on a real redis-server: one incident per group,
repeats quiet, partial and full resolves, re-fires, the card's capped list, races."""

from __future__ import annotations

import asyncio
import json

from app.config.retention import RetentionConfig
from app.domain.alert_list import CARD_ALERTS
from app.domain.alerts import AlertNotification, SeenAlert
from app.domain.incidents import IncidentService
from app.domain.intake import IntakeService
from app.domain.models import EventType, NewIncident, Status
from app.domain.retention import IncidentRetention
from app.notifier.table import EVENT_HANDLERS
from app.store.incidents import IncidentStore
from tests.test_intake_transitions import intake, store
from views.alerts import alert_blocks, alerts_changed_text

START = "2027-01-15T08:00:00Z"


__all__ = ["intake", "store"]  # fixtures: an IntakeService on a real redis-server


def seen(n: int, firing: bool = True, starts: str = START) -> SeenAlert:
    return SeenAlert(f"fp{n}", firing, starts, 1.8e9, 0.0 if firing else 1.8e9 + 60, f"db{n}")


def group(*alerts: SeenAlert, key: str = "am:group:disk", closing: bool = False,
          not_shown: int = 0, truncated: int = 0) -> AlertNotification:
    new = NewIncident(title="DiskFull", severity="P3", reporter="api:am")
    return AlertNotification(key, new, tuple(alerts), closing, not_shown, truncated)


async def events(store: IncidentStore) -> list[tuple[str, dict]]:
    rows = await store.redis.xrange(store.keys.events())
    return [(f["type"], json.loads(f["data"])) for _, f in rows]


async def apply(intake: IntakeService, note: AlertNotification):
    return await intake.alerts(note, annotate=False, done_text="all resolved", done_note="am")


async def test_group_firing_repeat_partial_resolve_then_resolve(intake, store):
    first = await apply(intake, group(seen(1), seen(2), seen(3)))
    assert first.action == "declared" and first.applied.incident_id == "INC-1"
    assert first.applied.actions == ("declared",) * 3
    incident = await intake.incidents.get("INC-1")
    assert incident.dedup_key == "am:group:disk" and incident.fired_count == 3
    assert incident.alerts and (incident.alerts.firing, incident.alerts.resolved) == (3, 0)
    assert [a.name for a in incident.alerts.shown] == ["db1", "db2", "db3"]
    # the keys alerts.lua builds are the ones keys.py names
    k = store.keys
    assert await store.redis.hlen(k.incident_alerts("INC-1")) == 3
    assert await store.redis.zcard(k.incident_alerts_firing("INC-1")) == 3
    # Alertmanager repeats the group (same startsAt): quiet, counted nowhere
    again = await apply(intake, group(seen(1), seen(2), seen(3)))
    assert again.action == "updated" and again.applied.actions == ("repeat",) * 3
    assert (await intake.incidents.get("INC-1")).fired_count == 3
    assert [t for t, _ in await events(store)] == [EventType.TRIGGERED, EventType.ALERTS_SEEN]
    # one alert resolves: said once, the list updated
    partial = await apply(intake, group(seen(1, False), seen(2), seen(3)))
    assert partial.applied.actions == ("resolved", "repeat", "repeat")
    etype, data = (await events(store))[-1]
    assert etype == EventType.ALERTS_CHANGED
    assert alerts_changed_text(data) == "✅ 1 alert resolved: db1 · 2 still firing"
    incident = await intake.incidents.get("INC-1")
    assert incident.alerts and (incident.alerts.firing, incident.alerts.resolved) == (2, 1)
    assert [(a.name, a.firing) for a in incident.alerts.shown] == [
        ("db2", True), ("db3", True), ("db1", False)]
    again = await apply(intake, group(seen(1, False), seen(2), seen(3)))  # said once only
    assert again.applied.actions == ("repeat",) * 3
    assert (await events(store))[-1][0] == EventType.ALERTS_SEEN
    # the group resolved: the incident is resolved, and only the resolve says so
    done = await apply(intake, group(seen(1, False), seen(2, False), seen(3, False),
                                     closing=True))
    assert done.action == "resolved"
    incident = await intake.incidents.get("INC-1")
    assert incident.status is Status.RESOLVED and incident.resolution_note == "am"
    (changed, data), (resolved, _) = (await events(store))[-2:]
    assert (changed, resolved) == (EventType.ALERTS_CHANGED, EventType.RESOLVED)
    assert alerts_changed_text(data) is None
    # the group firing later is a new incident: the next number
    later = await apply(intake, group(seen(1, starts="2027-01-15T09:00:00Z")))
    assert later.applied.incident_id == "INC-2" and later.action == "declared"


async def test_refire_with_a_new_starts_at_and_a_new_alert_joining(intake, store):
    await apply(intake, group(seen(1), seen(2)))
    await apply(intake, group(seen(1, False), seen(2)))
    out = await apply(intake, group(seen(1, starts="2027-01-15T09:00:00Z"), seen(2), seen(4)))
    assert out.applied.actions == ("refired", "repeat", "joined")
    _, data = (await events(store))[-1]
    assert alerts_changed_text(data) == "🔔 1 alert joined: db4\n🔁 1 alert fired again: db1"
    incident = await intake.incidents.get("INC-1")
    assert incident.fired_count == 4 and incident.alerts and incident.alerts.firing == 3
    again = await apply(intake, group(seen(1, starts="2027-01-15T09:00:00Z"), seen(2), seen(4)))
    assert again.applied.actions == ("repeat",) * 3


async def test_the_card_lists_a_capped_list_and_counts_the_rest(intake, store):
    alerts = [seen(n) for n in range(30)] + [seen(n, False) for n in range(30, 35)]
    await apply(intake, group(*alerts, not_shown=2800, truncated=100))
    incident = await intake.incidents.get("INC-1")
    assert incident.alerts and (incident.alerts.firing, incident.alerts.resolved) == (30, 5)
    assert len(incident.alerts.shown) == CARD_ALERTS
    text = alert_blocks(incident)[0]["text"]["text"]
    assert text.startswith("*Alerts:* 30 firing · 5 resolved\n🔴 db0")
    assert "+25 more" in text
    assert ("… and 2,900 more alerts not shown (2,800 over alertmanager.max_alerts, "
            "100 truncated by Alertmanager)") in text
    # said in the thread after the card, once: a repeat with the same counts says nothing
    (t1, _), (t2, data) = await events(store)
    assert (t1, t2) == (EventType.TRIGGERED, EventType.ALERTS_CHANGED)
    assert alerts_changed_text(data) == (
        "… and 2,900 more alerts not shown (2,800 over alertmanager.max_alerts, 100 truncated "
        "by Alertmanager)")
    await apply(intake, group(*alerts, not_shown=2800, truncated=100))
    assert (await events(store))[-1][0] == EventType.ALERTS_SEEN


async def test_resolved_news_of_nothing_open_declares_nothing(intake, store):
    out = await apply(intake, group(seen(1, False), closing=True))
    assert out.action == "no_open_incident" and out.applied.actions == ("no_open_incident",)
    assert await store.redis.get(store.keys.incident_seq()) is None
    assert await events(store) == []


async def test_racing_first_notifications_declare_once_and_burn_no_numbers(intake, store):
    await asyncio.gather(*(store.redis.ping() for _ in range(40)))  # open connections: a race
    outs = await asyncio.gather(*(apply(intake, group(seen(1), seen(2))) for _ in range(20)))
    assert sorted(o.action for o in outs) == ["declared"] + ["updated"] * 19
    assert {o.applied.incident_id for o in outs} == {"INC-1"}
    others = await asyncio.gather(*(apply(intake, group(seen(1), key=f"am:group:{n}"))
                                    for n in range(5)))
    assert sorted(o.applied.incident_id for o in others) == [f"INC-{n}" for n in range(2, 7)]
    assert await store.redis.get(store.keys.incident_seq()) == "6"


def test_a_repeat_neither_replies_nor_pages():
    seen_row = {getattr(h, "__qualname__", "") for h in EVENT_HANDLERS[EventType.ALERTS_SEEN]}
    changed_row = {getattr(h, "__qualname__", "") for h in EVENT_HANDLERS[EventType.ALERTS_CHANGED]}
    assert seen_row == {"Cards.refresh"}
    assert not any("Pager" in name for name in changed_row)


async def test_retention_removes_the_alert_list_with_the_incident(store, config, clock):
    kept = config.model_copy(update={"retention": RetentionConfig(resolved_days=5)})
    intake = IntakeService(IncidentService(store, kept, clock), store)
    await apply(intake, group(seen(1), seen(2)))
    await apply(intake, group(seen(1, False), seen(2, False), closing=True))
    assert await store.redis.exists(store.keys.incident_alerts_resolved("INC-1"))
    await clock.advance(10 * 86400)
    assert await IncidentRetention(store, kept.retention, clock).sweep() == 1
    assert [k async for k in store.redis.scan_iter(match="*:INC-1:*")] == []
