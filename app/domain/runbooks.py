"""Runbooks: retrying a failed step, and resuming runs when their timer is due."""

from __future__ import annotations

from app.domain.errors import AlreadyDone, InvalidInput
from app.domain.incidents import IncidentService
from app.domain.ports import RunbookRepository
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
                raise AlreadyDone(
                    f"Step {step + 1} of that runbook is not waiting for a retry any more "
                    f"(the run is {state}): someone retried it already."
                )
            if outcome.code == "no_run":
                raise InvalidInput(f"That runbook run is not on {incident_id} any more.")
        self.incidents._check(incident_id, outcome)

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
