"""`/incident update|reopen|timeline`: parse, call the domain, answer the person."""

from __future__ import annotations

from typing import Any

from app.domain.errors import InvalidInput
from app.domain.incidents import normalise_id
from listeners.commands.parse import ParsedCommand


def _id_and_rest(parsed: ParsedCommand, usage: str) -> tuple[str, str]:
    words = parsed.rest.split(maxsplit=1)
    if not words:
        raise InvalidInput(f"Which incident? Usage: `{usage}`")
    return normalise_id(words[0]), (words[1] if len(words) > 1 else "")


async def update(beacon: Any, parsed: ParsedCommand, user: str, *_unused: Any) -> str:
    incident_id, text = _id_and_rest(parsed, "/incident update INC-42 <text>")
    await beacon.updates.post_update(incident_id, user, text)
    return f"Status update posted on *{incident_id}*."


async def reopen(beacon: Any, parsed: ParsedCommand, user: str, *_unused: Any) -> str:
    incident_id, _ = _id_and_rest(parsed, "/incident reopen INC-42")
    await beacon.updates.reopen(incident_id, user)
    return f"You reopened *{incident_id}*."


async def timeline(
    beacon: Any, parsed: ParsedCommand, user: str, command: dict, *_unused: Any
) -> str:
    incident_id, _ = _id_and_rest(parsed, "/incident timeline INC-42")
    channel = str(command.get("channel_id") or user)
    await beacon.updates.request_timeline(incident_id, user, channel)
    return f"The timeline of *{incident_id}* is on its way as a file."
