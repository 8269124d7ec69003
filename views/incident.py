"""The incident card and the text of its thread replies."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from app.config import BeaconConfig
from app.domain import timers
from app.domain.listing import IncidentPage
from app.domain.models import Event, EventType, Incident, Status
from views import alerts, templates
from views.blocks import (
    Block,
    actions,
    button,
    context,
    field,
    header,
    option,
    plain_text,
    section,
)
from views.context import CardAction, IncidentRef, SnoozeChoice
from views.ids import ActionId, BlockId, CardVerb, OptionValue
from views.mrkdwn import date_ago, date_time, escape, format_duration, truncate, user

SNOOZE_CHOICES = (("15 minutes", 900), ("30 minutes", 1800), ("1 hour", 3600), ("4 hours", 14400))
SEVERITY_EMOJI = {"HIGH": "🔴", "MEDIUM": "🟡", "LOW": "🔵"}


class CardState(StrEnum):
    """What the card shows at a glance: its colour bar and header emoji follow this."""

    TRIGGERED = "triggered"
    ACKNOWLEDGED = "acknowledged"
    SNOOZED = "snoozed"
    RESOLVED = "resolved"


STATE_COLOUR = {
    CardState.TRIGGERED: "#E01E5A",  # red
    CardState.ACKNOWLEDGED: "#ECB22E",  # amber
    CardState.SNOOZED: "#9E9EA6",  # grey
    CardState.RESOLVED: "#2EB67D",  # green
}
STATE_EMOJI = {
    CardState.TRIGGERED: "🔴",
    CardState.ACKNOWLEDGED: "🟠",
    CardState.SNOOZED: "💤",
    CardState.RESOLVED: "✅",
}


def card_state(incident: Incident, now: float) -> CardState:
    if incident.status is Status.RESOLVED:
        return CardState.RESOLVED
    if incident.snoozed_at(now):
        return CardState.SNOOZED
    if incident.status is Status.ACKNOWLEDGED:
        return CardState.ACKNOWLEDGED
    return CardState.TRIGGERED


def status_text(incident: Incident, now: float) -> str:
    """The Status field: what the incident is doing, by whom, since when."""
    match card_state(incident, now):
        case CardState.RESOLVED:
            took = format_duration((incident.resolved_at or incident.created_at)
                                   - incident.created_at)
            return f"Resolved ✓ by {user(incident.resolved_by)} after {took}"
        case CardState.SNOOZED:
            return f"Snoozed until {date_time(incident.snoozed_until or now)}"
        case CardState.ACKNOWLEDGED:
            since = f" {date_ago(incident.acknowledged_at)}" if incident.acknowledged_at else ""
            return f"Acknowledged ✓ by {user(incident.acknowledged_by)}{since}"
    return f"Triggered {date_ago(sla_start(incident))}"


def sla_start(incident: Incident) -> float:
    """Where the SLA timers Beacon enforces started: the trigger, or the last reopen (which
    re-arms them; see Pager.on_reopened and app/domain/timers.sla_timer)."""
    return timers.sla_start(incident.created_at, incident.reopened_at)


def sla_deadline(incident: Incident, config: BeaconConfig, kind: str) -> float:
    """The deadline the armed SLA timer enforces: a severity change moves the timers to the
    new severity's minutes (severity.lua), so the current severity's apply."""
    sev = config.severity(incident.severity)
    minutes = sev.sla_ack_minutes if kind == "ack" else sev.sla_resolve_minutes
    return sla_start(incident) + minutes * 60


def sla_text(incident: Incident, config: BeaconConfig) -> str:
    """The SLA field: the deadline that applies now, or since when it is overdue (the SLA
    timer has fired: its breach event re-renders the card)."""
    if incident.status is Status.RESOLVED:
        late = [k for k, hit in (("ack", incident.sla_ack_breached),
                                 ("resolve", incident.sla_resolve_breached)) if hit]
        return "⚠️ Missed: " + " and ".join(late) if late else "Met ✓"
    kind = "ack" if incident.status is Status.TRIGGERED else "resolve"
    due = date_time(sla_deadline(incident, config, kind))
    breached = incident.sla_ack_breached if kind == "ack" else incident.sla_resolve_breached
    if breached:
        return f"⚠️ {kind.capitalize()} overdue since {due}"
    return f"{kind.capitalize()} by {due}"


def snooze_select(incident_id: str) -> dict[str, Any]:
    options = [
        option(label, SnoozeChoice(incident_id=incident_id, seconds=seconds).dump())
        for label, seconds in SNOOZE_CHOICES
    ]
    options.append(option("Custom…", SnoozeChoice(incident_id=incident_id).dump()))
    return {
        "type": "static_select",
        "action_id": ActionId.SNOOZE,
        "placeholder": plain_text("Snooze"),
        "options": options,
    }


MORE_CHOICES = (
    ("Reassign…", CardVerb.REASSIGN),
    ("Add note…", CardVerb.NOTE),
    ("Change severity…", CardVerb.SEVERITY),
    ("Escalate now…", CardVerb.ESCALATE),
    ("Post update…", CardVerb.UPDATE),
)


def more_menu(incident_id: str) -> dict[str, Any]:
    """The card's More ⋯ overflow menu (Slack allows 1 to 5 options: these are 5)."""
    options = [
        option(label, CardAction(incident_id=incident_id, verb=verb).dump())
        for label, verb in MORE_CHOICES
    ]
    return {"type": "overflow", "action_id": ActionId.MORE, "options": options}


