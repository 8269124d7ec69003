"""Incident retention: resolved incidents older than `retention.resolved_days` are archived
and their keys removed, a batch at a time, so memory has a bound the operator sets."""

from __future__ import annotations

import asyncio
import logging

from app.clock import Clock
from app.config.retention import RetentionConfig
from app.domain.ports import RetentionRepository

log = logging.getLogger("beacon.retention")

BATCH = 100  # incidents per store call: each is one short Lua script


class IncidentRetention:
    def __init__(self, store: RetentionRepository, config: RetentionConfig, clock: Clock) -> None:
        self.store = store
        self.config = config
        self.clock = clock

    async def sweep(self) -> int:
        """Everything due now; returns how many incidents were archived and removed."""
        days = self.config.resolved_days
        if days is None:
            return 0
        before = self.clock.now() - days * 86400
        total = 0
        while (due := await self.store.retire_resolved(before, BATCH)) > 0:
            total += due
            if due < BATCH:
                break
        if total:
            log.info("archived and removed %d incidents resolved over %d days ago", total, days)
        return total

    async def run(self, stop: asyncio.Event) -> None:
        """Sweep every `interval_minutes` until stopped; a failed sweep is retried next time."""
        while not stop.is_set():
            try:
                await self.sweep()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("incident retention sweep failed; retried at the next one")
            await self.clock.sleep(self.config.interval_minutes * 60)
