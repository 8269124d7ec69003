"""Runbook runs: each transition one Lua script (app/store/scripts.py).

A run is one runbook on one incident, keyed `<runbook>@<trigger event id>`, so a redelivered
trigger finds it started. Its state (step, status) lives in the incident's runbooks hash.
"""

from __future__ import annotations

import json
from typing import Any

from app.domain.results import Refused, Transition
from app.domain.timers import runbook_resume_id
from app.store.base import RedisStore
from app.store.scripts import outcome_of


class RunbookStore(RedisStore):
    def _keys(self, incident_id: str) -> list[str]:
        return [*self._inc3(incident_id), self.keys.incident_runbooks(incident_id)]

    def _timed(self, incident_id: str, timer_id: str) -> list[str]:
        return [*self._keys(incident_id), self.keys.timers(), self.keys.timer(timer_id)]

    async def start(
        self,
        incident_id: str,
        run_id: str,
        runbook: str,
        total: int,
        now: float,
        *,
        due: float = 0,
        if_status: str = "any",
    ) -> Transition | Refused:
        """Start once; with `due`, the first step waits for a timer (a timer trigger)."""
        timer_id = runbook_resume_id(incident_id, run_id, 0)
        args = [now, run_id, runbook, total, due, timer_id, if_status]
        raw = await self._run("runbook_start", self._timed(incident_id, timer_id), args)
        return outcome_of(raw)

    async def step_done(
        self,
        incident_id: str,
        run_id: str,
        step: int,
        result: str,
        now: float,
        delay: float = 0,
        *,
        step_type: str = "",
        outcome: str = "",
    ) -> Transition | Refused:
        timer_id = runbook_resume_id(incident_id, run_id, step + 1)
        args = [now, run_id, step, result, delay, timer_id, step_type, outcome]
        raw = await self._run("runbook_step_done", self._timed(incident_id, timer_id), args)
        return outcome_of(raw)

    async def resume(
        self, incident_id: str, run_id: str, step: int, timer_id: str, if_status: str, now: float
    ) -> Transition | Refused:
        args = [now, run_id, step, timer_id, if_status]
        raw = await self._run("runbook_resume", self._timed(incident_id, timer_id), args)
        return outcome_of(raw)

    async def fail(
        self, incident_id: str, run_id: str, step: int, step_type: str, error: str, now: float
    ) -> Transition | Refused:
        args = [now, run_id, step, step_type, error]
        return outcome_of(await self._run("runbook_fail", self._keys(incident_id), args))

    async def retry(
        self, incident_id: str, run_id: str, step: int, actor: str, now: float
    ) -> Transition | Refused:
        args = [now, run_id, step, actor]
        return outcome_of(await self._run("runbook_retry", self._keys(incident_id), args))

    async def runs(self, incident_id: str) -> dict[str, dict[str, Any]]:
        raw = await self.redis.hgetall(self.keys.incident_runbooks(incident_id))
        return {run_id: json.loads(state) for run_id, state in raw.items()}
