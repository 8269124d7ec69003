"""App Home: what is open right now, and what is yours."""

from __future__ import annotations

from typing import Any

from app.config import BeaconConfig
from app.domain.models import Incident
from views.incident import incident_line


def home_view(
    incidents: list[Incident], config: BeaconConfig, *, user_id: str, now: float
) -> dict[str, Any]:
    mine = [i for i in incidents if i.assignee == user_id]
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": "Beacon — incidents"}},
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": "Declare with `/incident` or the ⚡ *Declare incident* shortcut.",
                }
            ],
        },
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*Assigned to you ({len(mine)})*"}},
    ]
    blocks += [
        {"type": "section", "text": {"type": "mrkdwn", "text": incident_line(i, config)}}
        for i in mine[:20]
    ]
    if not mine:
        blocks.append(
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": "Nothing assigned to you."}],
            }
        )
    blocks.append({"type": "divider"})
    blocks.append(
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": f"*All open incidents ({len(incidents)})*"},
        }
    )
    blocks += [
        {"type": "section", "text": {"type": "mrkdwn", "text": incident_line(i, config)}}
        for i in incidents[:60]
    ]
    if not incidents:
        blocks.append(
            {"type": "context", "elements": [{"type": "mrkdwn", "text": "No open incidents. 🎉"}]}
        )
    return {"type": "home", "blocks": blocks[:100]}
