"""`/incident oncall ...` and `/incident route test ...`: on-call answers, dry-run routing.

Each reads its words into a typed request, asks the on-call service, and words the answer.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from app.domain.errors import InvalidInput
from app.domain.oncall_service import OVERRIDE_USAGE, OverrideRequest
from listeners.commands.parse import ParsedCommand, user_id_from
from views.mrkdwn import parse_duration
from views.oncall import dry_run_text, oncall_text, override_text

if TYPE_CHECKING:
    from app.container import Beacon

_UNTIL = re.compile(r"^(?:until\s+)?(.+)$", re.I)
_KV = re.compile(r"(\w+)=(\S+)")


async def oncall(beacon: Beacon, parsed: ParsedCommand, user: str) -> str:
    words = parsed.words
    if words and words[0].lower() == "override":
        request = parse_override(words[1:], beacon.config.schedules)
        return override_text(await beacon.oncall.add_override(user, request))
    return oncall_text(await beacon.oncall.lookup(words[0] if words else None))


def _parse_time(text: str) -> float | None:
    """An ISO time, '2026-11-26T09:00' or '2026-11-26 09:00' (UTC unless it says); None when
    it is not one."""
    try:
        when = datetime.fromisoformat(text.strip().replace(" ", "T"))
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.timestamp()


def parse_override(words: list[str], schedules: Iterable[str]) -> OverrideRequest:
    """`@user until 2h [schedule]`: whom, on which schedule (named at the end), until when
    ('2h', '90m', or an ISO time)."""
    if len(words) < 3:
        raise InvalidInput(OVERRIDE_USAGE)
    target = user_id_from(words[0])
    if target is None:
        raise InvalidInput(f"Name the person as a mention. {OVERRIDE_USAGE}")
    rest = " ".join(words[1:])
    name = None
    for candidate in schedules:
        if rest.endswith(" " + candidate):
            name, rest = candidate, rest[: -len(candidate) - 1]
    match = _UNTIL.match(rest.strip())
    end = match.group(1) if match else rest
    after_s = parse_duration(end)
    if after_s:
        return OverrideRequest(target, name, after_s=after_s)
    return OverrideRequest(target, name, at=_parse_time(end))


async def route_test(beacon: Beacon, parsed: ParsedCommand) -> str:
    words = parsed.words
    if not words or words[0].lower() != "test":
        raise InvalidInput("Usage: `/incident route test service=payments severity=P2`")
    args = dict(_KV.findall(parsed.rest))
    severity = (args.get("severity") or args.get("sev") or "P3").upper()
    return dry_run_text(await beacon.oncall.dry_run(args.get("service"), severity))
