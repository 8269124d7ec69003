"""Intake routes for incidents: declare (with dedup and Idempotency-Key), list, get, act,
and investigation updates."""

from __future__ import annotations

import re
from typing import Any, Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field
from slack_sdk.errors import SlackApiError

from app.container import Beacon
from app.domain.incidents import normalise_id
from app.domain.intake import (
    DEDUP_KEY_MAX,
    INVESTIGATION_TEXT_MAX,
    IntakeService,
    InvestigationStage,
    StatusFilter,
)
from app.domain.models import DESCRIPTION_MAX, NOTE_MAX, TITLE_MAX, NewIncident
from app.intake import idempotency
from app.intake.http import (
    API_PREFIX,
    ApiError,
    actor_of,
    beacon_of,
    error_responses,
    json_content,
    loads,
    model_schemas,
    parse_body,
    read_raw,
    ref,
    validate,
)
from app.intake.representation import IncidentOut, incident_json

_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class IncidentCreate(_Body):
    title: str = Field(min_length=1, max_length=TITLE_MAX)
    description: str = Field(default="", max_length=DESCRIPTION_MAX)
    severity: Literal["P1", "P2", "P3", "P4"] = "P3"
    service: str | None = Field(default=None, description="A service key from beacon.yml")
    assignee: str | None = Field(default=None, description="A Slack user id or an email address")
    dedup_key: str | None = Field(
        default=None,
        max_length=DEDUP_KEY_MAX,
        description="A repeat while the incident is open adds 'fired again (×N)' to its thread "
        "instead of declaring a new incident",
    )


class AcknowledgeBody(_Body):
    pass


class ResolveBody(_Body):
    note: str = Field(default="", max_length=NOTE_MAX)


class NoteBody(_Body):
    text: str = Field(min_length=1, max_length=NOTE_MAX)


class InvestigationUpdate(_Body):
    stage: InvestigationStage
    text: str = Field(min_length=1, max_length=INVESTIGATION_TEXT_MAX)
    confidence: float | None = Field(default=None, ge=0, le=1)


class IncidentCreated(BaseModel):
    created: bool = Field(description="false when the dedup_key matched an open incident")
    incident: IncidentOut


class IncidentList(BaseModel):
    incidents: list[IncidentOut]


def _intake(request: web.Request) -> IntakeService:
    return beacon_of(request).intake


def _incident_id(request: web.Request) -> str:
    try:
        return normalise_id(request.match_info["id"])
    except Exception:
        raise ApiError(404, f"{request.match_info['id']} is not an incident id (INC-42).") from None


async def _resolve_assignee(beacon: Beacon, value: str | None) -> str | None:
    """A Slack user id as is; an email through users.lookupByEmail."""
    if not value or not value.strip():
        return None
    value = value.strip()
    if _USER_ID.match(value):
        return value
    if "@" not in value:
        raise ApiError(422, "assignee: give a Slack user id (U0123ABC) or an email.", "assignee")
    try:
        resp = await beacon.client.users_lookupByEmail(email=value)
    except SlackApiError as exc:
        code = exc.response.get("error")
        if code == "users_not_found":
            msg = f"assignee: no Slack user has the email {value}."
            raise ApiError(422, msg, "assignee") from None
        raise ApiError(502, f"Slack refused the user lookup ({code}).", "assignee") from None
    return resp["user"]["id"]


async def create_incident(request: web.Request) -> web.Response:
    raw = await read_raw(request)

    async def work() -> tuple[int, Any]:
        body = validate(IncidentCreate, loads(raw))
        beacon = beacon_of(request)
        new = NewIncident(
            title=body.title.strip(),
            severity=body.severity,
            reporter=actor_of(request),
            description=body.description.strip(),
            service=body.service or None,
            assignee=await _resolve_assignee(beacon, body.assignee),
            dedup_key=body.dedup_key or None,
        )
        incident, created = await _intake(request).declare_or_refire(new)
        return (201 if created else 200), {"created": created, "incident": incident_json(incident)}

    return await idempotency.run_idempotent(request, raw, work)


async def list_incidents(request: web.Request) -> web.Response:
    raw_status = request.query.get("status", "open")
    try:
        status = StatusFilter(raw_status)
    except ValueError:
        raise ApiError(422, "status: use open, acknowledged, resolved or all.", "status") from None
    limit = _int_query(request, "limit", 50, 1, 200)
    found = await _intake(request).list(status, limit)
    return web.json_response({"incidents": [incident_json(i) for i in found]})


