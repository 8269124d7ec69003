"""On call: escalation and SLA breaches (transitions fired by timers), and the overrides
people add from Slack."""

from __future__ import annotations

from app.domain.results import Refused, Transition
from app.store.base import RedisStore
from app.store.scripts import outcome_of


class OnCallStore(RedisStore):
    """Implements the domain's OverrideRepository."""

    async def escalate(
        self, incident_id: str, timer_id: str, *, from_step: tuple[int, int],
        to_step: tuple[int, int] | None, next_timer: tuple[str, float] | None, now: float,
        epoch: str = "", actor: str = "beacon",
    ) -> Transition | Refused:
        """One step up; `actor`: who asked ('beacon' when its timer fired)."""
        next_id, next_due = next_timer or ("", 0)
        keys = [*self._inc3(incident_id), self.keys.timers(), self.keys.timer(timer_id),
                self.keys.timer(next_id or timer_id)]
        to_level, to_round = to_step or ("", "")
        args = [now, timer_id, from_step[0], from_step[1], to_level, to_round, next_id, next_due,
                epoch, actor]
        return outcome_of(await self._run("escalate", keys, args))

    async def sla_breach(
        self, incident_id: str, timer_id: str, kind: str, minutes: int, now: float,
        epoch: str = "",
    ) -> Transition | Refused:
        keys = [*self._inc3(incident_id), self.keys.timers(), self.keys.timer(timer_id)]
        args = [now, timer_id, kind, minutes, epoch]
        return outcome_of(await self._run("sla_breach", keys, args))

    async def add_override(self, schedule: str, override_json: str, end: float) -> None:
        await self.redis.zadd(self.keys.oncall_overrides(schedule), {override_json: end})

    async def overrides(self, schedule: str, now: float) -> list[str]:
        key = self.keys.oncall_overrides(schedule)
        await self.redis.zremrangebyscore(key, "-inf", now)  # ended ones
        return list(await self.redis.zrange(key, 0, -1))
