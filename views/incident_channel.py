"""Texts and blocks for an incident's dedicated channel (pure)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from app.config import BeaconConfig
from app.domain.models import EventType, Incident, Status, TimelineEntry
from views import incident_record as record
from views.blocks import section
from views.incident import snooze_span
from views.mrkdwn import escape, format_duration, truncate, user
from views.oncall import paged_by_level

TOPIC_MAX = 250  # Slack's limit for topic and purpose

_STATUS = {
    Status.TRIGGERED: "Triggered",
    Status.ACKNOWLEDGED: "Acknowledged",
    Status.RESOLVED: "Resolved",
}

# Slack error code -> what to do about it, for the incident thread.
FIXES = {
    "restricted_action": "a workspace admin restricts who may create or change channels: "
    "ask them to allow apps to, or create the channel by hand and invite @Beacon",
    "not_in_channel": "invite the bot to the channel with `/invite @Beacon`",
    "missing_scope": "reinstall the app from manifest.yml so it has every scope",
    "too_many_convos_for_team": "the workspace has reached Slack's channel limit: archive "
    "old channels",
    "is_archived": "unarchive the channel",
    "channel_not_found": "the channel was deleted or the bot cannot see it; invite @Beacon",
    "user_is_restricted": "a guest cannot be invited by apps: invite them by hand",
    "ekm_access_denied": "your admins' key management blocks it: ask them",
}

STEP_LABEL = {
    "create": "create the incident channel",
    "invite": "invite people to the incident channel",
    "topic": "set the incident channel's topic",
    "bookmark": "bookmark the card in the incident channel",
    "summary": "post the summary in the incident channel",
    "pin": "pin the summary in the incident channel",
    "post": "post in the incident channel",
    "archive": "archive the incident channel",
}


def status_line(incident: Incident, config: BeaconConfig) -> str:
    sev = config.severity(incident.severity)
    who = f"<@{incident.assignee}>" if incident.assignee else "nobody"
    return f"{incident.severity} {sev.label} · {_STATUS[incident.status]} · assignee {who}"


def topic_text(incident: Incident, config: BeaconConfig) -> str:
    return truncate(status_line(incident, config), TOPIC_MAX)


def purpose_text(incident: Incident, config: BeaconConfig) -> str:
    tail = f" — {status_line(incident, config)}"
    head = f"{incident.id}: "
    return head + truncate(incident.title, TOPIC_MAX - len(head) - len(tail)) + tail


def summary_text(incident: Incident, config: BeaconConfig) -> str:
    sev = config.severity(incident.severity)
    service = config.services.get(incident.service or "")
    lines = [
        f"*{incident.id}: {escape(incident.title)}*",
        f"*Severity:* {incident.severity} {sev.label}   *Status:* {_STATUS[incident.status]}",
        f"*Service:* {escape(service.name) if service else '—'}   "
        f"*Assignee:* {user(incident.assignee)}   *Reported by:* {user(incident.reporter)}",
    ]
    if incident.description:
        lines.append(">" + escape(truncate(incident.description, 1500)).replace("\n", "\n>"))
    if incident.permalink:
        lines.append(f"<{incident.permalink}|The incident card> has the buttons and the history.")
    return "\n".join(lines)


def summary_blocks(incident: Incident, config: BeaconConfig) -> list[dict[str, Any]]:
    return [section(summary_text(incident, config)), *record.role_blocks(incident, config)]


def failure_text(step: str, code: str) -> str:
    fix = FIXES.get(code, "see the Beacon logs for details")
    return f"⚠️ I couldn't {STEP_LABEL.get(step, step)} (Slack said `{code}`): {fix}."


# --- during and after ------------------------------------------------------------------------

_TIMELINE_WORDS = {
    EventType.TRIGGERED: "declared",
    EventType.ACKNOWLEDGED: "acknowledged",
    EventType.RESOLVED: "resolved",
    EventType.SNOOZED: "snoozed",
    EventType.UNSNOOZED: "snooze ended",
    EventType.NOTE_ADDED: "note",
    EventType.ASSIGNED: "assigned",
    EventType.SEVERITY_CHANGED: "changed severity",
    EventType.ESCALATED: "escalated",
    EventType.PAGED: "paged",
    EventType.SLA_BREACHED: "SLA breached",
    EventType.REFIRED: "alert fired again",
    EventType.ALERTS_CHANGED: "alerts changed",
    EventType.INVESTIGATION: "investigation update",
    EventType.STATUS_UPDATE: "status update",
    EventType.REOPENED: "reopened",
    EventType.FOLLOWUP_ADDED: "follow-up added",
    EventType.FOLLOWUP_DONE: "follow-up done",
    EventType.RETRO_SCHEDULED: "retrospective scheduled",
    EventType.ROLE_ASSIGNED: "role",
    EventType.MESSAGE_PINNED: "pinned",
    EventType.RUNBOOK_STEP: "retried a runbook step",  # only a person's retry is listed
}
_RUNBOOK = {EventType.RUNBOOK_STEP, EventType.RUNBOOK_STEP_DONE, EventType.RUNBOOK_STEP_FAILED}
# Machine events that say nothing a reader needs in the record.
_QUIET = {
    EventType.UPDATE_REMINDER,
    EventType.CHANNEL_ARCHIVE_WARNING,
    EventType.CHANNEL_ARCHIVED,
    EventType.TIMELINE_REQUESTED,
    EventType.ROLES_UNCLAIMED,
    EventType.ALERTS_SEEN,  # Alertmanager repeating itself
}


def runbook_words(entry: TimelineEntry, *, mrkdwn: bool = True) -> str | None:
    """A runbook entry in plain words ("Runbook *x*: step 2 (send_message) done"); None when
    the entry is not a runbook one or says nothing a reader needs (a step merely starting)."""
    if entry.type not in _RUNBOOK:
        return None
    data = entry.data
    name = str(data.get("runbook") or "?")
    head = f"Runbook *{escape(name) if mrkdwn else name}*"
    number = int(data.get("step") or 0) + 1
    kind = str(data.get("step_type") or "")
    step = f"step {number} ({kind})" if kind else f"step {number}"
    if entry.type is EventType.RUNBOOK_STEP:
        # Only a retry is someone's act; the automatic start of a step is implied by its result.
        return f"{head}: {step} retried" if data.get("retry") else None
    if entry.type is EventType.RUNBOOK_STEP_FAILED:
        return f"{head}: {step} failed"
    if data.get("skipped"):
        return f"{head}: not run, the incident was {_skipped_status(data)}"
    return f"{head}: {step} done"


def _skipped_status(data: dict[str, Any]) -> str:
    return str(data.get("text") or "").rpartition(" ")[2] or "closed"


def _runbook_detail(entry: TimelineEntry) -> str:
    if entry.type is EventType.RUNBOOK_STEP_FAILED:
        return str(entry.data.get("error") or "")
    if entry.type is EventType.RUNBOOK_STEP_DONE and not entry.data.get("skipped"):
        return str(entry.data.get("outcome") or "")
    return ""


def _who(actor: str) -> str:
    return "Beacon" if not actor or actor == "beacon" else user(actor)


def _detail(entry: TimelineEntry) -> str:
    data = entry.data
    text = data.get("text") or data.get("note") or ""
    if entry.type is EventType.ASSIGNED:
        text = f"to {user(data.get('assignee'))}"
    elif entry.type is EventType.SEVERITY_CHANGED:
        text = f"{data.get('previous')} → {data.get('severity')}"
    elif entry.type is EventType.TRIGGERED:
        text = str(data.get("severity") or "")
    elif entry.type is EventType.SNOOZED:
        return f" {snooze_span(data)}"  # mrkdwn (a date token): not escaped
    elif entry.type is EventType.PAGED:
        return " " + paged_by_level(pages_of(data))
    elif entry.type is EventType.ESCALATED:
        rnd = int(data.get("round") or 0)
        return f" to level {data.get('level')}" + (f" (round {rnd + 1})" if rnd else "")
    elif entry.type is EventType.MESSAGE_PINNED:
        return record.pinned_detail(data)
    elif entry.type is EventType.ROLE_ASSIGNED:
        return f": {escape(str(data.get('role')))} to {user(data.get('user'))}"
    elif entry.type in (EventType.FOLLOWUP_ADDED, EventType.FOLLOWUP_DONE):
        text = f"{data.get('followup_id')} {data.get('text', '')}"
    elif entry.type is EventType.RETRO_SCHEDULED:
        return f": {escape(str(data.get('date')))}, owner {user(data.get('owner'))}"
    return f": {escape(truncate(str(text), 300))}" if text else ""


def pages_of(data: dict[str, Any]) -> dict[str, int]:
    """A `paged` entry's people, each with the level they were paged at."""
    return {str(p["user"]): int(p["level"]) for p in data.get("pages") or []}


