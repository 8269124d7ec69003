"""The daily digest's numbers, from the per-quarter-hour totals the transition scripts keep
(never from the incidents themselves): pure, so they can be checked on known data."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from app.domain.listing import STATS_BUCKET_S
from app.domain.timers import digest_timer

if TYPE_CHECKING:
    from app.clock import Clock
    from app.config import BeaconConfig
    from app.domain.investigations import InvestigationService
    from app.domain.ports import DigestRepository, DigestTimers


@dataclass(frozen=True)
class Window:
    incidents: int
    alerts: int  # incidents plus every "fired again"
    by_severity: dict[str, int]
    by_service: dict[str, int]
    mtta_s: float | None
    mttr_s: float | None


@dataclass(frozen=True)
class Digest:
    start: float
    end: float
    today: Window
    yesterday: Window
    open_now: dict[str, int] = field(default_factory=dict)
    accuracy: float | None = None
    votes: int = 0

    @property
    def quiet(self) -> bool:
        return self.today.incidents == 0 and not self.open_now


def window(buckets: list[dict[str, float]]) -> Window:
    """A window's numbers from its buckets' totals (kept by the transition scripts:
    declared, alerts, sev:<s>, svc:<s>, ack_n, ack_sum, res_n, res_sum)."""
    total: dict[str, float] = dict.fromkeys(("declared", "alerts", "ack_n", "res_n"), 0.0)
    total |= {"ack_sum": 0.0, "res_sum": 0.0}
    for bucket in buckets:
        for name, value in bucket.items():
            total[name] = total.get(name, 0.0) + value
    by_severity = {f[4:]: int(n) for f, n in total.items() if f.startswith("sev:") and n > 0}
    by_service = {
        (f[4:] or "(none)"): int(n) for f, n in total.items() if f.startswith("svc:") and n > 0
    }
    return Window(
        incidents=int(total["declared"]),
        alerts=int(total["alerts"]),
        by_severity=dict(sorted(by_severity.items())),
        by_service=dict(sorted(by_service.items(), key=lambda kv: (-kv[1], kv[0]))),
        mtta_s=total["ack_sum"] / total["ack_n"] if total["ack_n"] > 0 else None,
        mttr_s=total["res_sum"] / total["res_n"] if total["res_n"] > 0 else None,
    )


def window_buckets(now: float) -> tuple[float, list[int], list[int]]:
    """(end, today's buckets, the day before's): the 24 h up to the last quarter hour."""
    end = int(now // STATS_BUCKET_S)
    per_day = 86400 // STATS_BUCKET_S
    return (
        end * STATS_BUCKET_S,
        list(range(end - per_day, end)),
        list(range(end - 2 * per_day, end - per_day)),
    )


def compute(
    *,
    now: float,
    totals: dict[int, dict[str, float]],
    open_now: dict[str, int],
    accuracy: float | None = None,
    votes: int = 0,
) -> Digest:
    """Today = the 24 h before `now` (rounded down to a quarter hour); yesterday = the 24 h
    before that. `totals`: bucket -> its totals; missing buckets had nothing."""
    end, today, before = window_buckets(now)
    return Digest(
        start=end - 86400,
        end=end,
        today=window([totals.get(b, {}) for b in today]),
        yesterday=window([totals.get(b, {}) for b in before]),
        open_now={sev: n for sev, n in sorted(open_now.items()) if n > 0},
        accuracy=accuracy,
        votes=votes,
    )


class DigestService:
    """Gathers the digest's data and keeps the next digest timer armed."""

    def __init__(
        self,
        store: DigestRepository,
        timers: DigestTimers,
        config: BeaconConfig,
        clock: Clock,
        investigations: InvestigationService | None = None,
    ) -> None:
        self.store = store
        self.timers = timers
        self.config = config
        self.clock = clock
        self.investigations = investigations

    async def build(self) -> Digest:
        now = self.clock.now()
        _, today, before = window_buckets(now)
        buckets = before + today
        totals = dict(zip(buckets, await self.store.stats(buckets), strict=True))
        counts = await self.store.open_counts(list(self.config.severities))
        accuracy, votes = None, 0
        if self.investigations is not None:
            stats = await self.investigations.stats()
            accuracy, votes = stats.get("accuracy_ratio"), int(stats.get("total") or 0)
        return compute(
            now=now, totals=totals, open_now=counts.by_severity, accuracy=accuracy, votes=votes
        )

    def next_due(self, after: float) -> tuple[str, float]:
        """(digest id, due) of the first digest time strictly after `after`."""
        cfg = self.config.digest
        zone = ZoneInfo(cfg.timezone)
        at = time.fromisoformat(cfg.time)
        day = datetime.fromtimestamp(after, zone).date()
        while True:
            when = datetime.combine(day, at, tzinfo=zone)
            if when.timestamp() > after:
                return f"DIGEST-{day.isoformat()}", when.timestamp()
            day += timedelta(days=1)

    async def on_timer(self, timer_id: str, timer: dict[str, str]) -> None:
        """Announce today's digest once, and arm tomorrow's (scheduler kind `digest`)."""
        now = self.clock.now()
        await self.timers.digest_due(timer["digest_id"], timer_id, now)
        await self.arm_next(after=now)

    async def arm_next(self, after: float | None = None) -> str | None:
        if not self.config.digest.enabled:
            return None
        digest_id, due = self.next_due(self.clock.now() if after is None else after)
        timer = digest_timer(digest_id, due)
        await self.timers.arm_timer(timer["id"], due, timer["fields"])
        return timer["id"]
