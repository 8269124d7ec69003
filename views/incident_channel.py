"""Texts and blocks for an incident's dedicated channel (pure)."""

from __future__ import annotations

from typing import Any

from app.config import BeaconConfig
from app.domain.models import Incident, Status
from views.mrkdwn import escape, truncate, user

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
    return [{"type": "section", "text": {"type": "mrkdwn", "text": summary_text(incident, config)}}]


def failure_text(step: str, code: str) -> str:
    fix = FIXES.get(code, "see the Beacon logs for details")
    return f"⚠️ I couldn't {STEP_LABEL.get(step, step)} (Slack said `{code}`): {fix}."
