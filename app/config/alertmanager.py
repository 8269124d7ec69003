"""The `alertmanager:` section of beacon.yml: how Alertmanager labels become incident fields."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from app.config.base import SEVERITY_ORDER, Strict


def _severity(value: str) -> str:
    upper = value.upper()
    if upper not in SEVERITY_ORDER:
        raise ValueError(f"'{value}' is not a severity: use P1, P2, P3 or P4")
    return upper


class AlertmanagerConfig(Strict):
    severity_label: str = "severity"
    # label value (compared lower-cased) -> Beacon severity; 'P1'..'P4' as values pass through
    severity_map: dict[str, str] = Field(
        default_factory=lambda: {"critical": "P1", "error": "P2", "warning": "P3", "info": "P4"}
    )
    default_severity: str = "P3"
    service_label: str = "service"
    # A resolved alert (or group) resolves its incident, or only says so in the thread.
    on_resolved: Literal["resolve", "annotate"] = "resolve"
    # One incident per Alertmanager group (its groupKey is the dedup key), or per alert.
    incident_per: Literal["group", "alert"] = "group"
    # Alerts handled per webhook; the rest are counted and said, never declared.
    max_alerts: int = Field(default=100, ge=1, le=1000, strict=True)

    @field_validator("severity_map")
    @classmethod
    def _map(cls, value: dict[str, str]) -> dict[str, str]:
        return {str(k).lower(): _severity(v) for k, v in value.items()}

    @field_validator("default_severity")
    @classmethod
    def _default(cls, value: str) -> str:
        return _severity(value)

    def severity_for(self, labels: dict[str, str]) -> str:
        raw = (labels.get(self.severity_label) or "").strip()
        if raw.lower() in self.severity_map:
            return self.severity_map[raw.lower()]
        if raw.upper() in SEVERITY_ORDER:
            return raw.upper()
        return self.default_severity
