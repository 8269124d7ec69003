"""Text helpers: escaping user text for mrkdwn, Slack date tokens, durations."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from app.domain.models import is_api_actor

_BROADCAST = re.compile(r"@(channel|here|everyone)\b", re.IGNORECASE)
# A person or channel as Slack sends it in an escaped slash command (`@bob` typed arrives as
# `<@UBOB|bob>`): kept as a mention, since naming someone in a note should read as a name.
_MENTION = re.compile(r"<(@[UW][A-Z0-9]{2,20}|#C[A-Z0-9]{2,20})(\|[^<>&|]{0,80})?>")


def escape(text: str) -> str:
    """Neutralise broadcasts and links in user-supplied text; keep people and channels.

    Slack only parses `<...>` sequences as mentions/links, so escaping `&<>` stops
    `<!channel>`, `<!subteam^…>` and `<http://x|y>`; a zero-width space after `@` keeps a bare
    `@here` from being linked by clients that still parse names. `<@U…|name>` and `<#C…|name>`
    stay mentions.
    """
    out, last = [], 0
    for match in _MENTION.finditer(text):
        out.append(_neutral(text[last : match.start()]))
        out.append(f"<{match.group(1)}>")
        last = match.end()
    out.append(_neutral(text[last:]))
    return "".join(out)


def _neutral(text: str) -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _BROADCAST.sub(lambda m: "@\u200b" + m.group(1), text)


def truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _fallback(ts: float, fmt: str) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime(fmt)


def date_ago(ts: float) -> str:
    """'3 minutes ago' in each reader's own terms."""
    return f"<!date^{int(ts)}^{{ago}}|{_fallback(ts, '%Y-%m-%d %H:%M UTC')}>"


def date_time(ts: float) -> str:
    """A time of day in the reader's time zone (with the date when not today)."""
    return f"<!date^{int(ts)}^{{date_short_pretty}} {{time}}|{_fallback(ts, '%Y-%m-%d %H:%M UTC')}>"


def time_of_day(ts: float) -> str:
    """Just the time of day, in the reader's time zone."""
    return f"<!date^{int(ts)}^{{time}}|{_fallback(ts, '%H:%M UTC')}>"


def format_duration(seconds: float) -> str:
    """A length of time as people say it: '45 s', '5 min', '1 h 30 min', '3 d', '2 d 4 h'.

    The two largest units at most (a reader wants the size, not the seconds of a day-long
    span); the rest is dropped, never rounded up, so a deadline is not overstated."""
    seconds = int(max(0, seconds))
    if seconds < 60:
        return f"{seconds} s"
    parts: list[str] = []
    for size, unit in ((86400, "d"), (3600, "h"), (60, "min")):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count} {unit}")
        elif parts:
            break  # '1 d 5 min' reads as a typo: a gap ends the parts
    return " ".join(parts[:2])


_DURATION = re.compile(r"^\s*(?:(\d+)\s*d)?\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m(?:in)?)?\s*$", re.I)


def parse_duration(text: str) -> int | None:
    """'90m', '2h', '1h30m', '1d' -> seconds; None when it is not a duration."""
    match = _DURATION.match(text or "")
    if not match or not any(match.groups()):
        return None
    days, hours, minutes = (int(g) if g else 0 for g in match.groups())
    return days * 86400 + hours * 3600 + minutes * 60


def user(user_id: str | None) -> str:
    if user_id and is_api_actor(user_id):  # 'api:<token name>': a machine, not a Slack user
        name = user_id.partition(":")[2]
        return f"*{escape(name)}* (API)" if name else "the API"
    return f"<@{user_id}>" if user_id else "_unassigned_"
