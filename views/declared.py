"""The declarer's confirmation, once the notifier has posted the card: where it went, and a
link to it."""

from __future__ import annotations

from app.domain.models import Incident
from views.mrkdwn import user


def _link(incident: Incident) -> str:
    return f"<{incident.permalink}|{incident.id}>" if incident.permalink else f"*{incident.id}*"


def declared_where_text(incident: Incident, channel: str | None) -> str:
    """To the declarer (response_url, ephemeral or DM): "Declared INC-1 → #payments-oncall"."""
    if channel is None:
        return f"Declared {_link(incident)}. No channel is routed for it, so it has no card."
    if not incident.card_ts:  # listed on the channel's storm rollup instead of a card
        return f"Declared {_link(incident)} → <#{channel}> (on the storm rollup there)."
    return f"Declared {_link(incident)} → <#{channel}>"


def declared_thread_text(incident: Incident, channel: str | None) -> str:
    """In the thread of the message it was declared from, for everyone reading it."""
    where = f" → <#{channel}>" if channel else ""
    return f"🚨 {user(incident.reporter)} declared {_link(incident)} from this message{where}"
