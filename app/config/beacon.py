"""The YAML config file: services, severities, channels and routing, validated at start-up."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from app.config.alertmanager import AlertmanagerConfig
from app.config.incident_channels import IncidentChannelsConfig
from app.config.investigations import InvestigationsConfig
from app.config.oncall import EscalationPolicy, Schedule
from app.config.roles import DEFAULT_ROLES, RoleConfig, check_emoji, check_roles
from app.config.runbooks import Runbook, TemplatesConfig, attach
from app.settings import StartupError


class Urgency(StrEnum):
    HIGH = "HIGH"
    MEDIUM = "MEDIUM"
    LOW = "LOW"


URGENCY_COLOUR = {Urgency.HIGH: "#E01E5A", Urgency.MEDIUM: "#ECB22E", Urgency.LOW: "#36C5F0"}


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


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SeverityConfig(_Strict):
    label: str | None = None
    urgency: Urgency | None = None
    channel: str | None = None
    sla_ack_minutes: int | None = Field(default=None, gt=0)
    sla_resolve_minutes: int | None = Field(default=None, gt=0)


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
SEVERITY_ORDER = ("P1", "P2", "P3", "P4")


class ServiceConfig(_Strict):
    name: str
    channel: str | None = None
    escalation_policy: str | None = None


class ChannelConfig(_Strict):
    """Filters for one channel: cards below min_severity are not posted there."""

    min_severity: str = "P4"
    events: frozenset[EventKind] = Field(default_factory=lambda: frozenset(EventKind))

    @field_validator("min_severity")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in SEVERITY_ORDER:
            raise ValueError(f"use one of {', '.join(SEVERITY_ORDER)}")
        return value


RISKS = ("low", "medium", "high", "critical")


class ApprovalsConfig(_Strict):
    """Approval requests (issue 8): where the cards go and who may decide."""

    channel: str | None = None  # unset: default_channel
    allow_self_approval: bool = False
    confirm_risks: frozenset[Literal["low", "medium", "high", "critical"]] = frozenset(
        {"high", "critical"}
    )


class DigestConfig(_Strict):
    """The daily digest: where and when (local time in `timezone`)."""

    enabled: bool = True
    channel: str | None = None  # default: default_channel
    time: str = "09:00"
    timezone: str = "UTC"

    @field_validator("time")
    @classmethod
    def _hhmm(cls, value: str) -> str:
        from datetime import time as _time

        try:
            _time.fromisoformat(value)
        except ValueError:
            raise ValueError(f"'{value}' is not a time: write it like \"09:00\"") from None
        return value

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone '{value}': use an IANA name like UTC") from None
        return value


class BeaconConfig(_Strict):
    default_channel: str | None = None
    severities: dict[str, SeverityConfig] = Field(default_factory=lambda: dict(DEFAULT_SEVERITIES))
    services: dict[str, ServiceConfig] = Field(default_factory=dict)
    channels: dict[str, ChannelConfig] = Field(default_factory=dict)
    dm_on_assignment: bool = True
    alertmanager: AlertmanagerConfig = Field(default_factory=AlertmanagerConfig)
    schedules: dict[str, Schedule] = Field(default_factory=dict)
    escalation_policies: dict[str, EscalationPolicy] = Field(default_factory=dict)
    default_escalation_policy: str | None = None
    digest: DigestConfig = Field(default_factory=DigestConfig)
    approvals: ApprovalsConfig = Field(default_factory=ApprovalsConfig)
    investigations: InvestigationsConfig = Field(default_factory=InvestigationsConfig)
    incident_channels: IncidentChannelsConfig = Field(default_factory=IncidentChannelsConfig)
    # issue 7: runbooks (a folder of YAML files) and Block Kit templates, loaded by load_config
    runbooks_dir: str | None = None
    templates: TemplatesConfig = Field(default_factory=TemplatesConfig)
    _runbooks: tuple[Runbook, ...] = PrivateAttr(default=())
    _templates: dict[str, list[dict[str, Any]]] = PrivateAttr(default_factory=dict)
    # issue 7: roles per incident, the nudge for unclaimed ones, the timeline capture emoji
    roles: tuple[RoleConfig, ...] = DEFAULT_ROLES
    role_nudge_minutes: int = Field(default=10, ge=0)  # 0: never nudge
    role_nudge_for: frozenset[Literal["P1", "P2", "P3", "P4"]] = frozenset({"P1", "P2"})
    timeline_emoji: str = "pushpin"

    _roles = field_validator("roles")(classmethod(lambda cls, v: check_roles(v)))
    _emoji = field_validator("timeline_emoji")(classmethod(lambda cls, v: check_emoji(v)))

    @field_validator("severities")
    @classmethod
    def _all_severities(cls, value: dict[str, SeverityConfig]) -> dict[str, SeverityConfig]:
        unknown = set(value) - set(SEVERITY_ORDER)
        if unknown:
            raise ValueError(f"unknown severity {sorted(unknown)[0]}: use P1, P2, P3 or P4")
        merged = {}
        for key in SEVERITY_ORDER:
            given = value.get(key)
            base = DEFAULT_SEVERITIES[key]
            if given is not None:
                base = base.model_copy(update=given.model_dump(exclude_none=True))
            merged[key] = base
        return merged

    @model_validator(mode="after")
    def _something_to_post_to(self) -> BeaconConfig:
        if not self.default_channel and not all(s.channel for s in self.severities.values()):
            raise ValueError(
                "no default_channel: set default_channel (a channel name like '#incidents' or "
                "an id like C0123ABC) so every incident has somewhere to go"
            )
        return self

    @model_validator(mode="after")
    def _oncall_references(self) -> BeaconConfig:
        problems = []
        for name, policy in self.escalation_policies.items():
            for i, level in enumerate(policy.levels, start=1):
                for target in level.targets:
                    if target.schedule and target.schedule not in self.schedules:
                        known = ", ".join(self.schedules) or "none defined"
                        problems.append(
                            f"escalation_policies.{name}.levels.{i}: unknown schedule "
                            f"'{target.schedule}' (schedules: {known})"
                        )
        refs = [(f"services.{k}.escalation_policy", s.escalation_policy)
                for k, s in self.services.items()]
        refs.append(("default_escalation_policy", self.default_escalation_policy))
        for where, ref in refs:
            if ref and ref not in self.escalation_policies:
                known = ", ".join(self.escalation_policies) or "none defined"
                problems.append(f"{where}: unknown escalation policy '{ref}' (policies: {known})")
        if problems:
            raise ValueError("\n".join(problems))
        return self

    def policy_for(self, service: str | None) -> tuple[str, EscalationPolicy] | None:
        svc = self.services.get(service or "")
        name = (svc.escalation_policy if svc else None) or self.default_escalation_policy
        return (name, self.escalation_policies[name]) if name else None

    @property
    def runbooks(self) -> tuple[Runbook, ...]:
        return self._runbooks

    @property
    def loaded_templates(self) -> dict[str, list[dict[str, Any]]]:
        return self._templates

    def severity(self, key: str) -> SeverityConfig:
        return self.severities[key]

    def channel_filter(self, channel: str) -> ChannelConfig:
        return self.channels.get(channel) or ChannelConfig()


def _path_of(loc: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in loc) or "(top level)"


def load_config(path: Path) -> BeaconConfig:
    """Load and validate the config file; any problem becomes one StartupError line per fault."""
    if not path.exists():
        raise StartupError(
            f"config file {path} not found: set BEACON_CONFIG to your file, or copy "
            "beacon.example.yml to beacon.yml"
        )
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise StartupError(
            f"{path}{where}: not valid YAML ({getattr(exc, 'problem', exc)})"
        ) from None
    if not isinstance(raw, dict):
        raise StartupError(f"{path}: the top level must be a mapping (key: value lines)")
    try:
        config = BeaconConfig.model_validate(raw)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            msg = err["msg"].removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                msg = "unknown key: remove it or check its spelling"
            for part in msg.split("\n"):
                # cross-reference problems name their own path
                where = f"{_path_of(err['loc'])}: " if err["loc"] else ""
                lines.append(f"{path}: {where}{part}")
        raise StartupError("\n".join(lines)) from None
    return attach(config, path)  # runbooks and templates, each problem with file and line
