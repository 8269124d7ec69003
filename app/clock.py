"""The one source of time. Tests inject FakeClock and move time without sleeping."""

from __future__ import annotations

import asyncio
import time
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Seconds since the epoch."""

    async def sleep(self, seconds: float) -> None:
        """Wait `seconds` of this clock's time (may return early on a wake-up)."""


class SystemClock:
    def now(self) -> float:
        return time.time()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))


class FakeClock:
    """A clock that only moves when told; sleepers wake when time passes their deadline.

    Sleepers wait on an Event that each advance replaces (not on a Condition: a cancelled
    Condition.wait must take its lock back, and under many sleepers that can hang a shutdown).
    """

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self._now = start
        self._tick = asyncio.Event()

    def now(self) -> float:
        return self._now

    async def advance(self, seconds: float) -> None:
        self._now += seconds
        tick, self._tick = self._tick, asyncio.Event()
        tick.set()
        await asyncio.sleep(0)

    async def sleep(self, seconds: float) -> None:
        deadline = self._now + seconds
        # Real-time cap keeps polling loops responsive to work that is not timer-driven.
        try:
            async with asyncio.timeout(0.05):
                while self._now < deadline:
                    await self._tick.wait()
        except TimeoutError:
            pass
        if seconds <= 0:
            await asyncio.sleep(0)