def timeline_lines(incident: Incident, timeline: list[TimelineEntry]) -> list[str]:
    """`+12m · acknowledged by @bob` per entry, offsets from the declaration."""
    lines = []
    for entry in timeline:
        if entry.type in _QUIET:
            continue
        offset = format_duration(max(0.0, entry.at - incident.created_at))
        if entry.type in _RUNBOOK:
            words = runbook_words(entry)
            if words is None:
                continue
            by = f" by {_who(entry.actor)}" if entry.actor and entry.actor != "beacon" else ""
            detail = _runbook_detail(entry)
            detail = f": {escape(truncate(detail, 300))}" if detail else ""
            lines.append(f"+{offset} · {words}{by}{detail}")
            continue
        word = _TIMELINE_WORDS.get(entry.type, entry.type.value.removeprefix("incident."))
        by = f" by {_who(entry.actor)}" if entry.actor and entry.actor != "beacon" else ""
        lines.append(f"+{offset} · {word}{by}{_detail(entry)}")
    return lines


def resolution_text(incident: Incident, timeline: list[TimelineEntry], config: BeaconConfig) -> str:
    """The post-incident summary: duration, time to acknowledge, who did what, note, timeline."""
    end = incident.resolved_at or incident.created_at
    tta = (
        format_duration(incident.acknowledged_at - incident.created_at)
        if incident.acknowledged_at
        else "never acknowledged"
    )
    lines = [
        f"*{incident.id} resolved: {escape(incident.title)}*",
        f"*Duration:* {format_duration(end - incident.created_at)}   "
        f"*Time to acknowledge:* {tta}   *Severity:* {incident.severity}",
    ]
    if incident.resolution_note:
        lines.append(f"*Resolution:* {escape(truncate(incident.resolution_note, 1000))}")
    did: dict[str, list[str]] = {}
    for entry in timeline:
        if entry.type in _QUIET or not entry.actor or entry.actor == "beacon":
            continue
        word = _TIMELINE_WORDS.get(entry.type, entry.type.value)
        words = did.setdefault(entry.actor, [])
        if word not in words:
            words.append(word)
    if did:
        lines.append("*Who did what:*")
        lines += [f"• {user(actor)}: {', '.join(words)}" for actor, words in did.items()]
    lines.append("*Timeline:*")
    entries = timeline_lines(incident, timeline)
    if len(entries) > 25:  # keep the message short; /incident timeline has all of it
        entries = [*entries[:12], f"… {len(entries) - 24} more …", *entries[-12:]]
    lines += entries
    return truncate("\n".join(lines), 3900)