def declared_text(incident: Incident) -> str:
    """What the person who declared is told (the card goes to its channel on its own)."""
    return f"Declared *{incident.id}* ({incident.severity}): {escape(incident.title)}."


def severity_name(incident: Incident, config: BeaconConfig) -> str:
    """'P1 · Critical': the severity spelled out, so P1 and P2 never look alike."""
    return f"{incident.severity} · {config.severity(incident.severity).label}"


def incident_title(incident: Incident, config: BeaconConfig, *, now: float) -> str:
    """The header: the status emoji, the severity, the title."""
    prefix = f"{STATE_EMOJI[card_state(incident, now)]} {incident.severity} · "
    return truncate(prefix + incident.title, 150)


def fallback_text(incident: Incident, config: BeaconConfig) -> str:
    """The notification text (and what clients without Block Kit show)."""
    sev = config.severity(incident.severity)
    status = incident.status.value.lower()
    return f"{incident.id} [{incident.severity} {sev.label}] {escape(incident.title)} — {status}"


def _card_body(incident: Incident, config: BeaconConfig, *, now: float) -> list[Block]:
    """Everything under the header: summary, fields, footer."""
    service = config.services.get(incident.service or "")
    summary = f"*{incident.id}*"
    if incident.description:
        summary += "\n" + escape(truncate(incident.description, 2500))
    fields = [
        field("Status", status_text(incident, now)),
        field("Severity", severity_name(incident, config)),
        field("Service", escape(service.name) if service else "—"),
        field("Assignee", user(incident.assignee)),
        field("SLA", sla_text(incident, config)),
    ]
    if incident.esc_level and incident.is_open:
        again = f" (round {incident.esc_round + 1})" if incident.esc_round else ""
        fields.append(field("Escalation", f"Level {incident.esc_level}{again}"))
    footer = f"Reported by {user(incident.reporter)} · opened {date_ago(incident.created_at)}"
    if incident.reopened_at and incident.is_open:
        footer += f" · reopened {date_ago(incident.reopened_at)}"
    if incident.source_permalink:
        footer += f" · from <{incident.source_permalink}|this message>"
    if incident.incident_channel:  # the dedicated channel
        footer += f" · Channel <#{incident.incident_channel}>"
    return [
        section(summary, block_id=BlockId.SUMMARY),
        section(block_id=BlockId.FIELDS, fields=fields),
        *alerts.alert_blocks(incident),
        context(footer, block_id=BlockId.CONTEXT),
    ]


