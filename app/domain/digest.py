"""The daily digest's numbers, from incidents: pure, so they can be checked on known data."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from app.domain.models import Incident
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


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def window(incidents: list[Incident]) -> Window:
    acks = [i.acknowledged_at - i.created_at for i in incidents if i.acknowledged_at]
    fixes = [i.resolved_at - i.created_at for i in incidents if i.resolved_at]
    return Window(
        incidents=len(incidents),
        alerts=sum(max(1, i.fired_count) for i in incidents),
        by_severity=dict(sorted(Counter(i.severity for i in incidents).items())),
        by_service=dict(Counter(i.service or "(none)" for i in incidents).most_common()),
        mtta_s=_mean(acks),
        mttr_s=_mean(fixes),
    )


def compute(
    *,
    now: float,
    last_48h: list[Incident],
    open_now: list[Incident],
    accuracy: float | None = None,
    votes: int = 0,
) -> Digest:
    """Today = the 24 h before `now`; yesterday = the 24 h before that."""
    start = now - 86400
    today = [i for i in last_48h if start <= i.created_at < now]
    before = [i for i in last_48h if start - 86400 <= i.created_at < start]
    return Digest(
        start=start,
        end=now,
        today=window(today),
        yesterday=window(before),
        open_now=dict(sorted(Counter(i.severity for i in open_now).items())),
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
        recent = await self.store.incidents_since(now - 2 * 86400)
        open_now = await self.store.list_open(1000)
        accuracy, votes = None, 0
        if self.investigations is not None:
            stats = await self.investigations.stats()
            accuracy, votes = stats.get("accuracy_ratio"), int(stats.get("total") or 0)
        return compute(now=now, last_48h=recent, open_now=open_now, accuracy=accuracy, votes=votes)

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
