"""The Lua scripts: each `lua/<name>.lua` with `lua/_prelude.lua` before it, registered once
per connection; every store runs its transitions through one `Scripts`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from redis.asyncio import Redis
from redis.commands.core import AsyncScript
from redis.exceptions import NoScriptError

from app.domain.results import REPEATED, TOLD, Refused, Transition

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
    """A transition script's answer: {'ok', event id}, {'err', code, details…},
    {'repeated'} (a redelivered envelope, lua/_prelude.lua `repeated`) or {'told', code} (a
    refusal recorded as the asker's answer, `refuse_to`)."""
    if raw[0] == "ok":
        return Transition(event_id=raw[1])
    if raw[0] == "repeated":
        return REPEATED
    if raw[0] == "told":
        return TOLD
    return Refused(code=raw[1], details=tuple(raw[2:]))


@dataclass(frozen=True)
class Call:
    """One script to run later, with others in one round trip (Scripts.run_many)."""

    name: str
    keys: list[str]
    args: list[Any]


class Scripts:
    """Every script registered on one connection (EVALSHA, loaded again after a restart)."""

    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        self._scripts: dict[str, AsyncScript] = {
            name: redis.register_script(source(name)) for name in names()
        }

    async def run(self, name: str, keys: list[str], args: list[Any]) -> Any:
        return await self._scripts[name](keys=keys, args=[str(a) for a in args])

    async def run_many(self, calls: Sequence[Call]) -> list[Any]:
        """Several scripts in one round trip, in order; each is atomic, the batch is not (a
        crash between two leaves the later ones undone: callers only batch what they may
        repeat). A Redis that lost its scripts (restart, failover) gets them again."""
        for attempt in range(2):
            async with self._redis.pipeline(transaction=False) as pipe:
                for c in calls:  # EVALSHA by hand: a pipeline of Script objects asks
                    sha = self._scripts[c.name].sha  # SCRIPT EXISTS first, a round trip
                    pipe.evalsha(sha, len(c.keys), *c.keys, *[str(a) for a in c.args])
                results = await pipe.execute(raise_on_error=False)
            if attempt == 0 and any(isinstance(r, NoScriptError) for r in results):
                for c in calls:
                    await self._redis.script_load(source(c.name))
                continue
            for r in results:
                if isinstance(r, Exception):
                    raise r
            return list(results)
        raise AssertionError("unreachable")
