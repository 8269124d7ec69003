"""Escalation steps of a policy: which levels page at trigger, and what comes next."""

from __future__ import annotations

from dataclasses import dataclass

from app.config.oncall import EscalationPolicy


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
