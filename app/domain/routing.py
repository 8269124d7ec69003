"""Where an incident's card goes: service channel, then severity channel, then default."""

from __future__ import annotations

from dataclasses import dataclass

from app.config import SEVERITY_ORDER, BeaconConfig, EventKind


@dataclass(frozen=True)
class Route:
    channel: str | None  # as configured: a name ('#x') or an id
    rule: str  # which rule matched, for people and for `route test`
    skipped: tuple[str, ...] = ()  # channels passed over by their severity filter


def _rank(severity: str) -> int:
    return SEVERITY_ORDER.index(severity)


def route(config: BeaconConfig, *, service: str | None, severity: str) -> Route:
    candidates: list[tuple[str, str]] = []
    svc = config.services.get(service or "")
    if svc and svc.channel:
        candidates.append((svc.channel, f"service {service}"))
    sev_channel = config.severities[severity].channel
    if sev_channel:
        candidates.append((sev_channel, f"severity {severity}"))
    if config.default_channel:
        candidates.append((config.default_channel, "default channel"))
    skipped: list[str] = []
    for channel, rule in candidates:
        if _rank(severity) <= _rank(config.channel_filter(channel).min_severity):
            return Route(channel=channel, rule=rule, skipped=tuple(skipped))
        skipped.append(channel)
    return Route(channel=None, rule="filtered everywhere", skipped=tuple(skipped))


def event_enabled(config: BeaconConfig, channel: str, kind: EventKind) -> bool:
    return kind in config.channel_filter(channel).events
