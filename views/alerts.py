"""An Alertmanager incident's alerts: the card's block (counts and a capped list) and the thread
reply when the list changes."""

from __future__ import annotations

from typing import Any

from app.domain.alert_list import AlertLine, AlertListing
from app.domain.models import Incident
from views.blocks import Block, context, section
from views.ids import BlockId
from views.mrkdwn import date_ago, escape, truncate


def _line(alert: AlertLine) -> str:
    name = escape(truncate(alert.name, 120))
    if alert.firing:
        since = f" · since {date_ago(alert.starts_at)}" if alert.starts_at else ""
        return f"🔴 {name}{since}"
    ended = f" · resolved {date_ago(alert.ends_at)}" if alert.ends_at else ""
    return f"✅ {name}{ended}"


def hidden_text(not_shown: int, truncated: int) -> str:
    """'… and 2,900 more alerts not shown (…)', naming who left them out."""
    why = []
    if not_shown:
        why.append(f"{not_shown:,} over alertmanager.max_alerts")
    if truncated:
        why.append(f"{truncated:,} truncated by Alertmanager")
    return f"… and {not_shown + truncated:,} more alerts not shown ({', '.join(why)})"


def alert_blocks(incident: Incident) -> list[Block]:
    """The card's alert list: how many fire and are resolved, the first few (firing first),
    '+N more', what the last notification left out, and when Alertmanager last said so."""
    listing: AlertListing | None = incident.alerts
    if listing is None:
        return []
    lines = [f"*Alerts:* {listing.firing:,} firing · {listing.resolved:,} resolved"]
    lines += [_line(alert) for alert in listing.shown]
    if listing.total > len(listing.shown):
        lines.append(f"+{listing.total - len(listing.shown):,} more")
    if listing.not_shown or listing.truncated:
        lines.append(hidden_text(listing.not_shown, listing.truncated))
    return [
        section("\n".join(lines), block_id=BlockId.ALERTS),
        context(f"Alertmanager last notified {date_ago(listing.seen_at)}",
                block_id=BlockId.ALERTS_SEEN),
    ]


def _names(data: dict[str, Any], kind: str) -> str:
    names = data.get(kind) or []  # Lua sends an empty list as {}
    shown = ", ".join(escape(truncate(str(n), 80)) for n in list(names))
    more = int(data.get(f"{kind}_n") or 0) - len(names)
    return shown + (f" and {more:,} more" if more > 0 else "")


def _count(n: int, what: str) -> str:
    return f"{n:,} alert{'' if n == 1 else 's'} {what}"


def alerts_changed_text(data: dict[str, Any]) -> str | None:
    """The thread reply for a change of the alert list (said once: a repeat changes nothing),
    or None when there is nothing to say (the resolve that follows says it)."""
    lines = []
    if joined := int(data.get("joined_n") or 0):
        lines.append(f"🔔 {_count(joined, 'joined')}: {_names(data, 'joined')}")
    if refired := int(data.get("refired_n") or 0):
        lines.append(f"🔁 {_count(refired, 'fired again')}: {_names(data, 'refired')}")
    resolved = int(data.get("resolved_n") or 0)
    if resolved and not data.get("closing"):
        firing = int(data.get("firing") or 0)
        lines.append(f"✅ {_count(resolved, 'resolved')}: {_names(data, 'resolved')}"
                     f" · {firing:,} still firing")
    not_shown, truncated = int(data.get("not_shown") or 0), int(data.get("truncated") or 0)
    if not_shown or truncated:
        lines.append(hidden_text(not_shown, truncated))
    return "\n".join(lines) or None
