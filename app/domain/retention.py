"""Incident retention: resolved incidents older than `retention.resolved_days` are archived
and their keys removed, a batch at a time, so memory has a bound the operator sets. Decided or
expired approvals and investigation results older than that go too (not archived: nothing
reads them after the fact but their cards, which stay in Slack)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence

from app.clock import Clock
from app.config.retention import RetentionConfig
from app.domain.ports import AgedRepository, RetentionRepository

log = logging.getLogger("beacon.retention")

BATCH = 100  # incidents per store call: each is one short Lua script


class IncidentRetention:
    def __init__(
        self, store: RetentionRepository, config: RetentionConfig, clock: Clock,
        aged: Sequence[AgedRepository] = (),
    ) -> None:
        self.store = store
        self.aged = aged  # approvals (by decision or expiry time), investigations (by posting)
        self.config = config
        self.clock = clock

    async def sweep(self) -> int:
        """Everything due now; returns how many incidents, archive entries, approvals and
        investigation results were removed (the incidents archived first)."""
        days = self.config.resolved_days
        if days is None:
            return 0  # archive_days alone does nothing: only retention archives
        before = self.clock.now() - days * 86400
        total = await _in_batches(self.store.retire_resolved, before)
        if total:
            log.info("archived and removed %d incidents resolved over %d days ago", total, days)
        if self.config.archive_days is not None:
            cutoff = self.clock.now() - self.config.archive_days * 86400
            dropped = await _in_batches(self.store.drop_archived, cutoff)
            if dropped:
                log.info("dropped %d archived incidents resolved over %d days ago", dropped,
                         self.config.archive_days)
            total += dropped
        for store in self.aged:
            removed = await _in_batches(store.remove_before, before)
            if removed:
                log.info("removed %d %s over %d days old", removed, type(store).__name__, days)
            total += removed
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


async def _in_batches(step: Callable[[float, int], Awaitable[int]], before: float) -> int:
    """Call `step(before, BATCH)` until it finds fewer than a batch due; the total removed."""
    total = 0
    while (due := await step(before, BATCH)) > 0:
        total += due
        if due < BATCH:
            break
    return total
