"""Outbox retention: trim what every consumer group acknowledged, watch what it has not.

`StreamRetention.run` is a worker loop (started next to the notifier): every `interval_s` of
the injectable clock it trims the events stream (app/store/outbox.py; only acknowledged
entries ever go) and reads the backlog into metrics. It never drops an event: when the backlog
passes `max_backlog` it logs one ERROR saying so, and one line again when it drains.

`assess` is the one rule for "is delivery to Slack keeping up"; /healthz (app/ops/server.py) and
`StreamRetention.status` both use it.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from app.clock import Clock
from app.ops.metrics import METRICS, NOTIFIER_GROUP
from app.store.outbox import Backlog, OutboxStore

if TYPE_CHECKING:
    from app.settings import Settings

log = logging.getLogger("beacon.outbox")

OK = "ok"
DEGRADED = "degraded"


@dataclass(frozen=True)
class DeliveryThresholds:
    max_lag: int = 1000  # events no notifier has read yet
    max_age_s: float = 120.0  # age of the oldest unread or unacknowledged event
    max_backlog: int = 100_000  # events not acknowledged (unread + pending)

    @classmethod
    def from_settings(cls, settings: Settings) -> DeliveryThresholds:
        return cls(
            max_lag=settings.beacon_health_max_lag,
            max_age_s=settings.beacon_health_max_age_s,
            max_backlog=settings.beacon_outbox_max_backlog,
        )


def assess(backlog: Backlog, thresholds: DeliveryThresholds) -> tuple[str, list[str]]:
    """("ok" | "degraded", why): the worst consumer group against the thresholds."""
    t = thresholds
    reasons: list[str] = []
    if backlog.lag > t.max_lag:
        reasons.append(f"outbox lag {backlog.lag} events (max {t.max_lag})")
    undelivered = backlog.oldest_undelivered_age_s
    if undelivered is not None and undelivered > t.max_age_s:
        reasons.append(f"oldest undelivered event {undelivered:.0f} s old (max {t.max_age_s:g} s)")
    pending = backlog.oldest_pending_age_s
    if pending is not None and pending > t.max_age_s:
        reasons.append(f"oldest unacknowledged event {pending:.0f} s old (max {t.max_age_s:g} s)")
    if backlog.unacknowledged > t.max_backlog:
        reasons.append(
            f"outbox backlog {backlog.unacknowledged} unacknowledged events (max {t.max_backlog})"
        )
    return (DEGRADED if reasons else OK), reasons


class StreamRetention:
    def __init__(
        self,
        store: OutboxStore,
        clock: Clock,
        thresholds: DeliveryThresholds | None = None,
        *,
        interval_s: float = 30.0,
    ) -> None:
        self.store = store
        self.clock = clock
        self.thresholds = thresholds or DeliveryThresholds()
        self.interval_s = interval_s
        self.last: Backlog | None = None  # from the last pass that reached Redis
        self.trimmed = 0  # entries this instance trimmed, in all
        self.passes = 0  # passes that reached Redis
        self._status: tuple[str, list[str]] = (OK, [])
        self._over_backlog = False
        self.workspace = ""  # multi-workspace mode: the team id its metrics are labelled with

    def status(self) -> tuple[str, list[str]]:
        """("ok" | "degraded", reasons) as of the last pass; "ok" before the first."""
        state, reasons = self._status
        return state, list(reasons)

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                METRICS.worker_errors.labels(worker="retention").inc()
                log.exception("outbox retention pass failed; trying again in %g s", self.interval_s)
            # FakeClock.sleep returns after 50 ms of real time even when its time stands
            # still, and a stop should not wait a whole interval: sleep in slices to a deadline.
            deadline = self.clock.now() + self.interval_s
            while not stop.is_set() and self.clock.now() < deadline:
                await self.clock.sleep(min(1.0, deadline - self.clock.now()))

    async def run_once(self) -> Backlog:
        """One pass: trim what every group acknowledged, then measure what is left."""
        removed = await self.store.trim_acknowledged()
        if removed:
            self.trimmed += removed
            METRICS.outbox(self.workspace).trimmed.inc(removed)
        backlog = await self.store.backlog(self.clock.now())
        self.passes += 1
        self.last = backlog
        self._status = assess(backlog, self.thresholds)
        self._set_metrics(backlog)
        self._alert(backlog)
        return backlog

    def _set_metrics(self, backlog: Backlog) -> None:
        gauges = METRICS.outbox(self.workspace)
        gauges.stream_length.set(backlog.length)
        notifier = backlog.group(NOTIFIER_GROUP)
        if notifier is not None:
            gauges.lag.set(notifier.lag)
            gauges.pending.set(notifier.pending)
        gauges.oldest_pending_seconds.set(backlog.oldest_pending_age_s or 0)
        gauges.oldest_undelivered_seconds.set(backlog.oldest_undelivered_age_s or 0)

    def _alert(self, backlog: Backlog) -> None:
        """One ERROR when the backlog passes max_backlog, one line when it is back under."""
        over = backlog.unacknowledged > self.thresholds.max_backlog
        if over == self._over_backlog:
            return
        self._over_backlog = over
        worst = max(backlog.groups, key=lambda g: g.unacknowledged, default=None)
        group = worst.name if worst else "?"
        if over:
            log.error(
                "OUTBOX BACKLOG: %d events in %s not acknowledged by consumer group '%s' "
                "(max %d; %d never read, %d read but not acknowledged). Slack is not being "
                "updated. Nothing is dropped, but Redis memory grows until it drains. Check: "
                "is Slack reachable (beacon_slack_api_calls_total errors, 429s)? Is a notifier "
                "running and moving (beacon_notifier_events_applied_total, worker errors in "
                "the logs, XINFO GROUPS %s)?",
                backlog.unacknowledged,
                self.store.stream,
                group,
                self.thresholds.max_backlog,
                worst.lag if worst else 0,
                worst.pending if worst else 0,
                self.store.stream,
                extra={"outbox_backlog": backlog.unacknowledged, "group": group},
            )
        else:
            log.warning(
                "outbox backlog back under %d: %d events not acknowledged",
                self.thresholds.max_backlog,
                backlog.unacknowledged,
                extra={"outbox_backlog": backlog.unacknowledged},
            )
