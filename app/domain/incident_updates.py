"""Status updates, reopening and timeline requests: the calls `/incident update|reopen|timeline`
make."""

from __future__ import annotations

from app.domain.errors import InvalidInput
from app.domain.escalation import escalation_start
from app.domain.incidents import IncidentService, check
from app.domain.models import NOTE_MAX, Incident
from app.domain.ports import IncidentUpdateRepository
from app.domain.refusals import Refusal, RefusalCode, RefusalError
from app.domain.results import Refused


class IncidentUpdates:
    def __init__(self, incidents: IncidentService, store: IncidentUpdateRepository) -> None:
        self.incidents = incidents
        self.store = store
        self.clock = incidents.clock

    async def post_update(self, incident_id: str, actor: str, text: str) -> Incident:
        text = text.strip()
        if not text:
            raise InvalidInput("Write the update after the id: `/incident update INC-42 <text>`.")
        if len(text) > NOTE_MAX:
            raise InvalidInput(f"Keep the update to {NOTE_MAX} characters (it has {len(text)}).")
        outcome = await self.store.status_update(incident_id, actor, text, self.clock.now())
        check(incident_id, outcome, actor)
        return await self.incidents.get(incident_id)

    async def reopen(self, incident_id: str, actor: str) -> Incident:
        # With an escalation policy, paging restarts where a new incident's would.
        current = await self.incidents.get(incident_id)
        esc_start = escalation_start(self.incidents.config, current.service, current.severity)
        outcome = await self.store.reopen(incident_id, actor, self.clock.now(), esc_start)
        if isinstance(outcome, Refused) and outcome.code == "not_resolved":
            value = outcome.details[0] if outcome.details else None
            raise RefusalError(Refusal(RefusalCode.NOT_RESOLVED, incident_id, actor, value=value))
        check(incident_id, outcome, actor)
        return await self.incidents.get(incident_id)

    async def request_timeline(self, incident_id: str, actor: str, channel: str) -> None:
        outcome = await self.store.timeline_request(incident_id, actor, channel, self.clock.now())
        check(incident_id, outcome, actor)
