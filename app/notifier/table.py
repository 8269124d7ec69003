"""The one table from event type to the handlers that say what Slack shows for it.

Handlers run in the order listed, each seeing the incident as the previous one left it (a card
posted, a channel created). They write to Slack only through the notifier's poster.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from weakref import WeakKeyDictionary

from app.domain.models import Event, EventType, Incident
from app.notifier.context import Delivery
from app.notifier.handlers.approvals import ApprovalNotifier, InvestigationNotifier
from app.notifier.handlers.cards import Cards
from app.notifier.handlers.channels import IncidentChannels
from app.notifier.handlers.declared import DeclareConfirmation
from app.notifier.handlers.digest import post_digest
from app.notifier.handlers.investigations import post_investigation_update
from app.notifier.handlers.oncall import Pager
from app.notifier.handlers.record import RecordNotifier
from app.notifier.handlers.runbooks import RunbookRunner

# A handler may return the incident as it left it, or True: "I changed the incident" (the next
# ones read it again).
Handler = Callable[[Delivery, Incident, Event, bool], Awaitable[Incident | bool | None]]
OtherHandler = Callable[[Delivery, Event, bool], Awaitable[None]]


# Handler objects hold no state of their own: one per engine and class, not one per event.
_INSTANCES: WeakKeyDictionary[Delivery, dict[type, object]] = WeakKeyDictionary()


def _instance(n: Delivery, cls: type) -> object:
    made = _INSTANCES.setdefault(n, {})
    if cls not in made:
        made[cls] = cls(n)
    return made[cls]


def via(cls: type, method: str) -> Handler:
    """A handler calling `cls(notifier).method(incident, event, redelivered)`."""

    async def handler(
        n: Delivery, incident: Incident, event: Event, redelivered: bool
    ) -> Incident | bool | None:
        target: Any = n.cards if cls is Cards else _instance(n, cls)
        return await getattr(target, method)(incident, event, redelivered)

    handler.__qualname__ = f"{cls.__name__}.{method}"
    handler.target = (cls, method)  # type: ignore[attr-defined]
    return handler


async def reply(n: Delivery, incident: Incident, event: Event, redelivered: bool) -> None:
    """The card thread reply; investigation updates go to their own channel when configured."""
    if event.type is EventType.INVESTIGATION and n.config.investigations.updates_channel:
        await post_investigation_update(n, incident, event, redelivered=redelivered)
    else:
        await n.cards.reply(incident, event, redelivered)


card = via(Cards, "post_card")
paged = via(Pager, "on_triggered")
channel_opened = via(IncidentChannels, "on_triggered")
refresh = via(Cards, "refresh")  # every message that shows the incident, re-rendered
dm_assignee = via(Cards, "dm_assignee")
topic = via(IncidentChannels, "topic")
runbooks = via(RunbookRunner, "start_matching")
# After a state change: runbooks that start on it, and every message showing the incident.
STATE = (runbooks, refresh)

EVENT_HANDLERS: dict[EventType, tuple[Handler, ...]] = {
    EventType.TRIGGERED: (
        card, via(DeclareConfirmation, "on_triggered"), paged, channel_opened, runbooks,
        via(RecordNotifier, "on_triggered"), dm_assignee,
    ),
    EventType.ACKNOWLEDGED: (reply, topic, *STATE),
    EventType.RESOLVED: (reply, topic, via(IncidentChannels, "resolved"), *STATE),
    EventType.SNOOZED: (reply, topic, *STATE),
    EventType.UNSNOOZED: (reply, topic, via(Pager, "on_unsnoozed"), *STATE),
    EventType.ASSIGNED: (reply, topic, *STATE, dm_assignee),
    EventType.SEVERITY_CHANGED: (reply, via(Pager, "on_severity_changed"), topic,
                                 via(RecordNotifier, "severity_changed"), *STATE),
    # "reopened by" first, then who was paged again: the thread reads in the order it happened
    EventType.REOPENED: (via(IncidentChannels, "reopened"), via(Pager, "on_reopened"), topic,
                         *STATE),
    EventType.ESCALATED: (via(Pager, "on_escalated"), runbooks, refresh),
    EventType.NOTE_ADDED: (reply, refresh),
    EventType.REFIRED: (reply, refresh),
    EventType.ALERTS_CHANGED: (reply, refresh),  # no page: the incident already paged
    EventType.ALERTS_SEEN: (refresh,),  # a repeat: the card's "last notified", quietly
    EventType.INVESTIGATION: (reply, refresh),
    EventType.SLA_BREACHED: (via(Pager, "on_sla_breached"), refresh),
    EventType.STATUS_UPDATE: (via(IncidentChannels, "status_update"), refresh),
    EventType.UPDATE_REMINDER: (via(IncidentChannels, "update_reminder"),),
    EventType.CHANNEL_ARCHIVE_WARNING: (via(IncidentChannels, "archive_warning"),),
    EventType.CHANNEL_ARCHIVED: (via(IncidentChannels, "archived"), refresh),
    EventType.TIMELINE_REQUESTED: (via(IncidentChannels, "timeline_requested"),),
    EventType.FOLLOWUP_ADDED: (via(RecordNotifier, "followup_added"),),
    EventType.FOLLOWUP_DONE: (via(RecordNotifier, "followup_done"),),
    EventType.RETRO_SCHEDULED: (via(RecordNotifier, "retro_scheduled"),),
    EventType.ROLE_ASSIGNED: (via(RecordNotifier, "role_assigned"),),
    EventType.ROLES_UNCLAIMED: (via(RecordNotifier, "roles_unclaimed"),),
    EventType.MESSAGE_PINNED: (via(RecordNotifier, "message_pinned"),),
    EventType.RUNBOOK_STEP: (via(RunbookRunner, "run_step"),),
    EventType.PAGED: (),  # in the timeline: the pages themselves went out with their cause
    EventType.RUNBOOK_STEP_DONE: (),  # in the timeline; the next step is its own event
    EventType.RUNBOOK_STEP_FAILED: (via(RunbookRunner, "announce_failure"),),
}


async def _digest(n: Delivery, event: Event, redelivered: bool) -> None:
    if n.digest is not None:
        await post_digest(n, event, n.digest)


async def _approval_requested(n: Delivery, event: Event, redelivered: bool) -> None:
    await ApprovalNotifier(n).posted(event, redelivered)


async def _approval_changed(n: Delivery, event: Event, redelivered: bool) -> None:
    await ApprovalNotifier(n).changed(event, redelivered)


async def _investigation_posted(n: Delivery, event: Event, redelivered: bool) -> None:
    await InvestigationNotifier(n).posted(event, redelivered)


async def _investigation_voted(n: Delivery, event: Event, redelivered: bool) -> None:
    await InvestigationNotifier(n).voted(event, redelivered)


# Events about something other than an incident (their stream id field holds its id).
OTHER_HANDLERS: dict[EventType, OtherHandler] = {
    EventType.DIGEST_DUE: _digest,
    EventType.APPROVAL_REQUESTED: _approval_requested,
    EventType.APPROVAL_DECIDED: _approval_changed,
    EventType.APPROVAL_EXPIRED: _approval_changed,
    EventType.INVESTIGATION_POSTED: _investigation_posted,
    EventType.INVESTIGATION_VOTED: _investigation_voted,
}


async def apply_event(
    n: Delivery, event: Event, redelivered: bool, incident: Incident | None = None
) -> None:
    """Run the event's row; `incident` is the state it starts from when the caller read it."""
    other = OTHER_HANDLERS.get(event.type)
    if other is not None:
        await other(n, event, redelivered)
        return
    if incident is None:
        incident = await n.incidents.get(event.incident_id)
    for handler in EVENT_HANDLERS[event.type]:
        if incident is None:
            return
        changed = await handler(n, incident, event, redelivered)
        if isinstance(changed, Incident):  # the next ones see the incident as it left it
            incident = changed
        elif changed:  # it changed the incident in Redis: read again
            incident = await n.incidents.get(event.incident_id)
