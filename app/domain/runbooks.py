"""Runbooks: retrying a failed step, and resuming runs when their timer is due."""

from __future__ import annotations

from app.domain.errors import InvalidInput
from app.domain.incidents import IncidentService, check
from app.domain.ports import RunbookRepository
from app.domain.refusals import Refusal, RefusalCode, RefusalError
from app.domain.results import Refused


class RunbookService:
    def __init__(self, incidents: IncidentService, store: RunbookRepository) -> None:
        self.incidents = incidents
        self.store = store
        self.clock = incidents.clock

    async def retry(self, incident_id: str, run: str, step: int, actor: str) -> None:
        """Run a failed step again; the notifier announces the outcome in the card thread."""
        outcome = await self.store.retry(incident_id, run, step, actor, self.clock.now())
        if isinstance(outcome, Refused):
            if outcome.code == "not_failed":
                state = outcome.details[0] if outcome.details else "gone"
                code = RefusalCode.STEP_NOT_FAILED
                raise RefusalError(Refusal(code, incident_id, actor, value=state, step=step))
            if outcome.code == "no_run":
                raise InvalidInput(f"That runbook run is not on {incident_id} any more.")
        check(incident_id, outcome, actor)

    async def on_timer(self, timer_id: str, timer: dict[str, str]) -> None:
        """A `wait` is over or a timer trigger is due (scheduler kind `runbook_resume`)."""
        await self.store.resume(
            timer["incident_id"],
            timer["run"],
            int(timer["step"]),
            timer_id,
            timer.get("if_status", "any"),
            self.clock.now(),
        )
