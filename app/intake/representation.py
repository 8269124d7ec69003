"""Incidents as the intake API shows them: JSON with ISO-8601 times and the card's permalink."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from app.domain.models import Incident, TimelineEntry


def iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class TimelineEntryOut(BaseModel):
    seq: int
    type: str = Field(examples=["incident.acknowledged"])
    actor: str = Field(description="Slack user id, 'beacon', or 'api:<token name>'")
    at: str = Field(description="ISO-8601, UTC")
    data: dict[str, Any]


class IncidentOut(BaseModel):
    id: str = Field(examples=["INC-42"])
    number: int
    title: str
    description: str
    severity: str = Field(examples=["P2"])
    service: str | None
    status: Literal["triggered", "acknowledged", "resolved"]
    reporter: str
    assignee: str | None
    created_at: str
    acknowledged_at: str | None
    acknowledged_by: str | None
    resolved_at: str | None
    resolved_by: str | None
    resolution_note: str | None
    snoozed_until: str | None
    dedup_key: str | None
    fired_count: int = Field(
        description="How many times the alerts behind it fired while open (an Alertmanager "
        "repeat with the same startsAt does not count)")
    channel: str | None = Field(description="Slack channel id of the card (null until posted)")
    permalink: str | None = Field(description="The card's Slack permalink (null until posted)")
    timeline: list[TimelineEntryOut] | None = Field(
        default=None, description="Only in GET /api/v1/incidents/{id}"
    )


def incident_json(
    incident: Incident, timeline: list[TimelineEntry] | None = None
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": incident.id,
        "number": incident.number,
        "title": incident.title,
        "description": incident.description,
        "severity": incident.severity,
        "service": incident.service,
        "status": incident.status.value.lower(),
        "reporter": incident.reporter,
        "assignee": incident.assignee,
        "created_at": iso(incident.created_at),
        "acknowledged_at": iso(incident.acknowledged_at),
        "acknowledged_by": incident.acknowledged_by,
        "resolved_at": iso(incident.resolved_at),
        "resolved_by": incident.resolved_by,
        "resolution_note": incident.resolution_note,
        "snoozed_until": iso(incident.snoozed_until),
        "dedup_key": incident.dedup_key,
        "fired_count": incident.fired_count,
        "channel": incident.channel,
        "permalink": incident.permalink,
    }
    if timeline is not None:
        out["timeline"] = [
            {"seq": t.seq, "type": str(t.type), "actor": t.actor, "at": iso(t.at), "data": t.data}
            for t in timeline
        ]
    return out
