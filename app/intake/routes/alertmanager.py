"""Intake route for Alertmanager's webhook (version 4), taken as Alertmanager sends it.

Each alert is handled on its own by fingerprint: firing declares (dedup key 'am:<fingerprint>',
so a repeat while open is counted as 'fired again'), resolved resolves or annotates the open
incident per the `alertmanager:` config section.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any, Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from app.config.alertmanager import AlertmanagerConfig
from app.domain.errors import AlreadyDone
from app.domain.models import DESCRIPTION_MAX, TITLE_MAX, NewIncident
from app.intake.fields import JsonInt
from app.intake.http import (
    API_PREFIX,
    BODY_ERRORS,
    actor_of,
    beacon_of,
    error_responses,
    json_content,
    model_schemas,
    parse_body,
    ref,
)

RESOLVED_NOTE = "resolved by Alertmanager"
FINGERPRINT_MAX = 64


class _Sent(BaseModel):
    """As Alertmanager sends it: its field names, and fields it may add later are let by; JSON
    types are held to (strict)."""

    model_config = ConfigDict(extra="allow", strict=True)


class Alert(_Sent):
    status: Literal["firing", "resolved"]
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)
    startsAt: str | None = None  # Alertmanager's field names, as sent
    endsAt: str | None = None
    generatorURL: str | None = None
    fingerprint: str | None = None

    def key(self) -> str:
        """Alertmanager's fingerprint, or one made from the labels when a sender omits it (or
        sends one too long for a dedup key)."""
        if self.fingerprint and len(self.fingerprint) <= FINGERPRINT_MAX:
            return self.fingerprint
        flat = self.fingerprint or "\n".join(f"{k}={v}" for k, v in sorted(self.labels.items()))
        return hashlib.sha256(flat.encode()).hexdigest()[:16]


class AlertmanagerWebhook(_Sent):
    version: Literal["4"] = Field(
        default="4", description="Beacon reads Alertmanager webhook version 4"
    )
    groupKey: str | None = None
    truncatedAlerts: JsonInt = Field(default=0, ge=0)
    status: Literal["firing", "resolved"] | None = None
    receiver: str | None = None
    groupLabels: dict[str, str] = Field(default_factory=dict)
    commonLabels: dict[str, str] = Field(default_factory=dict)
    commonAnnotations: dict[str, str] = Field(default_factory=dict)
    externalURL: str | None = None
    alerts: list[Alert] = Field(min_length=1)


class AlertResult(BaseModel):
    fingerprint: str
    status: Literal["firing", "resolved"]
    action: Literal["declared", "refired", "resolved", "annotated", "no_open_incident"]
    incident_id: str | None


class AlertmanagerResult(BaseModel):
    results: list[AlertResult]


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _plain(text: str, *, one_line: bool = False) -> str:
    """Alert text without control characters (an alert is never refused for them)."""
    text = _CONTROL.sub(" ", text)
    return " ".join(text.split()) if one_line else text


def incident_from(
    alert: Alert, cfg: AlertmanagerConfig, known: set[str], actor: str
) -> NewIncident:
    labels, notes = alert.labels, alert.annotations
    named = (notes.get("summary"), labels.get("alertname"))
    titles = (_plain(text or "", one_line=True) for text in named)
    title = next((t for t in titles if t), "Alert from Alertmanager")
    lines = [notes.get("description") or ""]
    service = labels.get(cfg.service_label) or None
    if service and service not in known:  # an unknown service must not lose the alert
        lines.append(f"Service label: {service} (not in beacon.yml)")
        service = None
    if alert.generatorURL:
        lines.append(f"Source: {alert.generatorURL}")
    description = _plain("\n".join(line for line in lines if line)).strip()
    return NewIncident(
        title=_cut(title, TITLE_MAX),
        severity=cfg.severity_for(labels),
        reporter=actor,
        description=_cut(description, DESCRIPTION_MAX),
        service=service,
        dedup_key=f"am:{alert.key()}",
    )


async def receive(request: web.Request) -> web.Response:
    payload = await parse_body(request, AlertmanagerWebhook)
    beacon = beacon_of(request)
    cfg = beacon.config.alertmanager
    actor = actor_of(request)
    intake = beacon.intake
    latest: dict[str, Alert] = {}
    for alert in payload.alerts:  # one outcome per fingerprint; a later entry wins
        latest[alert.key()] = alert
    results = []
    for fingerprint, alert in latest.items():
        dedup_key = f"am:{fingerprint}"
        incident_id: str | None
        if alert.status == "firing":
            new = incident_from(alert, cfg, set(beacon.config.services), actor)
            incident, created = await intake.declare_or_refire(new)
            incident_id, action = incident.id, "declared" if created else "refired"
        else:
            incident_id = await intake.open_for_dedup(dedup_key)
            if incident_id is None:
                action = "no_open_incident"
            elif cfg.on_resolved == "resolve":
                try:
                    await beacon.incidents.resolve(incident_id, actor, RESOLVED_NOTE)
                    action = "resolved"
                except AlreadyDone:  # a person resolved it meanwhile
                    action = "no_open_incident"
            else:
                await beacon.incidents.add_note(
                    incident_id, actor, "Alertmanager says this alert is resolved."
                )
                action = "annotated"
        results.append(
            {
                "fingerprint": fingerprint,
                "status": alert.status,
                "action": action,
                "incident_id": incident_id,
            }
        )
    return web.json_response({"results": results})


def register(app: web.Application) -> None:
    app.router.add_post(f"{API_PREFIX}/alertmanager", receive)


EXAMPLE: dict[str, Any] = {
    "version": "4",
    "groupKey": '{}:{alertname="HighErrorRate"}',
    "truncatedAlerts": 0,
    "status": "firing",
    "receiver": "beacon",
    "groupLabels": {"alertname": "HighErrorRate"},
    "commonLabels": {"alertname": "HighErrorRate", "severity": "critical"},
    "commonAnnotations": {"summary": "Checkout error rate above 5%"},
    "externalURL": "http://alertmanager.local:9093",
    "alerts": [
        {
            "status": "firing",
            "labels": {"alertname": "HighErrorRate", "severity": "critical", "service": "payments"},
            "annotations": {
                "summary": "Checkout error rate above 5%",
                "description": "7% of checkout requests fail since 10:02",
            },
            "startsAt": "2027-01-15T10:02:00Z",
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "http://prometheus.local:9090/graph?g0.expr=errors",
            "fingerprint": "c4a1e2f3b5d6a7b8",
        }
    ],
}

OPENAPI_SCHEMAS: dict[str, Any] = model_schemas(AlertmanagerWebhook, AlertmanagerResult)

OPENAPI_PATHS: dict[str, Any] = {
    f"{API_PREFIX}/alertmanager": {
        "post": {
            "summary": "Alertmanager webhook (version 4): declare, refire, resolve by fingerprint",
            "description": "Point an Alertmanager webhook receiver here with "
            "`http_config.authorization.credentials` set to a Beacon API token. Severity and "
            "service come from labels per the `alertmanager:` section of beacon.yml.",
            "operationId": "alertmanagerWebhook",
            "requestBody": {
                "required": True,
                "content": json_content(ref("AlertmanagerWebhook"), EXAMPLE),
            },
            "responses": {
                "200": {
                    "description": "What was done for each alert",
                    "content": json_content(ref("AlertmanagerResult")),
                },
                **error_responses(*BODY_ERRORS, 409),
            },
        }
    }
}
