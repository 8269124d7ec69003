"""Incident and event records as the domain sees them."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from app.domain.alert_list import AlertListing
from app.domain.answers import ReplyTo


class Status(StrEnum):
    TRIGGERED = "TRIGGERED"
    ACKNOWLEDGED = "ACKNOWLEDGED"
    RESOLVED = "RESOLVED"


class EventType(StrEnum):
    TRIGGERED = "incident.triggered"
    ACKNOWLEDGED = "incident.acknowledged"
    RESOLVED = "incident.resolved"
    SNOOZED = "incident.snoozed"
    UNSNOOZED = "incident.unsnoozed"
    NOTE_ADDED = "incident.note_added"
    ASSIGNED = "incident.assigned"
    SEVERITY_CHANGED = "incident.severity_changed"
    DIGEST_DUE = "digest.due"  # the daily digest (stream id DIGEST-<date>)
    ESCALATED = "incident.escalated"  # moved to the next escalation level
    PAGED = "incident.paged"  # who was paged at which level (recorded by the notifier)
    SLA_BREACHED = "incident.sla_breached"  # missed time to acknowledge / resolve
    REFIRED = "incident.refired"  # an alert with the same dedup key fired again while open
    # Alertmanager: the alert list changed (joined, re-fired, resolved), said once in the
    # thread; or a repeat notification only seen (the card's "last notified", quietly)
    ALERTS_CHANGED = "incident.alerts_changed"
    ALERTS_SEEN = "incident.alerts_seen"
    INVESTIGATION = "incident.investigation"  # an investigator's progress (intake API)
    STATUS_UPDATE = "incident.status_update"  # /incident update
    UPDATE_REMINDER = "incident.update_reminder"  # no update for a while
    REOPENED = "incident.reopened"
    CHANNEL_ARCHIVE_WARNING = "incident.channel_archive_warning"
    CHANNEL_ARCHIVED = "incident.channel_archived"
    TIMELINE_REQUESTED = "incident.timeline_requested"  # /incident timeline
    # Runbooks: a step to run, its result, its failure (the run stops until retried)
    RUNBOOK_STEP = "incident.runbook_step"
    RUNBOOK_STEP_DONE = "incident.runbook_step_done"
    RUNBOOK_STEP_FAILED = "incident.runbook_step_failed"
    FOLLOWUP_ADDED = "incident.followup_added"  # /incident followup add
    FOLLOWUP_DONE = "incident.followup_done"
    RETRO_SCHEDULED = "incident.retro_scheduled"  # the Schedule retrospective modal
    ROLE_ASSIGNED = "incident.role_assigned"  # /incident role, or a Claim button
    ROLES_UNCLAIMED = "incident.roles_unclaimed"  # the nudge for unclaimed roles
    MESSAGE_PINNED = "incident.message_pinned"  # a 📌 reaction in the channel
    # Approval and investigation events share the outbox; their stream `incident_id` field
    # holds the approval / investigation id, so ordering and dedupe work per request.
    APPROVAL_REQUESTED = "approval.requested"
    APPROVAL_DECIDED = "approval.decided"
    APPROVAL_EXPIRED = "approval.expired"
    INVESTIGATION_POSTED = "investigation.posted"
    INVESTIGATION_VOTED = "investigation.voted"


def is_api_actor(actor: str | None) -> bool:
    """Actions through the intake API are attributed 'api' or 'api:<token name>', not a user."""
    return actor is not None and (actor == "api" or actor.startswith("api:"))


def _f(raw: dict[str, str], key: str) -> float | None:
    value = raw.get(key)
    return float(value) if value not in (None, "") else None


def _s(raw: dict[str, str], key: str) -> str | None:
    value = raw.get(key)
    return value if value else None


@dataclass(frozen=True)
class Incident:
    id: str
    number: int
    title: str
    description: str
    service: str | None
    severity: str
    status: Status
    reporter: str
    assignee: str | None
    created_at: float
    acknowledged_at: float | None = None
    acknowledged_by: str | None = None
    resolved_at: float | None = None
    resolved_by: str | None = None
    resolution_note: str | None = None
    snoozed_until: float | None = None
    snoozed_by: str | None = None
    channel: str | None = None
    card_ts: str | None = None
    permalink: str | None = None
    source_channel: str | None = None
    source_ts: str | None = None
    source_permalink: str | None = None
    wants_channel: bool = False
    dedup_key: str | None = None
    card_channel: str | None = None  # asked for (a workflow step): the card goes here, unrouted
    fired_count: int = 1
    esc_level: int | None = None  # escalation level reached (1-based), when a policy applies
    esc_round: int = 0
    sla_ack_breached: bool = False
    sla_resolve_breached: bool = False
    incident_channel: str | None = None  # the dedicated channel's id
    seq: int = 0
    roles: dict[str, str] = field(default_factory=dict)  # role name -> holder
    epoch: str = ""  # the seq of the last reopen ('' never): its timers carry it
    alerts: AlertListing | None = None  # an Alertmanager incident's alerts
    reply_to: ReplyTo | None = None  # declared from Slack: where its confirmation goes
    reopened_at: float | None = None  # the last reopen: its SLA timers start there

    @property
    def is_open(self) -> bool:
        return self.status is not Status.RESOLVED

    def snoozed_at(self, now: float) -> bool:
        return self.is_open and self.snoozed_until is not None and self.snoozed_until > now

    @classmethod
    def from_redis(cls, raw: dict[str, str]) -> Incident:
        return cls(
            id=raw["id"],
            number=int(raw["number"]),
            title=raw.get("title", ""),
            description=raw.get("description", ""),
            service=_s(raw, "service"),
            severity=raw["severity"],
            status=Status(raw["status"]),
            reporter=raw.get("reporter", ""),
            assignee=_s(raw, "assignee"),
            created_at=float(raw["created_at"]),
            acknowledged_at=_f(raw, "acknowledged_at"),
            acknowledged_by=_s(raw, "acknowledged_by"),
            resolved_at=_f(raw, "resolved_at"),
            resolved_by=_s(raw, "resolved_by"),
            resolution_note=_s(raw, "resolution_note"),
            snoozed_until=_f(raw, "snoozed_until"),
            snoozed_by=_s(raw, "snoozed_by"),
            channel=_s(raw, "channel"),
            card_ts=_s(raw, "card_ts"),
            permalink=_s(raw, "permalink"),
            source_channel=_s(raw, "source_channel"),
            source_ts=_s(raw, "source_ts"),
            source_permalink=_s(raw, "source_permalink"),
            wants_channel=raw.get("wants_channel") == "1",
            dedup_key=_s(raw, "dedup_key"),
            card_channel=_s(raw, "card_channel"),
            fired_count=int(raw.get("fired_count") or 1),
            esc_level=int(raw["esc_level"]) if raw.get("esc_level") else None,
            esc_round=int(raw.get("esc_round") or 0),
            sla_ack_breached=raw.get("sla_ack_breached") == "1",
            sla_resolve_breached=raw.get("sla_resolve_breached") == "1",
            incident_channel=_s(raw, "incident_channel"),
            seq=int(raw.get("seq", "0")),
            roles={k[5:]: v for k, v in raw.items() if k.startswith("role:") and v},
            epoch=raw.get("epoch", ""),
            alerts=AlertListing.from_redis(raw),
            reply_to=ReplyTo.load(raw.get("reply_to")),
            reopened_at=_f(raw, "reopened_at"),
        )


@dataclass(frozen=True)
class Event:
    """One entry of the outbox stream."""

    event_id: str
    type: EventType
    incident_id: str
    seq: int
    actor: str
    at: float
    data: dict[str, Any] = field(default_factory=dict)
    stream_id: str = ""

    @classmethod
    def from_stream(cls, stream_id: str, fields: dict[str, str]) -> Event:
        return cls(
            event_id=fields["event_id"],
            type=EventType(fields["type"]),
            incident_id=fields["incident_id"],
            seq=int(fields["seq"]),
            actor=fields.get("actor", ""),
            at=float(fields["at"]),
            data=json.loads(fields.get("data") or "{}"),
            stream_id=stream_id,
        )


@dataclass(frozen=True)
class TimelineEntry:
    seq: int
    type: EventType
    actor: str
    at: float
    data: dict[str, Any]

    @classmethod
    def from_json(cls, raw: str) -> TimelineEntry:
        obj = json.loads(raw)
        return cls(
            seq=int(obj["seq"]),
            type=EventType(obj["type"]),
            actor=obj.get("actor", ""),
            at=float(obj["at"]),
            data=obj.get("data") or {},
        )


@dataclass(frozen=True)
class FollowUp:
    id: str
    number: int
    incident_id: str
    text: str
    done: bool
    created_by: str
    created_at: float
    done_by: str | None = None
    done_at: float | None = None

    @classmethod
    def from_redis(cls, raw: dict[str, str]) -> FollowUp:
        return cls(
            id=raw["id"],
            number=int(raw["id"].removeprefix("F-")),
            incident_id=raw["incident_id"],
            text=raw.get("text", ""),
            done=raw.get("status") == "done",
            created_by=raw.get("created_by", ""),
            created_at=float(raw.get("created_at") or 0),
            done_by=raw.get("done_by") or None,
            done_at=float(raw["done_at"]) if raw.get("done_at") else None,
        )


@dataclass(frozen=True)
class NewIncident:
    """A validated declaration, from a modal, a command or the intake API."""

    title: str
    severity: str
    reporter: str
    description: str = ""
    service: str | None = None
    assignee: str | None = None
    wants_channel: bool = False
    source_channel: str | None = None
    source_ts: str | None = None
    source_permalink: str | None = None
    dedup_key: str | None = None
    reply_to: ReplyTo | None = None
    card_channel: str | None = None  # a channel id the card goes to instead of the routed one


TITLE_MAX = 150
DESCRIPTION_MAX = 3000
NOTE_MAX = 2000
