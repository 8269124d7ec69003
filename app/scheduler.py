"""The one place for time-based work: due timers in a sorted set, claimed atomically."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from app.clock import Clock
from app.config import BeaconConfig
from app.domain.escalation import Step, delay_s, next_step
from app.metrics import METRICS
from app.store import IncidentStore
from app.store.approvals import ApprovalStore
from app.store.incident_channels import ChannelStore

log = logging.getLogger("beacon.scheduler")

LEASE_S = 60.0


class Scheduler:
    def __init__(
        self, store: IncidentStore, clock: Clock, *, idle_s: float = 1.0,
        config: BeaconConfig | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.config = config
        self.idle_s = idle_s
        self.fired = 0
        self._handlers: dict[str, Callable[[str, dict[str, str]], Awaitable[None]]] = {
            "snooze_wake": self._wake,
            "approval_expire": self._approval_expire,
            "escalate": self._escalate,
            "sla": self._sla,
            "update_reminder": self._update_reminder,  # issue 7
            "channel_archive": self._channel_archive,  # issue 7
        }

    async def _wake(self, timer_id: str, timer: dict[str, str]) -> None:
        await self.store.wake(timer["incident_id"], timer_id, self.clock.now())

    def register(
        self, kind: str, handler: Callable[[str, dict[str, str]], Awaitable[None]]
    ) -> None:
        """Timer kinds whose work lives elsewhere (approval_callback: an HTTP POST)."""
        self._handlers[kind] = handler

    async def _approval_expire(self, timer_id: str, timer: dict[str, str]) -> None:
        await ApprovalStore(self.store).expire(timer["approval_id"], self.clock.now())

    async def _escalate(self, timer_id: str, timer: dict[str, str]) -> None:
        incident_id = timer["incident_id"]
        current = Step(int(timer["from_level"]), int(timer["from_round"]))
        incident = await self.store.get(incident_id)
        found = self.config.policy_for(incident.service) if self.config and incident else None
        if found is None:
            await self.store.drop_timer(timer_id)
            return
        _, policy = found
        nxt = next_step(policy, current)
        next_timer = None
        epoch = timer.get("epoch", "")  # a reopened incident's round: its own timer ids
        if nxt is not None:  # the timer that moves on from the new level in its turn
            due = self.clock.now() + delay_s(policy, nxt.level)
            tail = f":o{epoch}" if epoch else ""
            next_timer = (f"esc:{incident_id}:{nxt.round}:{nxt.level}{tail}", due)
        await self.store.escalate(
            incident_id, timer_id, from_step=(current.level, current.round),
            to_step=(nxt.level, nxt.round) if nxt else None, next_timer=next_timer,
            now=self.clock.now(), epoch=epoch,
        )

    async def _sla(self, timer_id: str, timer: dict[str, str]) -> None:
        await self.store.sla_breach(
            timer["incident_id"], timer_id, timer["sla"], int(timer.get("minutes", 0)),
            self.clock.now(), epoch=timer.get("epoch", ""),
        )

    async def _update_reminder(self, timer_id: str, timer: dict[str, str]) -> None:
        await ChannelStore(self.store).update_reminder(
            timer["incident_id"], timer_id, int(timer["minutes"]), self.clock.now()
        )

    async def _channel_archive(self, timer_id: str, timer: dict[str, str]) -> None:
        await ChannelStore(self.store).channel_archive(
            timer["incident_id"], timer_id, timer["stage"], timer["resolved_at"], self.clock.now()
        )

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
