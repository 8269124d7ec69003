"""Intake route for Alertmanager's webhook (version 4), taken as Alertmanager sends it.

With `incident_per: group` (the default) a notification is one incident per Alertmanager
group (dedup key 'am:group:<groupKey>') listing its alerts; with `alert`, one per alert
('am:<fingerprint>').
A repeat (same startsAt) only updates "last notified"; a new alert or a new startsAt is said once
in the thread; the group (or alert) resolved resolves or annotates per the `alertmanager:`
section. At most `max_alerts` alerts are handled per webhook; the rest are counted and said.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from typing import Any, Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from app.config.alertmanager import AlertmanagerConfig
from app.config.base import SEVERITY_ORDER
from app.domain.alerts import AlertNotification, SeenAlert
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
ALERT_RESOLVED_TEXT = "Alertmanager says this alert is resolved."
GROUP_RESOLVED_TEXT = "Alertmanager says every alert of this group is resolved."
FINGERPRINT_MAX = 64
GROUP_PREFIX = "am:group:"
GROUP_KEY_MAX = 150
NAME_MAX = 120


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
    action: Literal["declared", "joined", "refired", "repeat", "resolved", "no_open_incident"] = (
        Field(description="declared: opened the incident; joined: new in an open one; "
              "refired: firing again with a new startsAt; repeat: nothing new (same startsAt, "
              "or resolved again); resolved: resolved now; no_open_incident: nothing to update")
    )
    incident_id: str | None


class IncidentResult(BaseModel):
    incident_id: str | None
    dedup_key: str
    action: Literal["declared", "updated", "resolved", "annotated", "no_open_incident"]
    firing: int = Field(description="Alerts of the incident firing now")
    resolved: int = Field(description="Alerts of the incident resolved")


class AlertmanagerResult(BaseModel):
    results: list[AlertResult] = Field(description="One per alert handled, in the order sent")
    incidents: list[IncidentResult] = Field(
        description="One per group (incident_per: group) or per alert handled")
    not_shown: int = Field(description="Alerts over alertmanager.max_alerts: counted, not handled")
    truncated_alerts: int = Field(description="Alertmanager's truncatedAlerts, as sent")


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_ISO = re.compile(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)")


def _plain(text: str, *, one_line: bool = False) -> str:
    """Alert text without control characters (an alert is never refused for them)."""
    text = _CONTROL.sub(" ", text)
    return " ".join(text.split()) if one_line else text


def epoch(text: str | None) -> float:
    """Alertmanager's RFC 3339 time (nanoseconds and all) in epoch seconds; 0 for none, for
    its zero time (0001-01-01) and for anything unreadable (the alert is never refused)."""
    match = _ISO.fullmatch(text or "")
    if not match:
        return 0.0
    zone = "+00:00" if match[3] == "Z" else match[3]
    try:
        at = datetime.fromisoformat(match[1] + (match[2] or "")[:7] + zone).timestamp()
    except ValueError:
        return 0.0
    return max(at, 0.0)


def _seen(alert: Alert, name: str) -> SeenAlert:
    return SeenAlert(
        fingerprint=alert.key(),
        firing=alert.status == "firing",
        starts=alert.startsAt or "",
        starts_at=epoch(alert.startsAt),
        ends_at=epoch(alert.endsAt) if alert.status == "resolved" else 0.0,
        name=_cut(_plain(name, one_line=True), NAME_MAX) or alert.key(),
    )


def _fields(
    title: str, lines: list[str], labels: dict[str, str], severity: str,
    cfg: AlertmanagerConfig, known: set[str], actor: str,
) -> NewIncident:
    service = labels.get(cfg.service_label) or None
    if service and service not in known:  # an unknown service must not lose the alert
        lines.append(f"Service label: {service} (not in beacon.yml)")
        service = None
    description = _plain("\n".join(line for line in lines if line)).strip()
    return NewIncident(
        title=_cut(title or "Alert from Alertmanager", TITLE_MAX),
        severity=severity,
        reporter=actor,
        description=_cut(description, DESCRIPTION_MAX),
        service=service,
    )


def _alert_title(alert: Alert) -> str:
    named = (alert.annotations.get("summary"), alert.labels.get("alertname"))
    return next((t for t in (_plain(x or "", one_line=True) for x in named) if t), "")


def incident_from(alert: Alert, cfg: AlertmanagerConfig, known: set[str], actor: str
                  ) -> NewIncident:
    """One alert's incident (incident_per: alert)."""
    lines = [alert.annotations.get("description") or ""]
    if alert.generatorURL:
        lines.append(f"Source: {alert.generatorURL}")
    severity = cfg.severity_for(alert.labels)
    return _fields(_alert_title(alert), lines, alert.labels, severity, cfg, known, actor)


