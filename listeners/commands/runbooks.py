"""`/incident runbooks`: what is loaded."""

from __future__ import annotations

from typing import Any

from listeners.commands.parse import ParsedCommand
from views.runbooks import list_text


async def runbooks(beacon: Any, parsed: ParsedCommand, user: str, *_: Any) -> str:
    return list_text(beacon.config.runbooks, beacon.config.runbooks_dir)
