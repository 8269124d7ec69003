"""The one place for time-based work: due timers in a sorted set, claimed atomically."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from app.clock import Clock
from app.metrics import METRICS
from app.store import IncidentStore

log = logging.getLogger("beacon.scheduler")

LEASE_S = 60.0


class Scheduler:
    def __init__(self, store: IncidentStore, clock: Clock, *, idle_s: float = 1.0) -> None:
        self.store = store
        self.clock = clock
        self.idle_s = idle_s
        self.fired = 0
        self._handlers: dict[str, Callable[[str, dict[str, str]], Awaitable[None]]] = {
            "snooze_wake": self._wake,
        }

    async def _wake(self, timer_id: str, timer: dict[str, str]) -> None:
        await self.store.wake(timer["incident_id"], timer_id, self.clock.now())

    async def tick(self) -> int:
        """Claim and fire every due timer once. Returns how many fired."""
        now = self.clock.now()
        fired = 0
        for timer_id in await self.store.claim_timers(now, LEASE_S):
            timer = await self.store.timer(timer_id)
            handler = self._handlers.get(timer.get("kind", ""))
            if handler is None:
                log.error("timer %s has unknown kind %r; dropping it", timer_id, timer.get("kind"))
                await self.store.drop_timer(timer_id)
                continue
            await handler(timer_id, timer)
            fired += 1
        self.fired += fired
        return fired

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.tick()
            except asyncio.CancelledError:
                raise
            except Exception:
                METRICS.worker_errors.labels(worker="scheduler").inc()
                log.exception("scheduler tick failed")
            due = await self._next_due_safe()
            wait = (
                self.idle_s if due is None else min(self.idle_s, max(0.0, due - self.clock.now()))
            )
            await self.clock.sleep(wait)

    async def _next_due_safe(self) -> float | None:
        try:
            return await self.store.next_timer_due()
        except Exception:
            return None
