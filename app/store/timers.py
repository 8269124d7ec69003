"""Timers: one sorted set of due times and a hash per timer; the scheduler claims due ones,
whoever owns the work arms them."""

from __future__ import annotations

import json
from typing import Any

from app.domain.results import Refused, Transition
from app.store.base import RedisStore
from app.store.scripts import Call, outcome_of


class TimerStore(RedisStore):
    """The scheduler's side (claim, read, drop) and arming; implements DigestTimers."""

    async def claim_timers(self, now: float, lease: float, limit: int = 50) -> list[str]:
        return list(await self._run("claim_timers", [self.keys.timers()], [now, lease, limit]))

    async def timer(self, timer_id: str) -> dict[str, str]:
        return await self.redis.hgetall(self.keys.timer(timer_id))

    async def drop_timer(self, timer_id: str) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.zrem(self.keys.timers(), timer_id)
            pipe.delete(self.keys.timer(timer_id))
            await pipe.execute()

    async def next_timer_due(self) -> float | None:
        rows = await self.redis.zrange(self.keys.timers(), 0, 0, withscores=True)
        return float(rows[0][1]) if rows else None

    async def arm(
        self, incident_id: str, *, fields: dict[str, Any], timers: list[dict[str, Any]]
    ) -> int:
        """Arm timers (deterministic ids: arming twice is a no-op) and set absent fields."""
        call = self.arm_call(incident_id, fields=fields, timers=timers)
        return int(await self._run(call.name, call.keys, call.args))

    def arm_call(
        self, incident_id: str, *, fields: dict[str, Any], timers: list[dict[str, Any]]
    ) -> Call:
        keys = [self.keys.incident(incident_id), self.keys.timers()]
        keys += [self.keys.timer(t["id"]) for t in timers]
        return Call("arm", keys, [json.dumps({"fields": fields, "timers": timers})])

    async def arm_timer(self, timer_id: str, due: float, fields: dict[str, str]) -> bool:
        """Arm a timer that belongs to no incident (ZADD NX: arming twice is a no-op)."""
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.zadd(self.keys.timers(), {timer_id: due}, nx=True)
            pipe.hset(self.keys.timer(timer_id), mapping={**fields, "due": str(due)})
            added, _ = await pipe.execute()
        return bool(added)

    async def advance_timer(self, timer_id: str, due: float) -> None:
        """Bring an armed timer forward (never back): an empty level escalates at once."""
        await self.redis.zadd(self.keys.timers(), {timer_id: due}, xx=True, lt=True)

    async def digest_due(self, digest_id: str, timer_id: str, now: float) -> Transition | Refused:
        keys = [*self._inc3(digest_id), self.keys.timers(), self.keys.timer(timer_id)]
        return outcome_of(await self._run("digest_due", keys, [now, timer_id, digest_id]))
