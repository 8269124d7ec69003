"""Transitions on the incident record: follow-ups, the retrospective, roles, messages
pinned by reaction. Each is one Lua script (app/store/scripts.py); this store names their
keys and reads what they wrote.
"""

from __future__ import annotations

from app.domain.models import FollowUp
from app.domain.results import Refused, Transition
from app.store.base import RedisStore
from app.store.scripts import outcome_of


class RecordStore(RedisStore):
    # --- follow-ups --------------------------------------------------------------------------
    async def add_followup(
        self, incident_id: str, actor: str, text: str, now: float
    ) -> tuple[str, Transition | Refused]:
        number = int(await self.redis.incr(self.keys.followup_seq()))
        fid = f"F-{number}"
        k = self.keys
        keys = [
            *self._inc3(incident_id),
            k.followup(fid),
            k.incident_followups(incident_id),
            k.followups_open(),
        ]
        raw = await self._run("followup_add", keys, [now, actor, fid, number, text])
        return fid, outcome_of(raw)

    async def followup(self, followup_id: str) -> FollowUp | None:
        raw = await self.redis.hgetall(self.keys.followup(followup_id))
        return FollowUp.from_redis(raw) if raw else None

    async def finish_followup(
        self, followup_id: str, actor: str, now: float
    ) -> Transition | Refused:
        # The incident id is written once when the item is added, so reading it first is safe.
        incident_id = await self.redis.hget(self.keys.followup(followup_id), "incident_id")
        if not incident_id:
            return Refused("not_found")
        k = self.keys
        keys = [*self._inc3(incident_id), k.followup(followup_id), k.followups_open()]
        return outcome_of(await self._run("followup_done", keys, [now, actor, followup_id]))

    async def followups(self, incident_id: str | None, limit: int = 200) -> list[FollowUp]:
        """The incident's follow-ups (open and done), or every open one when no incident."""
        key = (
            self.keys.incident_followups(incident_id) if incident_id else self.keys.followups_open()
        )
        ids = await self.redis.zrange(key, 0, limit - 1)
        if not ids:
            return []
        async with self.redis.pipeline(transaction=False) as pipe:
            for fid in ids:
                pipe.hgetall(self.keys.followup(fid))
            rows = await pipe.execute()
        return [FollowUp.from_redis(row) for row in rows if row]

    # --- retrospective, roles, pinned messages ----------------------------------------------
    async def schedule_retro(
        self, incident_id: str, actor: str, date: str, owner: str, notes: str, now: float
    ) -> Transition | Refused:
        args = [now, actor, date, owner, notes]
        return outcome_of(await self._run("retro_schedule", self._inc3(incident_id), args))

    async def assign_role(
        self, incident_id: str, actor: str, role: str, user: str, now: float
    ) -> Transition | Refused:
        args = [now, actor, role, user]
        return outcome_of(await self._run("role_assign", self._inc3(incident_id), args))

    async def role_nudge(
        self, incident_id: str, timer_id: str, severities: list[str], roles: list[str], now: float
    ) -> Transition | Refused:
        k = self.keys
        keys = [*self._inc3(incident_id), k.timers(), k.timer(timer_id)]
        args = [now, timer_id, ",".join(severities), *roles]
        return outcome_of(await self._run("role_nudge", keys, args))

    async def pin_message(
        self,
        incident_id: str,
        actor: str,
        *,
        channel: str,
        ts: str,
        author: str,
        text: str,
        permalink: str,
        thread_ts: str = "",
        now: float,
    ) -> Transition | Refused:
        keys = [*self._inc3(incident_id), self.keys.incident_pinned(incident_id)]
        args = [now, actor, channel, ts, author, text, permalink, thread_ts]
        return outcome_of(await self._run("message_pin", keys, args))

    async def incident_for_channel(self, channel: str) -> str | None:
        return await self.redis.get(self.keys.channel_incident(channel))
