"""`incident_channels:` in beacon.yml: dedicated Slack channels per incident."""

from __future__ import annotations

import re

from pydantic import Field, field_validator

from app.config.base import SEVERITY_ORDER, Strict


class IncidentChannelsConfig(Strict):
    auto_for: frozenset[str] = frozenset()  # severities that always get a channel
    private: bool = False
    prefix: str = "inc"
    invite_groups: tuple[str, ...] = ()  # user group ids (S...) invited to every channel
    invite_oncall: bool = True  # the level-1 targets of the incident's escalation policy
    archive_after_hours: float = Field(default=24, ge=0)  # 0: never archive
    archive_warning_minutes: int = Field(default=60, ge=0)  # the warning comes this long before
    # reminders to post a status update while open, per severity (minutes; 0 = off)
    update_reminder_minutes: dict[str, int] = Field(default_factory=lambda: {"P1": 30, "P2": 60})

    @field_validator("auto_for", "update_reminder_minutes")
    @classmethod
    def _severities(cls, value):
        unknown = [s for s in value if s not in SEVERITY_ORDER]
        if unknown:
            raise ValueError(f"unknown severity {unknown[0]}: use P1, P2, P3 or P4")
        return value

    @field_validator("prefix")
    @classmethod
    def _prefix(cls, value: str) -> str:
        if not re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,20}", value):
            raise ValueError(
                "use lowercase letters, digits, - or _ (at most 21 characters), like 'inc'"
            )
        return value
