"""Block Kit templates from config: consulted before the built-in messages.

A template is a list of blocks with `{{incident.x}}` placeholders (and `{{message.text}}`, the
built-in text, for thread replies, DMs and the digest). Values are escaped for mrkdwn. A filled
template that breaks Slack's limits (a very long title, say) falls back to the built-in message.
"""

from __future__ import annotations

import logging
from typing import Any

from app.config import BeaconConfig
from app.config.placeholders import MESSAGE_TEXT, fill
from app.domain.models import Incident
from app.slack.blockkit import check_message_blocks
from views.mrkdwn import escape, user

log = logging.getLogger("beacon.templates")


def placeholder_values(incident: Incident, config: BeaconConfig) -> dict[str, str]:
    """`incident.x` -> its text; user-supplied text escaped so it cannot mention or link."""
    channel = incident.incident_channel or incident.channel
    return {
        "incident.id": incident.id,
        "incident.severity": incident.severity,
        "incident.service": escape(incident.service or "—"),
        "incident.channel": f"<#{channel}>" if channel else "",
        "incident.title": escape(incident.title),
        "incident.status": incident.status.value.lower(),
        "incident.assignee": user(incident.assignee),
        "incident.permalink": incident.permalink or "",
    }


def render(
    kind: str,
    config: BeaconConfig,
    *,
    incident: Incident | None = None,
    message_text: str | None = None,
) -> list[dict[str, Any]] | None:
    """The configured template `kind` filled in, or None (no template: use the built-in)."""
    blocks = config.loaded_templates.get(kind)
    if not blocks:
        return None
    values = placeholder_values(incident, config) if incident is not None else {}
    if message_text is not None:
        values[MESSAGE_TEXT] = message_text
    out = fill(blocks, values)
    problems = check_message_blocks(out)
    if problems:
        log.warning(
            "template %s does not fit Slack's limits here (%s); built-in used", kind, problems[0]
        )
        return None
    return out
