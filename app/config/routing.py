"""`severities:`, `services:` and `channels:` in beacon.yml: where an incident's cards go."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field, field_validator

from app.config.base import SEVERITY_ORDER, Strict


class Urgency(StrEnum):
    HIGH = "HIGH"
    MEDIUM = "MEDIUM"
    LOW = "LOW"


URGENCY_COLOUR = {Urgency.HIGH: "#E01E5A", Urgency.MEDIUM: "#ECB22E", Urgency.LOW: "#36C5F0"}


class Paging(StrEnum):
    """What an incident of an urgency does to people (`urgency_paging:` in beacon.yml)."""

    ESCALATE = "escalate"  # pages its escalation policy's first level(s), then escalates
    PAGE = "page"  # pages the first level(s) once; no escalation timers
    NOTIFY = "notify"  # the card in its channel only: pages nobody


# PagerDuty's convention: high urgency pages and escalates, low urgency only notifies. MEDIUM
# (which PagerDuty does not have) pages like HIGH: P3s were paged before this was configurable.
DEFAULT_URGENCY_PAGING: dict[Urgency, Paging] = {
    Urgency.HIGH: Paging.ESCALATE,
    Urgency.MEDIUM: Paging.ESCALATE,
    Urgency.LOW: Paging.NOTIFY,
}


def check_urgency_paging(value: object) -> object:
    """One clear line per bad entry, naming what is allowed (before pydantic's own words)."""
    if not isinstance(value, dict):
        return value
    problems = []
    for urgency, mode in value.items():
        if str(urgency) not in Urgency.__members__:
            problems.append(f"unknown urgency '{urgency}': use HIGH, MEDIUM or LOW")
        elif str(mode) not in {m.value for m in Paging}:
            problems.append(
                f"{urgency}: '{mode}' is not a paging mode: use escalate (page, then escalate), "
                "page (the first levels once) or notify (the card only, nobody paged)"
            )
    if problems:
        raise ValueError("\n".join(problems))
    return value


def merge_urgency_paging(value: dict[Urgency, Paging]) -> dict[Urgency, Paging]:
    """Every urgency: the defaults, with what beacon.yml gives laid over."""
    return {**DEFAULT_URGENCY_PAGING, **value}


class EventKind(StrEnum):
    """Events a channel can switch on or off."""

    TRIGGERED = "triggered"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"
    ESCALATED = "escalated"
    SLA_BREACHED = "sla_breached"
    NOTE_ADDED = "note_added"
    SNOOZED = "snoozed"
    UPDATED = "updated"


class SeverityConfig(Strict):
    """One severity; what beacon.yml leaves out comes from DEFAULT_SEVERITIES (merged)."""

    label: str = ""
    urgency: Urgency = Urgency.LOW
    channel: str | None = None
    sla_ack_minutes: int = Field(default=60, gt=0)
    sla_resolve_minutes: int = Field(default=1440, gt=0)


DEFAULT_SEVERITIES: dict[str, SeverityConfig] = {
    "P1": SeverityConfig(
        label="Critical", urgency=Urgency.HIGH, sla_ack_minutes=5, sla_resolve_minutes=240
    ),
    "P2": SeverityConfig(
        label="High", urgency=Urgency.HIGH, sla_ack_minutes=15, sla_resolve_minutes=480
    ),
    "P3": SeverityConfig(
        label="Moderate", urgency=Urgency.MEDIUM, sla_ack_minutes=60, sla_resolve_minutes=3 * 1440
    ),
    "P4": SeverityConfig(
        label="Low", urgency=Urgency.LOW, sla_ack_minutes=240, sla_resolve_minutes=7 * 1440
    ),
}


class ServiceConfig(Strict):
    name: str
    channel: str | None = None
    escalation_policy: str | None = None


class ChannelConfig(Strict):
    """Filters for one channel: cards below min_severity are not posted there."""

    min_severity: str = "P4"
    events: frozenset[EventKind] = Field(default_factory=lambda: frozenset(EventKind))

    @field_validator("min_severity")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in SEVERITY_ORDER:
            raise ValueError(f"use one of {', '.join(SEVERITY_ORDER)}")
        return value


def merge_severities(value: dict[str, SeverityConfig]) -> dict[str, SeverityConfig]:
    """All four severities: the defaults, with what beacon.yml gives laid over each."""
    unknown = set(value) - set(SEVERITY_ORDER)
    if unknown:
        raise ValueError(f"unknown severity {sorted(unknown)[0]}: use P1, P2, P3 or P4")
    merged = {}
    for key in SEVERITY_ORDER:
        given = value.get(key)
        base = DEFAULT_SEVERITIES[key]
        if given is not None:
            base = base.model_copy(update=given.model_dump(exclude_unset=True))
        merged[key] = base
    return merged
