"""The one table from event type to the handlers that say what Slack shows for it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from app.domain.models import Event, EventType, Incident
from app.notifier.handlers.approvals import ApprovalNotifier, InvestigationNotifier
from app.notifier.handlers.channels import IncidentChannels
from app.notifier.handlers.digest import post_digest
from app.notifier.handlers.investigations import post_investigation_update
from app.notifier.handlers.oncall import Pager
from app.notifier.handlers.record import RecordNotifier
from app.notifier.handlers.runbooks import RunbookRunner

if TYPE_CHECKING:
    from app.notifier.engine import Notifier

Handler = Callable[["Notifier", Incident, Event, bool], Awaitable[None]]


# --- adapters: each handler's own entry point, one signature -----------------------------
async def card(n: Notifier, i: Incident, e: Event, r: bool) -> None:
    await n.cards.post_card(i, e, r)


async def reply(n: Notifier, i: Incident, e: Event, r: bool) -> None:
    if e.type is EventType.INVESTIGATION and n.config.investigations.updates_channel:
        await post_investigation_update(n, i, e, redelivered=r)
    else:
        await n.cards.reply(i, e, r)


async def refresh(n: Notifier, i: Incident, e: Event, r: bool) -> None:
    await n.cards.refresh(i, e, r)


async def dm_assignee(n: Notifier, i: Incident, e: Event, r: bool) -> None:
    await n.cards.dm_assignee(i, e, r)


async def paged(n: Notifier, i: Incident, e: Event, r: bool) -> None:
    await Pager(n).on_triggered(i, e)


async def escalated(n: Notifier, i: Incident, e: Event, r: bool) -> None:
    await Pager(n).on_escalated(i, e)


async def woke(n: Notifier, i: Incident, e: Event, r: bool) -> None:
    await Pager(n).on_unsnoozed(i, e)


async def sla_breached(n: Notifier, i: Incident, e: Event, r: bool) -> None:
    await Pager(n).on_sla_breached(i, e)


async def reopened(n: Notifier, i: Incident, e: Event, r: bool) -> None:
    await Pager(n).on_reopened(i, e)


async def channel(n: Notifier, i: Incident, e: Event, r: bool) -> None:
    await IncidentChannels(n).apply(i, e, redelivered=r)


async def runbook_triggers(n: Notifier, i: Incident, e: Event, r: bool) -> None:
    await RunbookRunner(n).start_matching(i, e)


async def runbook(n: Notifier, i: Incident, e: Event, r: bool) -> None:
    await RunbookRunner(n).apply(i, e, redelivered=r)


async def record(n: Notifier, i: Incident, e: Event, r: bool) -> None:
    await RecordNotifier(n).apply(i, e)


# After the reply: the incident channel, runbooks, the record, then every message showing it.
_AFTER = (channel, runbook_triggers, record, refresh)

EVENT_HANDLERS: dict[EventType, tuple[Handler, ...]] = {
    EventType.TRIGGERED: (card, paged, channel, runbook_triggers, record, dm_assignee),
    EventType.ACKNOWLEDGED: (reply, *_AFTER),
    EventType.RESOLVED: (reply, *_AFTER),
    EventType.SNOOZED: (reply, *_AFTER),
    EventType.UNSNOOZED: (reply, woke, *_AFTER),
    EventType.NOTE_ADDED: (reply, *_AFTER),
    EventType.ASSIGNED: (reply, *_AFTER, dm_assignee),
    EventType.SEVERITY_CHANGED: (reply, *_AFTER),
    EventType.ESCALATED: (escalated, *_AFTER),
    EventType.SLA_BREACHED: (sla_breached, *_AFTER),
    EventType.REFIRED: (reply, *_AFTER),
    EventType.INVESTIGATION: (reply, *_AFTER),
    EventType.STATUS_UPDATE: _AFTER,
    EventType.UPDATE_REMINDER: _AFTER,
    EventType.REOPENED: (reopened, *_AFTER),
    EventType.CHANNEL_ARCHIVE_WARNING: _AFTER,
    EventType.CHANNEL_ARCHIVED: _AFTER,
    EventType.TIMELINE_REQUESTED: _AFTER,
    EventType.FOLLOWUP_ADDED: _AFTER,
    EventType.FOLLOWUP_DONE: _AFTER,
    EventType.RETRO_SCHEDULED: _AFTER,
    EventType.ROLE_ASSIGNED: _AFTER,
    EventType.ROLES_UNCLAIMED: _AFTER,
    EventType.MESSAGE_PINNED: _AFTER,
    EventType.RUNBOOK_STEP: (runbook,),
    EventType.RUNBOOK_STEP_DONE: (runbook,),
    EventType.RUNBOOK_STEP_FAILED: (runbook,),
}
# Events about something other than an incident: (notifier, event, redelivered).
OTHER_HANDLERS: dict[EventType, Callable[[Notifier, Event, bool], Awaitable[None]]] = {
    EventType.DIGEST_DUE: lambda n, e, r: post_digest(n, e, n.digest) if n.digest else _none(),
    EventType.APPROVAL_REQUESTED: lambda n, e, r: ApprovalNotifier(n).apply(e, redelivered=r),
    EventType.APPROVAL_DECIDED: lambda n, e, r: ApprovalNotifier(n).apply(e, redelivered=r),
    EventType.APPROVAL_EXPIRED: lambda n, e, r: ApprovalNotifier(n).apply(e, redelivered=r),
    EventType.INVESTIGATION_POSTED: lambda n, e, r: InvestigationNotifier(n).apply(
        e, redelivered=r),
    EventType.INVESTIGATION_VOTED: lambda n, e, r: InvestigationNotifier(n).apply(
        e, redelivered=r),
}


async def _none() -> None:
    return None


async def apply_event(n: Notifier, event: Event, redelivered: bool) -> None:
    other = OTHER_HANDLERS.get(event.type)
    if other is not None:
        await other(n, event, redelivered)
        return
    incident = await n.store.get(event.incident_id)
    for handler in EVENT_HANDLERS.get(event.type, ()):
        if incident is None:
            return
        await handler(n, incident, event, redelivered)
        # Handlers record what they posted on the incident: the next one sees it.
        incident = await n.store.get(event.incident_id)
