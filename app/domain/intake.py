"""What the intake API asks of the domain beyond IncidentService: alerts that fire again,
investigation updates, and listing incidents by status."""

from __future__ import annotations

from enum import StrEnum

from app.domain.alerts import AlertNotification, AlertsOutcome
from app.domain.errors import AlreadyDone, IncidentNotFound, InvalidInput
from app.domain.incidents import IncidentService
from app.domain.listing import IncidentPage, IncidentState
from app.domain.models import NOTE_MAX, Incident, NewIncident
from app.domain.ports import IntakeRepository
from app.domain.results import Refused, Transition

DEDUP_KEY_MAX = 200
INVESTIGATION_TEXT_MAX = 3000


class InvestigationStage(StrEnum):
    STARTED = "started"
    HYPOTHESIS = "hypothesis"
    ROOT_CAUSE = "root_cause"
    REMEDIATION = "remediation"
    ACTION_EXECUTED = "action_executed"


StatusFilter = IncidentState  # the API's ?status= names the list it reads


class IntakeService:
    def __init__(self, incidents: IncidentService, store: IntakeRepository) -> None:
        self.incidents = incidents
        self.store = store
        self.clock = incidents.clock

    async def declare_or_refire(self, new: NewIncident) -> tuple[Incident, bool]:
        """Declare, or count a repeat on the open incident with the same dedup key.

        Returns (incident, created). Refire is tried first; declare.lua refuses a dedup key that
        became open in between (two alerts at once), and then the refire wins on the next try.
        """
        if new.dedup_key and len(new.dedup_key) > DEDUP_KEY_MAX:
            raise InvalidInput(f"Keep dedup_key to {DEDUP_KEY_MAX} characters.", field="dedup_key")
        for _ in range(3):
            if new.dedup_key:
                incident_id, fired = await self.store.refire(
                    new.dedup_key, new.reporter, self.clock.now()
                )
                if isinstance(fired, Transition) and incident_id:
                    return await self.incidents.get(incident_id), False
            errors = self.incidents.validate_new(new)
            if errors:
                field, message = next(iter(errors.items()))
                raise InvalidInput(message, field=field)
            incident_id, outcome = await self.store.declare(new, self.clock.now())
            if isinstance(outcome, Transition):
                return await self.incidents.get(incident_id), True
            if outcome.code != "duplicate":
                raise AlreadyDone(f"{incident_id} could not be declared ({outcome.code}).")
        raise AlreadyDone("The alert kept changing while Beacon recorded it; send it again.")

    async def alerts(
        self, note: AlertNotification, *, annotate: bool, done_text: str, done_note: str
    ) -> AlertsOutcome:
        """Declare or update the incident behind an Alertmanager group (or alert) in one
        transition; when the sender says it is all resolved, resolve it with `done_note`
        (or, with `annotate`, add `done_text` to its thread)."""
        errors = self.incidents.validate_new(note.new)
        if errors:
            field, message = next(iter(errors.items()))
            raise InvalidInput(message, field=field)
        applied = await self.store.alerts(note, self.clock.now())
        incident_id = applied.incident_id
        if incident_id is None:
            return AlertsOutcome(applied, "no_open_incident")
        if not note.closing:
            return AlertsOutcome(applied, "declared" if applied.created else "updated")
        actor = note.new.reporter
        if annotate:
            await self.incidents.add_note(incident_id, actor, done_text)
            return AlertsOutcome(applied, "annotated")
        try:
            await self.incidents.resolve(incident_id, actor, done_note)
        except AlreadyDone:  # a person resolved it meanwhile
            return AlertsOutcome(applied, "updated")
        return AlertsOutcome(applied, "resolved")

    async def investigation_update(
        self,
        incident_id: str,
        actor: str,
        stage: InvestigationStage,
        text: str,
        confidence: float | None,
    ) -> Incident:
        text = text.strip()
        if not text:
            raise InvalidInput("Say what was found in `text`.", field="text")
        if len(text) > INVESTIGATION_TEXT_MAX:
            raise InvalidInput(
                f"Keep text to {INVESTIGATION_TEXT_MAX} characters (it has {len(text)}).",
                field="text",
            )
        if confidence is not None and not 0 <= confidence <= 1:
            raise InvalidInput("confidence is between 0 and 1.", field="confidence")
        outcome = await self.store.investigation_update(
            incident_id, actor, str(stage), text, confidence, self.clock.now()
        )
        if isinstance(outcome, Refused):
            raise IncidentNotFound(incident_id)
        return await self.incidents.get(incident_id)

    async def add_note(self, incident_id: str, actor: str, text: str) -> Incident:
        if len(text.strip()) > NOTE_MAX:  # the service's own message speaks of the command
            raise InvalidInput(f"Keep the note to {NOTE_MAX} characters.", field="text")
        if not text.strip():
            raise InvalidInput("Write the note in `text`.", field="text")
        return await self.incidents.add_note(incident_id, actor, text)

    async def list(self, status: StatusFilter, limit: int) -> list[Incident]:
        """The first page of a list (the API's answer until it pages with `page`)."""
        return (await self.page(status, limit)).incidents

    async def page(
        self, status: StatusFilter, limit: int, cursor: str | None = None
    ) -> IncidentPage:
        """One page of incidents with this status, newest first, from the indexes; the
        answer's next_cursor continues it (opaque, Slack-style)."""
        return await self.incidents.page(status, limit, cursor)

    async def open_for_dedup(self, dedup_key: str) -> str | None:
        return await self.store.open_for_dedup(dedup_key)
