"""Alertmanager notifications as the domain takes them: one group (or one alert) at a time,
applied by one transition that declares or updates the incident behind its dedup key."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from app.domain.models import NewIncident

# What one notification did to one alert (alerts.lua decides it).
AlertAction = Literal["declared", "joined", "refired", "repeat", "resolved", "no_open_incident"]
IncidentAction = Literal["declared", "updated", "resolved", "annotated", "no_open_incident"]


@dataclass(frozen=True)
class SeenAlert:
    """One alert as a notification shows it. `starts` is the sender's startsAt as sent: the
    same value again is a repeat, a new one a real re-fire."""

    fingerprint: str
    firing: bool
    starts: str
    starts_at: float  # epoch seconds (0: none given)
    ends_at: float
    name: str  # the line the card lists it by


@dataclass(frozen=True)
class AlertNotification:
    dedup_key: str
    new: NewIncident  # declared when no incident is open for the dedup key
    alerts: tuple[SeenAlert, ...]
    closing: bool  # the sender says all of it is resolved: resolve (or annotate) after
    not_shown: int = 0  # alerts over alertmanager.max_alerts, counted only
    truncated: int = 0  # Alertmanager's truncatedAlerts


@dataclass(frozen=True)
class AlertsApplied:
    """alerts.lua's answer: the incident (None when nothing was open and nothing fires), if
    it was declared now, each alert's action in the order given, and the counts after."""

    incident_id: str | None
    created: bool
    actions: tuple[AlertAction, ...]
    firing: int = 0
    resolved: int = 0


@dataclass(frozen=True)
class AlertsOutcome:
    applied: AlertsApplied
    action: IncidentAction