def card_actions(incident: Incident, *, reopen: bool = True) -> Block | None:
    """The card's buttons: open incidents are acted on, a resolved one can be reopened (from
    the channel's card; a page DM's work ends with the resolve). Snooze shows once someone has
    acknowledged (snoozed included): snooze.lua refuses it before, and a stale card's click
    is told why."""
    ref = IncidentRef(incident_id=incident.id).dump()
    elements: list[dict[str, Any]] = []
    if incident.status is Status.TRIGGERED:
        elements.append(button("Acknowledge", ActionId.ACK, ref, style="primary", emoji=True))
    if incident.is_open:
        elements.append(button("Resolve", ActionId.RESOLVE, ref, style="danger", emoji=True))
        if incident.status is Status.ACKNOWLEDGED:
            elements.append(snooze_select(incident.id))
    elif reopen:
        elements.append(button("Reopen", ActionId.REOPEN, ref, emoji=True))
    if incident.permalink:
        elements.append(button("View", ActionId.VIEW, ref, url=incident.permalink, emoji=True))
    if incident.is_open:
        elements.append(more_menu(incident.id))
    return actions(elements, block_id=BlockId.ACTIONS) if elements else None


def _head_and_body(
    incident: Incident, config: BeaconConfig, *, now: float
) -> tuple[list[Block], list[Block]]:
    """(header blocks, body blocks); a configured card template replaces both."""
    template = templates.render("card", config, incident=incident)
    if template:
        return template, []
    head = [header(incident_title(incident, config, now=now), block_id=BlockId.HEADER,
                   emoji=True)]
    return head, _card_body(incident, config, now=now)


def card_blocks(
    incident: Incident, config: BeaconConfig, *, now: float, reopen: bool = True
) -> list[dict[str, Any]]:
    """The whole card as one list of blocks (DMs, `/incident show`, the Details modal)."""
    head, body = _head_and_body(incident, config, now=now)
    buttons = card_actions(incident, reopen=reopen)
    return [*head, *body, *([buttons] if buttons else [])]


def card_message(incident: Incident, config: BeaconConfig, *, now: float) -> dict[str, Any]:
    """The card as chat.postMessage / chat.update take it.

    Slack shows a message's top-level `text` as its body unless the message has top-level
    `blocks`; then `text` is only the notification fallback. So the header goes in top-level
    `blocks` (the title shows once) and the rest in one attachment, whose left bar carries the
    status colour (blocks alone have no colour bar).
    """
    head, body = _head_and_body(incident, config, now=now)
    attachment = {
        "color": STATE_COLOUR[card_state(incident, now)],
        "fallback": fallback_text(incident, config),
        "blocks": [*body, *filter(None, [card_actions(incident)])],
    }
    return {"text": fallback_text(incident, config), "blocks": head, "attachments": [attachment]}


def card_attachments(
    incident: Incident, config: BeaconConfig, *, now: float
) -> list[dict[str, Any]]:
    """The whole card as one attachment coloured by status, for messages whose own text is a
    lead line (the DMs that show the incident: the same actions, but no Reopen)."""
    return [
        {
            "color": STATE_COLOUR[card_state(incident, now)],
            "fallback": fallback_text(incident, config),
            "blocks": card_blocks(incident, config, now=now, reopen=False),
        }
    ]


