"""The per-incident parent message of investigation updates in the updates channel (pure)."""

from __future__ import annotations

from app.domain.models import Incident
from views.mrkdwn import escape, truncate


def updates_parent_text(incident: Incident) -> str:
    name = f"<{incident.permalink}|{incident.id}>" if incident.permalink else incident.id
    return (
        f"🔎 Investigation updates for {name} ({incident.severity}, "
        f"{escape(truncate(incident.title, 200))}). Each update is a reply in this thread."
    )
