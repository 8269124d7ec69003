"""Escalation steps of a policy: which levels page at trigger, and what comes next; and whether
an incident pages at all, by its severity's urgency (`urgency_paging:` in beacon.yml)."""

from __future__ import annotations

from dataclasses import dataclass

from app.config import BeaconConfig
from app.config.oncall import EscalationPolicy
from app.config.routing import Paging


@dataclass(frozen=True)
class Step:
    level: int  # 1-based
    round: int  # 0 for the first pass, 1.. for repeats


def start_levels(policy: EscalationPolicy, severity: str) -> int:
    """How many levels are paged together when an incident triggers."""
    return policy.page_at_once.get(severity, 1)


def next_step(policy: EscalationPolicy, current: Step) -> Step | None:
    if current.level < len(policy.levels):
        return Step(current.level + 1, current.round)
    if current.round < policy.repeat:
        return Step(1, current.round + 1)
    return None


def delay_s(policy: EscalationPolicy, level: int) -> int:
    return policy.levels[level - 1].delay_minutes * 60


def paging_policy(
    config: BeaconConfig, service: str | None, severity: str
) -> EscalationPolicy | None:
    """The policy that pages people for an incident, or None: no policy, or an urgency that
    only notifies its channel."""
    found = config.policy_for(service)
    if found is None or config.paging(severity) is Paging.NOTIFY:
        return None
    return found[1]


def escalates(config: BeaconConfig, severity: str) -> bool:
    """Whether escalation timers run for this severity (else its first levels are paged once)."""
    return config.paging(severity) is Paging.ESCALATE


def escalation_start(config: BeaconConfig, service: str | None, severity: str) -> int:
    """The level escalation starts at (how many levels page at once); 0: it does not escalate."""
    policy = paging_policy(config, service, severity)
    if policy is None or not escalates(config, severity):
        return 0
    return start_levels(policy, severity)


@dataclass(frozen=True)
class SeverityPaging:
    """What a severity change does to paging; severity.lua applies it to the incident's state
    in the same call (escalation stops or starts, the first levels are paged)."""

    esc_start: int = 0  # > 0: the new severity escalates, from this level
    page_start: int = 0  # > 0: the new severity pages this many levels (if the old paged nobody)
    paging: tuple[str, ...] = ()  # every severity that pages, so the script knows the old one's


def severity_paging(config: BeaconConfig, service: str | None, severity: str) -> SeverityPaging:
    policy = paging_policy(config, service, severity)
    paging = tuple(s for s in config.severities if config.paging(s) is not Paging.NOTIFY)
    if policy is None:
        return SeverityPaging(paging=paging)
    start = start_levels(policy, severity)
    return SeverityPaging(start if escalates(config, severity) else 0, start, paging)
