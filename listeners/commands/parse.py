"""`/incident` text -> a typed command. Pure; no Slack calls."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_FLAG = re.compile(r'(?:^|\s)--?([a-z]+)(?:=|\s+)("[^"]*"|\S+)', re.IGNORECASE)
_USER = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")
FLAG_ALIASES = {
    "sev": "severity",
    "severity": "severity",
    "s": "severity",
    "p": "severity",
    "service": "service",
    "svc": "service",
    "assignee": "assignee",
    "assign": "assignee",
    "a": "assignee",
    "desc": "description",
    "description": "description",
    "d": "description",
}
SUBCOMMANDS = (
    "runbooks",
    "status",
    "digest",
    "oncall",
    "route",
    "create",
    "declare",
    "list",
    "show",
    "ack",
    "acknowledge",
    "resolve",
    "snooze",
    "note",
    "assign",
    "severity",
    "sev",
    "update",
    "reopen",
    "timeline",
    "followup",
    "role",
    "help",
)


@dataclass(frozen=True)
class ParsedCommand:
    name: str  # "" for bare /incident
    rest: str = ""
    flags: dict[str, str] = field(default_factory=dict)
    unknown_flags: tuple[str, ...] = ()

    @property
    def words(self) -> list[str]:
        return self.rest.split()


def user_id_from(token: str) -> str | None:
    """`<@U123|alice>` (escaped by Slack) or a bare `U123` -> `U123`."""
    match = _USER.match(token.strip())
    if match:
        return match.group(1)
    token = token.strip()
    return token if re.fullmatch(r"[UW][A-Z0-9]{2,}", token) else None


def parse(text: str) -> ParsedCommand:
    # Slack sends `&`, `<`, `>` typed as text as entities; views escape user text themselves.
    text = (text or "").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&").strip()
    if not text:
        return ParsedCommand(name="")
    head, _, rest = text.partition(" ")
    name = head.lower()
    rest = rest.strip()
    if name not in ("create", "declare"):
        return ParsedCommand(name=name, rest=rest)
    flags: dict[str, str] = {}
    unknown: list[str] = []
    for match in _FLAG.finditer(rest):
        key = match.group(1).lower()
        value = match.group(2).strip('"')
        if key in FLAG_ALIASES:
            flags[FLAG_ALIASES[key]] = value
        else:
            unknown.append(key)
    title = _FLAG.sub(" ", rest).strip().strip('"').strip()
    return ParsedCommand(name="create", rest=title, flags=flags, unknown_flags=tuple(unknown))
