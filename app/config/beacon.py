"""The whole of beacon.yml: the sections put together, the checks across them, and the loader."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import Field, PrivateAttr, ValidationError, field_validator, model_validator

from app.config.alertmanager import AlertmanagerConfig
from app.config.approvals import ApprovalsConfig
from app.config.base import Severity, Strict, error_text, yaml_problem
from app.config.digest import DigestConfig
from app.config.incident_channels import IncidentChannelsConfig
from app.config.investigations import InvestigationsConfig
from app.config.oncall import EscalationPolicy, Schedule
from app.config.retention import RetentionConfig
from app.config.roles import DEFAULT_ROLES, RoleConfig, check_emoji, check_roles
from app.config.routing import (
    DEFAULT_SEVERITIES,
    DEFAULT_URGENCY_PAGING,
    ChannelConfig,
    Paging,
    ServiceConfig,
    SeverityConfig,
    Urgency,
    check_urgency_paging,
    merge_severities,
    merge_urgency_paging,
)
from app.config.runbooks import Runbook, TemplatesConfig, attach
from app.config.workspaces import WorkspaceToken, workspace_tokens
from app.settings import StartupError


class BeaconConfig(Strict):
    default_channel: str | None = None
    severities: dict[str, SeverityConfig] = Field(default_factory=lambda: dict(DEFAULT_SEVERITIES))
    # per urgency: escalate (page and escalate), page (once) or notify (the card only)
    urgency_paging: dict[Urgency, Paging] = Field(
        default_factory=lambda: dict(DEFAULT_URGENCY_PAGING))
    services: dict[str, ServiceConfig] = Field(default_factory=dict)
    channels: dict[str, ChannelConfig] = Field(default_factory=dict)
    dm_on_assignment: bool = True
    alertmanager: AlertmanagerConfig = Field(default_factory=AlertmanagerConfig)
    schedules: dict[str, Schedule] = Field(default_factory=dict)
    escalation_policies: dict[str, EscalationPolicy] = Field(default_factory=dict)
    default_escalation_policy: str | None = None
    digest: DigestConfig = Field(default_factory=DigestConfig)
    retention: RetentionConfig = Field(default_factory=RetentionConfig)
    approvals: ApprovalsConfig = Field(default_factory=ApprovalsConfig)
    investigations: InvestigationsConfig = Field(default_factory=InvestigationsConfig)
    incident_channels: IncidentChannelsConfig = Field(default_factory=IncidentChannelsConfig)
    # runbooks (a folder of YAML files) and Block Kit templates, loaded by load_config
    runbooks_dir: str | None = None
    templates: TemplatesConfig = Field(default_factory=TemplatesConfig)
    _runbooks: tuple[Runbook, ...] = PrivateAttr(default=())
    _templates: dict[str, list[dict[str, Any]]] = PrivateAttr(default_factory=dict)
    # roles per incident, the nudge for unclaimed ones, the timeline capture emoji
    roles: tuple[RoleConfig, ...] = DEFAULT_ROLES
    role_nudge_minutes: int = Field(default=10, ge=0)  # 0: never nudge
    role_nudge_for: frozenset[Severity] = frozenset({"P1", "P2"})
    timeline_emoji: str = "pushpin"
    # Multi-workspace mode: team id (or team name) -> settings of this file for that workspace
    # only; what a section leaves out comes from the top level. Checked when the file loads.
    workspaces: dict[str, dict[str, Any]] = Field(default_factory=dict)
    _workspaces: dict[str, BeaconConfig] = PrivateAttr(default_factory=dict)
    # workspaces.<team id>.api_tokens (app/config/workspaces.py), all workspaces' together
    _api_tokens: tuple[WorkspaceToken, ...] = PrivateAttr(default=())

    _roles = field_validator("roles")(classmethod(lambda cls, v: check_roles(v)))
    _emoji = field_validator("timeline_emoji")(classmethod(lambda cls, v: check_emoji(v)))

    @field_validator("severities")
    @classmethod
    def _all_severities(cls, value: dict[str, SeverityConfig]) -> dict[str, SeverityConfig]:
        return merge_severities(value)

    _paging_words = field_validator("urgency_paging", mode="before")(
        classmethod(lambda cls, v: check_urgency_paging(v)))

    @field_validator("urgency_paging")
    @classmethod
    def _all_urgencies(cls, value: dict[Urgency, Paging]) -> dict[Urgency, Paging]:
        return merge_urgency_paging(value)

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
    def keeps_history_bounded(self) -> bool:
        """Whether retention removes anything, at the top level or in some workspace's section."""
        return any(c.retention.resolved_days for c in (self, *self._workspaces.values()))

    @property
    def api_tokens(self) -> tuple[WorkspaceToken, ...]:
        """The intake API tokens given per workspace in this file."""
        return self._api_tokens

    @property
    def runbooks(self) -> tuple[Runbook, ...]:
        return self._runbooks

    @property
    def loaded_templates(self) -> dict[str, list[dict[str, Any]]]:
        return self._templates

    def for_workspace(self, team_id: str, team_name: str | None = None) -> BeaconConfig:
        """The config of one workspace: its section (by id, else by name), else the top level."""
        found = self._workspaces.get(team_id)
        if found is None and team_name:
            name = team_name.casefold()
            found = next(
                (c for k, c in self._workspaces.items() if k.casefold() == name), None
            )
        return found or self

    def severity(self, key: str) -> SeverityConfig:
        return self.severities[key]

    def paging(self, severity: str) -> Paging:
        """Whether an incident of this severity pages and escalates (by its urgency)."""
        return self.urgency_paging[self.severities[severity].urgency]

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
        raise StartupError(yaml_problem(path, exc)) from None
    if not isinstance(raw, dict):
        raise StartupError(f"{path}: the top level must be a mapping (key: value lines)")
    if "api_tokens" in raw:
        raise StartupError(
            f"{path}: api_tokens: API tokens belong to one workspace: put them under "
            "workspaces.<team id>.api_tokens, or set BEACON_API_TOKEN"
        )
    config = _validate(raw, path, ())
    tokens: list[WorkspaceToken] = []
    problems: list[str] = []
    for key, section in config.workspaces.items():
        if not isinstance(section, dict) or "workspaces" in section:
            raise StartupError(
                f"{path}: workspaces.{key}: must be a mapping of this file's settings for that "
                "workspace (without another workspaces:)"
            )
        section = dict(section)
        if "api_tokens" in section:  # the workspace's own, never a setting of its Beacon
            found, wrong = workspace_tokens(str(key), section.pop("api_tokens"))
            tokens += found
            problems += [f"{path}: {line}" for line in wrong]
        top = {k: v for k, v in raw.items() if k != "workspaces"}
        config._workspaces[key] = _validate({**top, **section}, path, ("workspaces", key))
    if problems:
        raise StartupError("\n".join(problems))
    config._api_tokens = tuple(tokens)
    return config


def _validate(raw: dict[str, Any], path: Path, at: tuple[str, ...]) -> BeaconConfig:
    try:
        config = BeaconConfig.model_validate(raw)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            msg = error_text(err)
            if err["type"] == "extra_forbidden":
                msg = "unknown key: remove it or check its spelling"
            for part in msg.split("\n"):
                # cross-reference problems name their own path
                loc = (*at, *err["loc"])
                where = f"{_path_of(loc)}: " if loc else ""
                lines.append(f"{path}: {where}{part}")
        raise StartupError("\n".join(lines)) from None
    return attach(config, path)  # runbooks and templates, each problem with file and line