def group_incident(payload: AlertmanagerWebhook, alerts: list[Alert], cfg: AlertmanagerConfig,
                   known: set[str], actor: str) -> NewIncident:
    """A group's incident: named by what its alerts share, as severe as its worst alert."""
    common, notes = payload.commonLabels, payload.commonAnnotations
    named = (notes.get("summary"), common.get("alertname"), payload.groupLabels.get("alertname"))
    title = next((t for t in (_plain(x or "", one_line=True) for x in named) if t), "")
    title = title or _alert_title(alerts[0])
    lines = [notes.get("description") or ""]
    if payload.groupLabels:
        group = ", ".join(f"{k}={v}" for k, v in sorted(payload.groupLabels.items()))
        lines.append(f"Group: {group}")
    if payload.externalURL:
        lines.append(f"Alertmanager: {payload.externalURL}")
    firing = [a for a in alerts if a.status == "firing"] or alerts
    severity = min((cfg.severity_for(a.labels) for a in firing), key=SEVERITY_ORDER.index)
    return _fields(title, lines, common, severity, cfg, known, actor)


def member_name(alert: Alert, common: dict[str, str]) -> str:
    """How the card lists one alert of a group: its alertname when the group's alerts differ
    in it, then the labels that set it apart (instance=db1), else its summary."""
    labels = alert.labels
    own = [f"{k}={v}" for k, v in sorted(labels.items())
           if k != "alertname" and common.get(k) != v]
    head = labels.get("alertname", "") if common.get("alertname") != labels.get("alertname") \
        else ""
    return " · ".join(p for p in (head, ", ".join(own)) if p) or _alert_title(alert)


def group_dedup_key(group_key: str) -> str:
    """Alertmanager's groupKey as the dedup key (hashed when long)."""
    if len(group_key) <= GROUP_KEY_MAX:
        return f"{GROUP_PREFIX}{group_key}"
    return f"{GROUP_PREFIX}{hashlib.sha256(group_key.encode()).hexdigest()[:32]}"


def notifications(payload: AlertmanagerWebhook, cfg: AlertmanagerConfig, known: set[str],
                  actor: str) -> tuple[list[AlertNotification], int]:
    """The webhook as notifications to apply (one per group, or one per alert), capped at
    max_alerts, and how many alerts the cap left out."""
    latest: dict[str, Alert] = {}
    for alert in payload.alerts:  # one outcome per fingerprint; a later entry wins
        latest[alert.key()] = alert
    alerts = list(latest.values())
    kept, not_shown = alerts[: cfg.max_alerts], max(0, len(alerts) - cfg.max_alerts)
    hidden = {"not_shown": not_shown, "truncated": payload.truncatedAlerts}
    if cfg.incident_per == "group" and payload.groupKey:
        resolved = payload.status == "resolved" if payload.status else all(
            a.status == "resolved" for a in alerts) and not payload.truncatedAlerts
        common = payload.commonLabels
        note = AlertNotification(
            dedup_key=group_dedup_key(payload.groupKey),
            new=group_incident(payload, kept, cfg, known, actor),
            alerts=tuple(_seen(a, member_name(a, common)) for a in kept),
            closing=resolved, **hidden,
        )
        return [note], not_shown
    notes = [
        AlertNotification(
            dedup_key=f"am:{alert.key()}",
            new=incident_from(alert, cfg, known, actor),
            alerts=(_seen(alert, _alert_title(alert)),),
            closing=alert.status == "resolved",
            **(hidden if i == 0 else {}),  # the first alert's thread says what was left out
        )
        for i, alert in enumerate(kept)
    ]
    return notes, not_shown


async def receive(request: web.Request) -> web.Response:
    payload = await parse_body(request, AlertmanagerWebhook)
    beacon = beacon_of(request)
    cfg = beacon.config.alertmanager
    notes, not_shown = notifications(
        payload, cfg, set(beacon.config.services), actor_of(request))
    results: list[dict[str, Any]] = []
    incidents: list[dict[str, Any]] = []
    for note in notes:
        annotate = cfg.on_resolved == "annotate"
        outcome = await beacon.intake.alerts(
            note, annotate=annotate, done_note=RESOLVED_NOTE,
            done_text=GROUP_RESOLVED_TEXT if note.dedup_key.startswith(GROUP_PREFIX)
            else ALERT_RESOLVED_TEXT,
        )
        applied = outcome.applied
        results += [
            {"fingerprint": a.fingerprint, "status": "firing" if a.firing else "resolved",
             "action": action, "incident_id": applied.incident_id}
            for a, action in zip(note.alerts, applied.actions, strict=True)
        ]
        incidents.append({
            "incident_id": applied.incident_id, "dedup_key": note.dedup_key,
            "action": outcome.action, "firing": applied.firing, "resolved": applied.resolved,
        })
    return web.json_response({
        "results": results, "incidents": incidents, "not_shown": not_shown,
        "truncated_alerts": payload.truncatedAlerts,
    })


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
            "summary": "Alertmanager webhook (version 4): one incident per group (or alert)",
            "description": "Point an Alertmanager webhook receiver here with "
            "`http_config.authorization.credentials` set to a Beacon API token. With "
            "`alertmanager.incident_per: group` (the default) the groupKey is the dedup key and "
            "the incident lists the group's alerts; with `alert`, one incident per fingerprint. "
            "A repeat (same startsAt) only updates the card; a new alert or startsAt is said "
            "once in the thread; status resolved resolves (or annotates). At most "
            "`alertmanager.max_alerts` alerts are handled, the rest counted (`not_shown`). "
            "Severity and service come from labels per the `alertmanager:` section.",
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
