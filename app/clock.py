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
    """A clock that only moves when told; sleepers wake when time passes their deadline."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self._now = start
        self._changed = asyncio.Condition()

    def now(self) -> float:
        return self._now

    async def advance(self, seconds: float) -> None:
        self._now += seconds
        async with self._changed:
            self._changed.notify_all()

    async def sleep(self, seconds: float) -> None:
        deadline = self._now + seconds
        async with self._changed:
            # Real-time cap keeps polling loops responsive to work that is not timer-driven.
            try:
                await asyncio.wait_for(
                    self._changed.wait_for(lambda: self._now >= deadline), timeout=0.05
                )
            except TimeoutError:
                pass
