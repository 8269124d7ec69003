"""The Lua scripts: each `lua/<name>.lua` with `lua/_prelude.lua` before it, registered once
per connection; every store runs its transitions through one `Scripts`."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from redis.asyncio import Redis
from redis.commands.core import AsyncScript

from app.domain.results import Refused, Transition

LUA = Path(__file__).with_name("lua")
PRELUDE = "_prelude"


@cache
def source(name: str) -> str:
    prelude = (LUA / f"{PRELUDE}.lua").read_text()
    return prelude + "\n" + (LUA / f"{name}.lua").read_text()


def names() -> list[str]:
    """Every script under lua/, by file name (the prelude is not one)."""
    return sorted(p.stem for p in LUA.glob("*.lua") if p.stem != PRELUDE)


def outcome_of(raw: list[Any]) -> Transition | Refused:
    """A transition script's answer: {'ok', event id} or {'err', code, details…}."""
    if raw[0] == "ok":
        return Transition(event_id=raw[1])
    return Refused(code=raw[1], details=tuple(raw[2:]))


class Scripts:
    """Every script registered on one connection (EVALSHA, loaded again after a restart)."""

    def __init__(self, redis: Redis) -> None:
        self._scripts: dict[str, AsyncScript] = {
            name: redis.register_script(source(name)) for name in names()
        }

    async def run(self, name: str, keys: list[str], args: list[Any]) -> Any:
        return await self._scripts[name](keys=keys, args=[str(a) for a in args])
