"""Workflow Builder steps: their inputs read once into typed forms, their outputs, and the words
a step ends with. Workflow Builder shows a step's error as plain text, so the words are the
domain's plain ones (the same sentences a person reads, people as ids, times in UTC).

Who a step acts as: its `user` input when the workflow maps one ("Person who used this
workflow"), else the person of an interactive trigger, else Beacon itself, as the timeline
then says.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.domain.errors import InvalidInput
from app.domain.incidents import normalise_id
from app.domain.models import Incident, NewIncident
from app.domain.oncall_service import OnCallAnswer

WORKFLOW_ACTOR = "beacon"  # no person named: the timeline says "Beacon"


def _text(inputs: dict[str, Any], name: str) -> str:
    value = inputs.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidInput(f"The step's `{name}` input must be text.", field=name)
    return value.strip()


def _user_id(inputs: dict[str, Any], name: str) -> str | None:
    value = _text(inputs, name)
    if value and not (value[:1] in "UW" and value[1:].isalnum()):
        raise InvalidInput(f"The step's `{name}` input is not a Slack user ({value}).", field=name)
    return value or None


def _channel_id(inputs: dict[str, Any], name: str) -> str | None:
    value = _text(inputs, name)
    if value and not (value[:1] in "CG" and value[1:].isalnum()):
        raise InvalidInput(f"The step's `{name}` input is not a Slack channel ({value}).",
                           field=name)
    return value or None


def actor_of(inputs: dict[str, Any]) -> str:
    named = _user_id(inputs, "user")
    if named:
        return named
    interactor = ((inputs.get("interactivity") or {}).get("interactor") or {}).get("id")
    return str(interactor) if interactor else WORKFLOW_ACTOR


def _incident_id(inputs: dict[str, Any]) -> str:
    raw = _text(inputs, "incident_id")
    if not raw:
        raise InvalidInput("Which incident? Give the step an incident id like INC-42.")
    return normalise_id(raw)


@dataclass(frozen=True)
class DeclareStep:
    title: str
    severity: str
    service: str | None
    description: str
    assignee: str | None
    create_channel: bool
    channel: str | None  # the card goes here instead of where routing sends it
    actor: str

    @classmethod
    def parse(cls, inputs: dict[str, Any]) -> DeclareStep:
        return cls(
            title=_text(inputs, "title"),
            severity=_text(inputs, "severity").upper(),
            service=_text(inputs, "service") or None,
            description=_text(inputs, "description"),
            assignee=_user_id(inputs, "assignee"),
            create_channel=inputs.get("create_channel") is True,
            channel=_channel_id(inputs, "channel"),
            actor=actor_of(inputs),
        )

    def new_incident(self) -> NewIncident:
        return NewIncident(
            title=self.title,
            severity=self.severity,
            reporter=self.actor,
            description=self.description,
            service=self.service,
            assignee=self.assignee,
            wants_channel=self.create_channel,
            card_channel=self.channel,
        )


@dataclass(frozen=True)
class IncidentStep:
    """A step on one incident: acknowledge, resolve (text: the note), post an update."""

    incident_id: str
    text: str
    actor: str

    @classmethod
    def parse(cls, inputs: dict[str, Any], text: str | None = None) -> IncidentStep:
        return cls(_incident_id(inputs), _text(inputs, text) if text else "", actor_of(inputs))


@dataclass(frozen=True)
class OnCallStep:
    schedule: str  # a schedule or a service

    @classmethod
    def parse(cls, inputs: dict[str, Any]) -> OnCallStep:
        schedule = _text(inputs, "schedule")
        if not schedule:
            raise InvalidInput("Name a schedule or a service.", field="schedule")
        return cls(schedule)


def declared_outputs(incident: Incident) -> dict[str, Any]:
    """The new incident, its card's channel and link, and its dedicated channel (once
    Slack has them)."""
    outputs: dict[str, Any] = {"incident_id": incident.id}
    if incident.channel:
        outputs["channel_id"] = incident.channel
    if incident.permalink:
        outputs["permalink"] = incident.permalink
    if incident.incident_channel:
        outputs["incident_channel_id"] = incident.incident_channel
    return outputs


def card_posted(incident: Incident, wants_channel: bool) -> bool:
    """Whether Slack has what the declare step's outputs carry."""
    return bool(incident.permalink) and (not wants_channel or bool(incident.incident_channel))


def status_outputs(incident: Incident) -> dict[str, Any]:
    return {"status": incident.status.value.lower()}


def oncall_outputs(answer: OnCallAnswer, asked: str) -> dict[str, Any]:
    """The first of the asked schedules with someone Slack knows on call now."""
    if not answer.configured:
        raise InvalidInput("No on-call schedules are configured (add `schedules:` to beacon.yml).")
    if answer.service is not None:
        raise InvalidInput(f"Service {answer.service} pages no schedule (no escalation policy).")
    for now in answer.schedules:
        if now.user_id:
            outputs: dict[str, Any] = {"user_id": now.user_id, "schedule": now.schedule}
            if now.until:
                outputs["until"] = int(now.until)
            return outputs
    raise InvalidInput(f"Nobody Slack knows is on call for {asked} right now.")