def thread_text(event: Event, incident: Incident) -> str | None:
    """The thread reply for one event, or None when the event has none. People are named by
    mention only: the channel sees the reply, and an email is nobody else's business (who did
    it stays in the timeline and the intake API)."""
    who = user(event.actor) if event.actor != "beacon" else "Beacon"
    data = event.data
    match event.type:
        case EventType.ACKNOWLEDGED:
            return f"Acknowledged by {who} after {format_duration(data.get('since_trigger', 0))}."
        case EventType.RESOLVED:
            text = f"✅ Resolved by {who} after {format_duration(data.get('duration', 0))}."
            note = data.get("note")
            return text + (f"\n>*Resolution:* {escape(truncate(note, 2000))}" if note else "")
        case EventType.SNOOZED:
            return f"💤 Snoozed by {who} {snooze_span(data)}.{snooze_warning(data)}"
        case EventType.UNSNOOZED:
            target = user(data.get("assignee") or None)
            return f"⏰ Snooze is over: {target}, {incident.id} needs attention again."
        case EventType.NOTE_ADDED:
            return f"📝 Note from {who}:\n>{escape(truncate(data.get('text', ''), 2500))}"
        case EventType.ASSIGNED:
            previous = data.get("previous")
            was = f" (was {user(previous)})" if previous else ""
            return f"{who} assigned this to {user(data['assignee'])}{was}."
        case EventType.SEVERITY_CHANGED:
            return f"{who} changed severity {data.get('previous')} → {data.get('severity')}."
        case EventType.REFIRED:
            return f"🔁 The alert fired again (×{int(data.get('count', 2))})."
        case EventType.INVESTIGATION:
            return investigation_text(data, who)
        case EventType.ALERTS_CHANGED:
            return alerts.alerts_changed_text(data)
    return None


def page_push(incident: Incident, level: int | None) -> str:
    """A page DM's notification text: what it is about, at a glance on a lock screen. Slack
    shows it only in the notification (the DM has top-level blocks), so it can name the title
    the card below shows."""
    what = f"{incident.severity} {incident.id}: {escape(incident.title)}"
    if incident.status is Status.TRIGGERED:
        return f"📟 {what}"
    return f"{page_lead(incident, level)} · {what}"


def page_lead(incident: Incident, level: int | None) -> str:
    """The line above a page DM's card, from the incident's state now; `level`: the one this
    person was paged at (their own, not the highest paged). No title: the card's header right
    below has it (and the severity)."""
    if not incident.is_open:
        return f"✅ {incident.id} was resolved by {user(incident.resolved_by)}"
    if incident.status is Status.ACKNOWLEDGED:
        return f"✓ {incident.id} was acknowledged by {user(incident.acknowledged_by)}"
    at = f" at level {level}" if level else ""
    return f"📟 You are paged{at} for {incident.id}"


def lead_blocks(lead: str) -> list[dict[str, Any]]:
    """A DM's lead line above the card (when the notification text says something else)."""
    return [section(lead, block_id=BlockId.DM_LEAD)]


def snooze_span(data: dict[str, Any]) -> str:
    """'for 4 h, until <time>' from a snooze event's data (older events lack the length)."""
    until = f"until {date_time(float(data['until']))}"
    seconds = data.get("seconds")
    return f"for {format_duration(float(seconds))}, {until}" if seconds else until


def snooze_warning(data: dict[str, Any]) -> str:
    """A note when the snooze outlasts the resolve SLA: the snooze still happens."""
    resolve_by = data.get("resolve_by")
    if resolve_by is None or float(data["until"]) <= float(resolve_by):
        return ""
    return (f"\n⚠️ The snooze ends after the resolve deadline ({date_time(float(resolve_by))}):"
            " the incident will miss its time to resolve unless someone acts first.")


INVESTIGATION_STAGES = {
    "started": ("🔎", "Investigation started"),
    "hypothesis": ("💡", "Hypothesis"),
    "root_cause": ("🎯", "Root cause"),
    "remediation": ("🛠️", "Remediation"),
    "action_executed": ("⚙️", "Action executed"),
}


def investigation_text(data: dict[str, Any], who: str) -> str:
    """One investigation update: stage, who, confidence, then the (escaped) text quoted."""
    emoji, label = INVESTIGATION_STAGES.get(data.get("stage", ""), ("🔎", "Update"))
    confidence = data.get("confidence")
    sure = f" · confidence {round(float(confidence) * 100)}%" if confidence is not None else ""
    text = escape(truncate(str(data.get("text", "")), 2500)).replace("\n", "\n>")
    return f"{emoji} *{label}* from {who}{sure}\n>{text}"


