"""The Lua scripts: each `lua/<name>.lua` with `lua/_prelude.lua` before it, registered once
per connection; every store runs its transitions through one `Scripts`."""

from __future__ import annotations

import asyncio
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
    """Every script registered on one connection (EVALSHA, loaded again after a restart).

    Scripts called while others wait for Redis share one pipelined round trip (`run`): in a
    burst of a thousand clicks, most of redis-py's cost per call (a pooled connection taken
    and given back, a write, a wake-up) is paid once per batch instead of once per click.
    Each script is still atomic; calls go out in the order they were made."""

    MAX_BATCH = 256
    IN_FLIGHT = 2  # batches on their way at once: more queue up and grow the next batch

    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        self._scripts: dict[str, AsyncScript] = {
            name: redis.register_script(source(name)) for name in names()
        }
        self._queue: list[tuple[Call, asyncio.Future[Any]]] = []
        self._sending: set[asyncio.Task[None]] = set()

    async def run(self, name: str, keys: list[str], args: list[Any]) -> Any:
        """One script's answer. It waits one turn of the event loop for others to join it."""
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[Any] = loop.create_future()
        self._queue.append((Call(name, keys, [str(a) for a in args]), answer))
        if len(self._queue) == 1 and len(self._sending) < self.IN_FLIGHT:
            loop.call_soon(self._flush)
        return await answer

    def _flush(self) -> None:
        while self._queue and len(self._sending) < self.IN_FLIGHT:
            batch, self._queue = self._queue[:self.MAX_BATCH], self._queue[self.MAX_BATCH:]
            task = asyncio.ensure_future(self._send(batch))
            self._sending.add(task)
            task.add_done_callback(self._sent)

    def _sent(self, task: asyncio.Task[None]) -> None:
        self._sending.discard(task)
        if self._queue:  # what queued meanwhile goes next, together
            self._flush()

    async def _send(self, batch: list[tuple[Call, asyncio.Future[Any]]]) -> None:
        try:
            results = await self._results([call for call, _ in batch])
        except asyncio.CancelledError:  # shutting down: nobody waits forever
            for _, answer in batch:
                answer.cancel()
            raise
        for (_, answer), result in zip(batch, results, strict=True):
            if answer.done():  # its caller gave up
                continue
            if isinstance(result, BaseException):
                answer.set_exception(result)
            else:
                answer.set_result(result)

    async def _results(self, calls: list[Call]) -> list[Any]:
        try:
            if len(calls) == 1:  # alone: the plain call (it loads a lost script itself)
                call = calls[0]
                return [await self._scripts[call.name](keys=call.keys, args=call.args)]
            return await self._pipelined(calls)
        except Exception as exc:  # Redis away: every caller hears it
            return [exc] * len(calls)

    async def _pipelined(self, calls: Sequence[Call]) -> list[Any]:
        """Each call's answer or error, in order; scripts Redis lost are loaded and their
        calls sent again (they did not run)."""
        results = await self._pipeline(calls)
        lost = [i for i, r in enumerate(results) if isinstance(r, NoScriptError)]
        if lost:
            for name in {calls[i].name for i in lost}:
                await self._redis.script_load(source(name))
            again = await self._pipeline([calls[i] for i in lost])
            for i, r in zip(lost, again, strict=True):
                results[i] = r
        return results

    async def _pipeline(self, calls: Sequence[Call]) -> list[Any]:
        async with self._redis.pipeline(transaction=False) as pipe:
            for c in calls:  # EVALSHA by hand: a pipeline of Script objects asks
                sha = self._scripts[c.name].sha  # SCRIPT EXISTS first, a round trip
                pipe.evalsha(sha, len(c.keys), *c.keys, *[str(a) for a in c.args])
            return list(await pipe.execute(raise_on_error=False))

    async def run_many(self, calls: Sequence[Call]) -> list[Any]:
        """Several scripts in one round trip, in order; each is atomic, the batch is not (a
        crash between two leaves the later ones undone: callers only batch what they may
        repeat). A Redis that lost its scripts (restart, failover) gets them again."""
        results = await self._pipelined(calls)
        for r in results:
            if isinstance(r, Exception):
                raise r
        return results