def _int_query(request: web.Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise ApiError(422, f"{name}: a whole number from {low} to {high}.", name)
    return value


async def get_incident(request: web.Request) -> web.Response:
    incidents = beacon_of(request).incidents
    incident = await incidents.get(_incident_id(request))
    return web.json_response(incident_json(incident, await incidents.timeline(incident.id)))


async def acknowledge(request: web.Request) -> web.Response:
    if (await read_raw(request)).strip():  # an empty body is fine; a body must be {}
        await parse_body(request, AcknowledgeBody)
    incident = await beacon_of(request).incidents.acknowledge(
        _incident_id(request), actor_of(request)
    )
    return web.json_response(incident_json(incident))


async def resolve(request: web.Request) -> web.Response:
    raw = await read_raw(request)
    body = validate(ResolveBody, loads(raw)) if raw.strip() else ResolveBody()
    incident = await beacon_of(request).incidents.resolve(
        _incident_id(request), actor_of(request), body.note
    )
    return web.json_response(incident_json(incident))


async def add_note(request: web.Request) -> web.Response:
    body = await parse_body(request, NoteBody)
    incident = await _intake(request).add_note(_incident_id(request), actor_of(request), body.text)
    return web.json_response(incident_json(incident), status=201)


async def investigation(request: web.Request) -> web.Response:
    body = await parse_body(request, InvestigationUpdate)
    incident = await _intake(request).investigation_update(
        _incident_id(request), actor_of(request), body.stage, body.text, body.confidence
    )
    return web.json_response(incident_json(incident), status=201)


def register(app: web.Application) -> None:
    base = f"{API_PREFIX}/incidents"
    app.router.add_post(base, create_incident)
    app.router.add_get(base, list_incidents)
    app.router.add_get(base + "/{id}", get_incident)
    app.router.add_post(base + "/{id}/acknowledge", acknowledge)
    app.router.add_post(base + "/{id}/resolve", resolve)
    app.router.add_post(base + "/{id}/notes", add_note)
    app.router.add_post(base + "/{id}/investigation", investigation)


# --- OpenAPI --------------------------------------------------------------------------------
_ID_PARAM = {
    "name": "id",
    "in": "path",
    "required": True,
    "schema": {"type": "string"},
    "description": "INC-42 (or 42)",
    "example": "INC-1",
}
_ONE = {
    "description": "The incident after the change",
    "content": json_content(ref("IncidentOut")),
}


def _body(name: str, example: Any, *, required: bool = True) -> dict[str, Any]:
    return {"required": required, "content": json_content(ref(name), example)}


OPENAPI_SCHEMAS: dict[str, Any] = model_schemas(
    IncidentCreate,
    AcknowledgeBody,
    ResolveBody,
    NoteBody,
    InvestigationUpdate,
    IncidentCreated,
    IncidentList,
)

OPENAPI_PATHS: dict[str, Any] = {
    f"{API_PREFIX}/incidents": {
        "post": {
            "summary": "Declare an incident (or count a repeat of an open one's dedup_key)",
            "operationId": "createIncident",
            "parameters": [idempotency.OPENAPI_PARAMETER],
            "requestBody": _body(
                "IncidentCreate",
                {
                    "title": "Checkout error rate above 5%",
                    "description": "p99 latency 4 s, errors 7% since 10:02",
                    "severity": "P2",
                    "assignee": "alice@example.com",
                    "dedup_key": "checkout-errors",
                },
            ),
            "responses": {
                "201": {
                    "description": "Declared",
                    "content": json_content(ref("IncidentCreated")),
                },
                "200": {
                    "description": "The dedup_key matched an open incident: counted there",
                    "content": json_content(ref("IncidentCreated")),
                },
                **error_responses(400, 409, 413, 422, 502),
            },
        },
        "get": {
            "summary": "List incidents, newest first",
            "operationId": "listIncidents",
            "parameters": [
                {
                    "name": "status",
                    "in": "query",
                    "schema": {"enum": [s.value for s in StatusFilter], "default": "open"},
                },
                {
                    "name": "limit",
                    "in": "query",
                    "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50},
                },
            ],
            "responses": {
                "200": {"description": "Incidents", "content": json_content(ref("IncidentList"))},
                **error_responses(422),
            },
        },
    },
    f"{API_PREFIX}/incidents/{{id}}": {
        "get": {
            "summary": "One incident with its timeline",
            "operationId": "getIncident",
            "parameters": [_ID_PARAM],
            "responses": {
                "200": {"description": "The incident", "content": json_content(ref("IncidentOut"))},
                **error_responses(404),
            },
        }
    },
    f"{API_PREFIX}/incidents/{{id}}/acknowledge": {
        "post": {
            "summary": "Acknowledge",
            "operationId": "acknowledgeIncident",
            "parameters": [_ID_PARAM],
            "requestBody": _body("AcknowledgeBody", {}, required=False),
            "responses": {"200": _ONE, **error_responses(404, 409, 422)},
        }
    },
    f"{API_PREFIX}/incidents/{{id}}/resolve": {
        "post": {
            "summary": "Resolve, with an optional note",
            "operationId": "resolveIncident",
            "parameters": [_ID_PARAM],
            "requestBody": _body("ResolveBody", {"note": "Rolled back to v1.4.2"}, required=False),
            "responses": {"200": _ONE, **error_responses(404, 409, 422)},
        }
    },
    f"{API_PREFIX}/incidents/{{id}}/notes": {
        "post": {
            "summary": "Add a note to the incident's thread",
            "operationId": "addIncidentNote",
            "parameters": [_ID_PARAM],
            "requestBody": _body("NoteBody", {"text": "Error rate back under 1%"}),
            "responses": {"201": _ONE, **error_responses(400, 404, 413, 422)},
        }
    },
    f"{API_PREFIX}/incidents/{{id}}/investigation": {
        "post": {
            "summary": "Post an investigation update in the incident's thread",
            "operationId": "postInvestigationUpdate",
            "parameters": [_ID_PARAM],
            "requestBody": _body(
                "InvestigationUpdate",
                {
                    "stage": "hypothesis",
                    "text": "Connection pool exhausted after the 10:00 deploy",
                    "confidence": 0.7,
                },
            ),
            "responses": {"201": _ONE, **error_responses(400, 404, 413, 422)},
        }
    },
}
OPENAPI_SCHEMAS.update(model_schemas(IncidentOut))
