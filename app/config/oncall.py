"""Config sections for on-call: schedules, escalation policies. Validated at start-up."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import Field, field_validator, model_validator

from app.config.base import SEVERITY_ORDER, Strict, check_timezone, parse_hhmm

_DURATION = re.compile(r"^(\d+)\s*([dh])$")
Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
DAYS: tuple[Day, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class Restriction(Strict):
    """When a layer is active, in the schedule's time zone (e.g. office hours)."""

    days: tuple[Day, ...] = DAYS
    start: str = "00:00"
    end: str = "24:00"

    @field_validator("start", "end")
    @classmethod
    def _time(cls, value: str) -> str:
        if value != "24:00":
            parse_hhmm(value)
        return value


class Layer(Strict):
    name: str = "layer"
    users: tuple[str, ...] = Field(min_length=1)
    rotation: str = "7d"  # shift length: "7d", "1d", "12h"
    handoff: str = "09:00"  # local time of day a shift starts (day rotations)
    start: date = date(2026, 1, 5)  # the first shift's date; users[0] has it
    restrict: Restriction | None = None

    @field_validator("rotation")
    @classmethod
    def _rotation(cls, value: str) -> str:
        match = _DURATION.match(value.strip())
        if not match or int(match.group(1)) == 0:
            raise ValueError(f"'{value}' is not a shift length: write 7d, 1d or 12h")
        return value.strip()

    @field_validator("handoff")
    @classmethod
    def _handoff(cls, value: str) -> str:
        parse_hhmm(value)
        return value

    @property
    def shift(self) -> tuple[int, str]:
        match = _DURATION.match(self.rotation)
        assert match
        return int(match.group(1)), match.group(2)


class Override(Strict):
    user: str
    start: datetime
    end: datetime

    @model_validator(mode="after")
    def _ordered(self) -> Override:
        if self.end <= self.start:
            raise ValueError("an override must end after it starts")
        return self


class Schedule(Strict):
    timezone: str = "UTC"
    layers: tuple[Layer, ...] = Field(min_length=1)
    overrides: tuple[Override, ...] = ()
    admins: tuple[str, ...] = ()

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        return check_timezone(value, "Europe/London")

    @model_validator(mode="after")
    def _no_gap(self) -> Schedule:
        gap = coverage_gap(self)
        if gap:
            raise ValueError(
                f"the layers leave nobody on call {gap}: add a layer without 'restrict' "
                "or widen a restriction"
            )
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def coverage_gap(schedule: Schedule) -> str | None:
    """The first weekly slot (15-minute steps) that no layer covers, described; or None."""
    for day_index, day in enumerate(DAYS):
        for quarter in range(96):
            minute = quarter * 15
            if not any(active(layer, day_index, minute) for layer in schedule.layers):
                return f"on {day} at {minute // 60:02d}:{minute % 60:02d}"
    return None


def active(layer: Layer, weekday: int, minute_of_day: int) -> bool:
    r = layer.restrict
    if r is None:
        return True
    if DAYS[weekday] not in r.days:
        return False
    start = _minutes(r.start)
    end = _minutes(r.end)
    if start <= end:
        return start <= minute_of_day < end
    return minute_of_day >= start or minute_of_day < end  # overnight window


def _minutes(value: str) -> int:
    if value == "24:00":
        return 1440
    t = parse_hhmm(value)
    return t.hour * 60 + t.minute


class Target(Strict):
    """One of: a Slack user (id or email), a schedule, or a Slack user group id."""

    user: str | None = None
    schedule: str | None = None
    group: str | None = None

    @model_validator(mode="after")
    def _one(self) -> Target:
        if sum(x is not None for x in (self.user, self.schedule, self.group)) != 1:
            raise ValueError("a target is exactly one of user, schedule or group")
        return self


class Level(Strict):
    targets: tuple[Target, ...]
    delay_minutes: int = Field(default=15, gt=0)

    @field_validator("targets")
    @classmethod
    def _some(cls, value: tuple[Target, ...]) -> tuple[Target, ...]:
        if not value:
            raise ValueError("a level has no targets: add a user, schedule or group")
        return value


class EscalationPolicy(Strict):
    levels: tuple[Level, ...] = Field(min_length=1)
    repeat: int = Field(default=0, ge=0, le=10)  # times to start again after the last level
    # severity -> how many levels are paged at once when an incident triggers
    page_at_once: dict[str, int] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _page_at_once(self) -> EscalationPolicy:
        for severity, count in self.page_at_once.items():
            if severity not in SEVERITY_ORDER:
                raise ValueError(f"page_at_once: unknown severity {severity}: use P1..P4")
            if not 1 <= count <= len(self.levels):
                raise ValueError(
                    f"page_at_once.{severity}: {count} levels, but the policy has "
                    f"{len(self.levels)}"
                )
        return self
