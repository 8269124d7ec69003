"""The one place for time-based work: due timers in a sorted set, claimed atomically.

Which handler runs each timer kind is app.domain.timers.HANDLERS; TimerWork is the object
whose methods they name.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from app.clock import Clock
from app.config import BeaconConfig
from app.domain.escalation import Step, delay_s, next_step
from app.domain.timers import TimerFields, TimerHandler, escalation_id, handler_for
from app.ops.metrics import METRICS
from app.store.timers import TimerStore

if TYPE_CHECKING:
    from app.domain.digest import DigestService
    from app.domain.incident_record import IncidentRecord
    from app.domain.runbooks import RunbookService
    from app.store import Stores

log = logging.getLogger("beacon.scheduler")

LEASE_S = 60.0


class NoHandler(LookupError):
    """This process runs no handler for a known kind (approval callbacks without a secret)."""


class TimerWork:
    """The handler of every timer kind (satisfies app.domain.timers.TimerHandlers).

    The stores' own transitions run here; the rest goes to the service that owns the work,
    when this process has it.
    """

    def __init__(
        self,
        stores: Stores,
        clock: Clock,
        config: BeaconConfig | None = None,
        *,
        digest: DigestService | None = None,
        runbooks: RunbookService | None = None,
        record: IncidentRecord | None = None,
        callbacks: TimerHandler | None = None,
    ) -> None:
        self.stores = stores
        self.clock = clock
        self.config = config
        self.digest = digest
        self.runbooks = runbooks
        self.record = record
        self.callbacks = callbacks

    async def wake(self, timer_id: str, timer: TimerFields) -> None:
        await self.stores.incidents.wake(timer["incident_id"], timer_id, self.clock.now())

    async def expire_approval(self, timer_id: str, timer: TimerFields) -> None:
        await self.stores.approvals.expire(timer["approval_id"], self.clock.now())

    async def escalate(self, timer_id: str, timer: TimerFields) -> None:
        incident_id = timer["incident_id"]
        current = Step(int(timer["from_level"]), int(timer["from_round"]))
        incident = await self.stores.incidents.get(incident_id)
        found = self.config.policy_for(incident.service) if self.config and incident else None
        if found is None:
            await self.stores.timers.drop_timer(timer_id)
            return
        _, policy = found
        nxt = next_step(policy, current)
        next_timer = None
        epoch = timer.get("epoch", "")  # a reopened incident's round: its own timer ids
        if nxt is not None:  # the timer that moves on from the new level in its turn
            due = self.clock.now() + delay_s(policy, nxt.level)
            next_timer = (escalation_id(incident_id, nxt, epoch=epoch), due)
        await self.stores.oncall.escalate(
            incident_id, timer_id, from_step=(current.level, current.round),
            to_step=(nxt.level, nxt.round) if nxt else None, next_timer=next_timer,
            now=self.clock.now(), epoch=epoch,
        )

    async def breach_sla(self, timer_id: str, timer: TimerFields) -> None:
        await self.stores.oncall.sla_breach(
            timer["incident_id"], timer_id, timer["sla"], int(timer.get("minutes", 0)),
            self.clock.now(), epoch=timer.get("epoch", ""),
        )

    async def remind_update(self, timer_id: str, timer: TimerFields) -> None:
        await self.stores.channels.update_reminder(
            timer["incident_id"], timer_id, int(timer["minutes"]), self.clock.now()
        )

    async def archive_channel(self, timer_id: str, timer: TimerFields) -> None:
        await self.stores.channels.channel_archive(
            timer["incident_id"], timer_id, timer["stage"], timer["resolved_at"], self.clock.now()
        )

    async def announce_digest(self, timer_id: str, timer: TimerFields) -> None:
        if self.digest is None:
            raise NoHandler("digest")
        await self.digest.on_timer(timer_id, timer)

    async def resume_runbook(self, timer_id: str, timer: TimerFields) -> None:
        if self.runbooks is None:
            raise NoHandler("runbook_resume")
        await self.runbooks.on_timer(timer_id, timer)

    async def nudge_roles(self, timer_id: str, timer: TimerFields) -> None:
        if self.record is None:
            raise NoHandler("role_nudge")
        await self.record.nudge_due(timer_id, timer)

    async def send_approval_callback(self, timer_id: str, timer: TimerFields) -> None:
        if self.callbacks is None:  # callbacks are signed: no secret, no callbacks
            raise NoHandler("approval_callback")
        await self.callbacks(timer_id, timer)


class Scheduler:
    def __init__(
        self, timers: TimerStore, work: TimerWork, clock: Clock, *, idle_s: float = 1.0
    ) -> None:
        self.timers = timers
        self.work = work
        self.clock = clock
        self.idle_s = idle_s
        self.fired = 0

    async def tick(self) -> int:
        """Claim and fire every due timer once. Returns how many fired."""
        now = self.clock.now()
        fired = 0
        for timer_id in await self.timers.claim_timers(now, LEASE_S):
            timer = await self.timers.timer(timer_id)
            kind = timer.get("kind", "")
            handler = handler_for(kind, self.work)
            try:
                if handler is None:
                    raise NoHandler(kind)
                await handler(timer_id, timer)
            except NoHandler:
                log.error("timer %s: no handler for kind %r here; dropping it", timer_id, kind)
                await self.timers.drop_timer(timer_id)
                continue
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
            return await self.timers.next_timer_due()
        except Exception:
            return None