def status_update_text(actor: str, text: str) -> str:
    return f"📣 *Status update* from {user(actor)}:\n>{escape(truncate(text, 2500))}"


def reminder_text(incident: Incident, since_s: float) -> str:
    who = f"<@{incident.assignee}>, " if incident.assignee else ""
    return (
        f"⏰ {who}no status update on {incident.id} for {format_duration(since_s)}. "
        f"Post one with `/incident update {incident.id} <what is happening>`."
    )


def archive_warning_text(incident: Incident, in_s: float) -> str:
    return (
        f"🗄️ {incident.id} is resolved: this channel will be archived in {format_duration(in_s)}. "
        f"To keep it open, reopen the incident with `/incident reopen {incident.id}`."
    )


def timeline_markdown(
    incident: Incident, timeline: list[TimelineEntry], names: dict[str, str]
) -> str:
    """The timeline as a Markdown document; `names` maps user ids to display names."""

    def who(actor: str) -> str:
        if not actor or actor == "beacon":
            return "Beacon"
        return names.get(actor) or actor

    lines = [
        f"# {incident.id}: {incident.title}",
        "",
        f"- Severity: {incident.severity}",
        f"- Status: {_STATUS[incident.status]}",
        f"- Declared: {_utc(incident.created_at)} by {who(incident.reporter)}",
    ]
    if incident.resolved_at:
        lines.append(
            f"- Resolved: {_utc(incident.resolved_at)} by {who(incident.resolved_by or '')}"
        )
    lines += ["", "| time (UTC) | what | who | details |", "|---|---|---|---|"]
    for entry in timeline:
        if entry.type in _QUIET:
            continue
        word = _TIMELINE_WORDS.get(entry.type, entry.type.value.removeprefix("incident."))
        detail = str(entry.data.get("text") or entry.data.get("note") or "")
        if entry.type in _RUNBOOK:  # plain words, not the raw event name
            said = runbook_words(entry, mrkdwn=False)
            if said is None:
                continue
            word, detail = said.replace("|", "\\|"), _runbook_detail(entry)
        if entry.type is EventType.PAGED:
            detail = ", ".join(f"{who(u)} (level {lv})" for u, lv in pages_of(entry.data).items())
        if entry.type is EventType.ESCALATED:
            detail = f"to level {entry.data.get('level')}"
        if entry.type is EventType.SNOOZED:
            until = _utc(float(entry.data["until"]))
            seconds = entry.data.get("seconds")
            detail = f"for {format_duration(float(seconds))}, until {until}" if seconds \
                else f"until {until}"
        if entry.type is EventType.MESSAGE_PINNED:  # who wrote it, and where
            author = who(str(entry.data.get("author") or ""))
            detail = f"{author}: {detail} ({entry.data.get('permalink') or ''})"
        detail = detail.replace("|", "\\|").replace("\n", " ")
        lines.append(f"| {_utc(entry.at)} | {word} | {who(entry.actor)} | {detail} |")
    return "\n".join(lines) + "\n"


def _utc(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%S")
