"""Incident-channel transitions: status updates, update reminders, reopen, channel archive timers.

Each is one Lua script (app/store/scripts.py); this store only names their keys.
"""

from __future__ import annotations

from app.domain.results import Refused, Transition
from app.domain.timers import update_reminder_id
from app.store.base import RedisStore
from app.store.scripts import outcome_of


class ChannelStore(RedisStore):
    async def status_update(
        self, incident_id: str, actor: str, text: str, now: float
    ) -> Transition | Refused:
        args = [now, actor, text]
        return outcome_of(await self._run("status_update", self._inc3(incident_id), args))

    async def update_reminder(
        self, incident_id: str, timer_id: str, minutes: int, now: float
    ) -> Transition | Refused:
        next_id = update_reminder_id(incident_id, now)
        if next_id == timer_id:
            next_id += "b"
        k = self.keys
        keys = [*self._inc3(incident_id), k.timers(), k.timer(timer_id), k.timer(next_id)]
        raw = await self._run("update_reminder", keys, [now, timer_id, next_id, minutes])
        return outcome_of(raw)

    async def reopen(
        self, incident_id: str, actor: str, now: float, esc_start: int = 0
    ) -> Transition | Refused:
        """`esc_start`: the level escalation restarts at (0: no policy, nothing restarts)."""
        k = self.keys
        keys = [*self._inc3(incident_id), k.incidents_open(), k.incident_messages(incident_id),
                k.notified(incident_id), k.incident_pinned(incident_id)]
        args = [now, actor, esc_start, k.index_prefix()]
        return outcome_of(await self._run("reopen", keys, args))

    async def channel_archive(
        self, incident_id: str, timer_id: str, stage: str, resolved_at: str, now: float
    ) -> Transition | Refused:
        k = self.keys
        keys = [*self._inc3(incident_id), k.timers(), k.timer(timer_id)]
        args = [now, timer_id, stage, resolved_at]
        return outcome_of(await self._run("channel_archive", keys, args))

    async def timeline_request(
        self, incident_id: str, actor: str, channel: str, now: float
    ) -> Transition | Refused:
        args = [now, actor, channel]
        return outcome_of(await self._run("timeline_request", self._inc3(incident_id), args))
