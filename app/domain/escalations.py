"""Escalate now: a person moves an unacknowledged incident to its next escalation level at
once, through the same transition as the escalation timer (escalate.lua), so the timer that
was due is dropped and the next level's is armed as if it had fired."""

from __future__ import annotations

from dataclasses import dataclass

from app.domain.errors import InvalidInput
from app.domain.escalation import Step, delay_s, next_step
from app.domain.incidents import IncidentService
from app.domain.models import Incident, Status
from app.domain.ports import EscalationRepository
from app.domain.results import Refused
from app.domain.timers import escalation_id


@dataclass(frozen=True)
class EscalationPlan:
    incident: Incident
    policy: str
    current: Step
    next: Step


class Escalations:
    def __init__(self, incidents: IncidentService, store: EscalationRepository) -> None:
        self.incidents = incidents
        self.store = store
        self.config = incidents.config
        self.clock = incidents.clock

    async def plan(self, incident_id: str) -> EscalationPlan:
        """Where Escalate now would go; refused (why, in words) when it cannot."""
        incident = await self.incidents.get_open(incident_id)
        if incident.status is not Status.TRIGGERED:
            raise InvalidInput(
                f"{incident.id} is acknowledged: escalation pages only while nobody has. "
                "Reassign it to bring someone in."
            )
        found = self.config.policy_for(incident.service)
        if found is None or not incident.esc_level:
            raise InvalidInput(
                f"{incident.id} has no escalation policy: nobody to escalate to. "
                "Reassign it instead."
            )
        name, policy = found
        current = Step(incident.esc_level, incident.esc_round)
        nxt = next_step(policy, current)
        if nxt is None:
            raise InvalidInput(f"{incident.id} is at the last escalation level already.")
        return EscalationPlan(incident, name, current, nxt)

    async def escalate_now(self, incident_id: str, actor: str) -> Incident:
        plan = await self.plan(incident_id)
        found = self.config.policy_for(plan.incident.service)
        assert found is not None  # plan() checked
        inc, now, epoch = plan.incident, self.clock.now(), plan.incident.epoch
        nxt = plan.next
        outcome = await self.store.escalate(
            inc.id, escalation_id(inc.id, plan.current, epoch=epoch),
            from_step=(plan.current.level, plan.current.round), to_step=(nxt.level, nxt.round),
            next_timer=(escalation_id(inc.id, nxt, epoch=epoch),
                        now + delay_s(found[1], nxt.level)),
            now=now, epoch=epoch, actor=actor,
        )
        if isinstance(outcome, Refused):
            if outcome.code == "snoozed":
                raise InvalidInput(f"{inc.id} is snoozed: paging waits until it wakes up.")
            raise InvalidInput(
                f"{inc.id} changed meanwhile (acknowledged or escalated): see its card."
            )
        return await self.incidents.get(inc.id)
