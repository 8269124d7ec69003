"""Incident-channel transitions: status updates, update reminders, reopen, channel archive timers.

The scripts are registered in IncidentStore.SCRIPTS; this wrapper only names their keys.
"""

from __future__ import annotations

from app.domain.timers import update_reminder_id
from app.store.store import IncidentStore, Refused, Transition, _result


class ChannelStore:
    def __init__(self, base: IncidentStore) -> None:
        self.base = base
        self.keys = base.keys

    def _inc3(self, incident_id: str) -> list[str]:
        return self.base._inc3(incident_id)

    async def status_update(
        self, incident_id: str, actor: str, text: str, now: float
    ) -> Transition | Refused:
        args = [now, actor, text]
        return _result(await self.base._run("status_update", self._inc3(incident_id), args))

    async def update_reminder(
        self, incident_id: str, timer_id: str, minutes: int, now: float
    ) -> Transition | Refused:
        next_id = update_reminder_id(incident_id, now)
        if next_id == timer_id:
            next_id += "b"
        k = self.keys
        keys = [*self._inc3(incident_id), k.timers(), k.timer(timer_id), k.timer(next_id)]
        raw = await self.base._run("update_reminder", keys, [now, timer_id, next_id, minutes])
        return _result(raw)

    async def reopen(
        self, incident_id: str, actor: str, now: float, esc_start: int = 0
    ) -> Transition | Refused:
        """`esc_start`: the level escalation restarts at (0: no policy, nothing restarts)."""
        keys = [*self._inc3(incident_id), self.keys.incidents_open()]
        return _result(await self.base._run("reopen", keys, [now, actor, esc_start]))

    async def channel_archive(
        self, incident_id: str, timer_id: str, stage: str, resolved_at: str, now: float
    ) -> Transition | Refused:
        k = self.keys
        keys = [*self._inc3(incident_id), k.timers(), k.timer(timer_id)]
        args = [now, timer_id, stage, resolved_at]
        return _result(await self.base._run("channel_archive", keys, args))

    async def timeline_request(
        self, incident_id: str, actor: str, channel: str, now: float
    ) -> Transition | Refused:
        args = [now, actor, channel]
        return _result(await self.base._run("timeline_request", self._inc3(incident_id), args))