def incident_line(incident: Incident, config: BeaconConfig) -> str:
    """One line for lists: severity, id (linked), title, status, age."""
    sev = config.severity(incident.severity)
    ident = f"<{incident.permalink}|{incident.id}>" if incident.permalink else f"*{incident.id}*"
    return (
        f"{SEVERITY_EMOJI[sev.urgency]} {incident.severity} {ident} "
        f"{escape(truncate(incident.title, 80))}"
        f" · {incident.status.value.lower()} · opened {date_ago(incident.created_at)}"
    )


LIST_PAGE = 25  # incidents per `/incident list` message


def list_blocks(
    page: IncidentPage, config: BeaconConfig, *, offset: int = 0
) -> tuple[str, list[dict[str, Any]]]:
    """One page of `/incident list`, newest first; `offset`: how many earlier pages showed."""
    if not page.incidents:
        return "No open incidents. 🎉", []
    first, last = offset + 1, offset + len(page.incidents)
    blocks: list[Block] = [section(f"*Open incidents ({page.total})*")]
    blocks += [section(incident_line(i, config)) for i in page.incidents]
    blocks.append(context(f"Showing {first}–{last} of {page.total}"))
    if page.next_cursor:
        value = list_next_value(last, page.next_cursor)
        blocks.append(actions([button(f"Next {LIST_PAGE} →", ActionId.LIST_NEXT, value)]))
    return f"{page.total} open incidents", blocks


def list_next_value(shown: int, cursor: str) -> str:
    """The Next button's value: how many were shown before, and where the list goes on."""
    return f"{shown}:{cursor}"


def parse_list_next(value: str) -> tuple[int, str]:
    shown, _, cursor = value.partition(":")
    return (int(shown) if shown.isdigit() else 0), cursor


def show_blocks(incident: Incident, config: BeaconConfig, *, now: float) -> list[dict[str, Any]]:
    """`/incident show`: the card without buttons that would act from an ephemeral copy."""
    blocks = [b for b in card_blocks(incident, config, now=now) if b["type"] != "actions"]
    if incident.resolution_note:
        blocks.append(
            section("*Resolution*\n" + escape(truncate(incident.resolution_note, 2900)))
        )
    return blocks


HELP_TEXT = "\n".join(
    [
        "*Beacon — `/incident` commands*",
        "`/incident` — open the Declare incident form",
        "`/incident create <title> [--sev P1] [--service payments] [--assignee @user]` — "
        "declare (opens the form unless --sev is given)",
        "`/incident list` — open incidents, newest first",
        "`/incident show INC-42` — details of one incident",
        "`/incident ack INC-42` — acknowledge",
        "`/incident resolve INC-42 [note]` — resolve with an optional note",
        "`/incident snooze INC-42 30m` — silence reminders for a while",
        "`/incident note INC-42 <text>` — add a note to the timeline",
        "`/incident assign INC-42 @user` — change the assignee",
        "`/incident severity INC-42 P2` — change the severity",
        "`/incident update INC-42 <text>` — status update to the card thread and incident channel",
        "`/incident reopen INC-42` — reopen a resolved incident",
        "`/incident timeline INC-42` — the timeline as a Markdown file",
        "`/incident runbooks` — the runbooks Beacon has loaded, and what starts them",
        "`/incident followup add INC-42 <text>` · `followup list [INC-42]` · "
        "`followup done F-3` — follow-up items",
        "`/incident role commander [INC-42] [@user]` — give a role (yourself when no one is "
        "named; the id can go inside the incident channel)",
        "`/incident oncall [service|schedule]` — who is on call now, until when, who is next",
        "`/incident oncall override @user until 2h [schedule]` — take the pager (schedule admins)",
        "`/incident route test service=payments severity=P2` — where a card would go, and who "
        "would be paged (dry run)",
        "`/incident status` — open incidents, who is on call, Redis and Slack connection",
        "`/incident digest` — the daily digest, now",
        "`/incident help` — this help",
    ]
)

__all__ = ["OptionValue"]
