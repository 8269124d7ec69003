"""Intake routes for incidents: declare (with dedup and Idempotency-Key), list, get, act,
and investigation updates."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from aiohttp import web
from pydantic import BaseModel, Field
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
from app.intake.fields import (
    CURSOR_PATTERN,
    INCIDENT_ID_PATTERN,
    USER_ID_PATTERN,
    Assignee,
    Body,
    Line,
    Text,
    full_match,
    int_param,
)
from app.intake.http import (
    API_PREFIX,
    BODY_ERRORS,
    ApiError,
    actor_of,
    beacon_of,
    error_responses,
    json_content,
    links,
    loads,
    model_schemas,
    parse_body,
    path_id_parameter,
    read_raw,
    ref,
    validate,
)
from app.intake.representation import IncidentOut, incident_json

SERVICE_KEY_MAX = 100
LIST_LIMIT_MAX = 200

class IncidentCreate(Body):
    title: Annotated[str, Line(TITLE_MAX)]
    description: Annotated[str, Text(DESCRIPTION_MAX, filled=False)] = ""
    severity: Literal["P1", "P2", "P3", "P4"] = "P3"
    service: Annotated[str, Line(SERVICE_KEY_MAX)] | None = Field(
        default=None, description="A service key from beacon.yml"
    )
    assignee: Assignee | None = Field(
        default=None, description="A Slack user id, or the email of a Slack user"
    )
    dedup_key: Annotated[str, Line(DEDUP_KEY_MAX)] | None = Field(
        default=None,
        description="A repeat while the incident is open adds 'fired again (×N)' to its thread "
        "instead of declaring a new incident",
    )


class AcknowledgeBody(Body):
    pass


class ResolveBody(Body):
    note: Annotated[str, Text(NOTE_MAX, filled=False)] = ""


class NoteBody(Body):
    text: Annotated[str, Text(NOTE_MAX)]


class InvestigationUpdate(Body):
    stage: InvestigationStage = Field(strict=False)  # strict would want the enum, not its value
    text: Annotated[str, Text(INVESTIGATION_TEXT_MAX)]
    confidence: float | None = Field(default=None, ge=0, le=1)


class IncidentCreated(BaseModel):
    created: bool = Field(description="false when the dedup_key matched an open incident")
    incident: IncidentOut


class ResponseMetadata(BaseModel):
    # Slack's convention: pass it back as `cursor` for the next page; "" on the last page.
    next_cursor: str


class IncidentList(BaseModel):
    incidents: list[IncidentOut]
    total: int  # how many the whole list holds now, not only this page
    response_metadata: ResponseMetadata


def _intake(request: web.Request) -> IntakeService:
    return beacon_of(request).intake


def _incident_id(request: web.Request) -> str:
    raw = request.match_info["id"]
    if not full_match(INCIDENT_ID_PATTERN, raw):
        raise ApiError(404, f"{raw} is not an incident id (INC-42).")
    return normalise_id(raw)


async def _resolve_assignee(beacon: Beacon, value: str | None) -> str | None:
    """A Slack user id as is; an email through users.lookupByEmail."""
    if value is None or full_match(USER_ID_PATTERN, value):
        return value
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
            service=body.service,
            assignee=await _resolve_assignee(beacon, body.assignee),
            dedup_key=body.dedup_key,
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
    limit = int_param(request.query.get("limit"), "limit", 50, 1, LIST_LIMIT_MAX)
    cursor = request.query.get("cursor") or None
    if cursor is not None and not full_match(CURSOR_PATTERN, cursor):
        raise ApiError(422, "cursor: pass back a response_metadata.next_cursor as it was.",
                       "cursor")
    page = await _intake(request).page(status, limit, cursor)
    return web.json_response({
        "incidents": [incident_json(i) for i in page.incidents],
        "total": page.total,
        "response_metadata": {"next_cursor": page.next_cursor or ""},
    })


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
_ID_PARAM = path_id_parameter(INCIDENT_ID_PATTERN, "INC-42 (or 42)", "INC-1")
_ONE = {
    "description": "The incident after the change",
    "content": json_content(ref("IncidentOut")),
}
# What a client (and schemathesis' stateful phase) can do next with a declared incident.
_NEXT = links(
    "$response.body#/incident/id",
    "getIncident",
    "acknowledgeIncident",
    "resolveIncident",
    "addIncidentNote",
    "postInvestigationUpdate",
)


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
                    "headers": idempotency.OPENAPI_REPLAYED,
                    "content": json_content(ref("IncidentCreated")),
                    "links": _NEXT,
                },
                "200": {
                    "description": "The dedup_key matched an open incident: counted there",
                    "headers": idempotency.OPENAPI_REPLAYED,
                    "content": json_content(ref("IncidentCreated")),
                    "links": _NEXT,
                },
                **error_responses(*BODY_ERRORS, 409, 502),
            },
        },
        "get": {
            "summary": "List incidents, newest first",
            "operationId": "listIncidents",
            "parameters": [
                {
                    "name": "status",
                    "in": "query",
                    "schema": {
                        "type": "string",
                        "enum": [s.value for s in StatusFilter],
                        "default": "open",
                    },
                },
                {
                    "name": "limit",
                    "in": "query",
                    "schema": {
                        "type": "integer",
                        "minimum": 1,
                        "maximum": LIST_LIMIT_MAX,
                        "default": 50,
                    },
                },
                {
                    "name": "cursor",
                    "in": "query",
                    "description": "The previous page's response_metadata.next_cursor, as it "
                    "was (empty or absent: the first page); a cursor of another status's list "
                    "is refused (422).",
                    "schema": {"type": "string", "pattern": CURSOR_PATTERN},
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
            "responses": {"200": _ONE, **error_responses(*BODY_ERRORS, 404, 409)},
        }
    },
    f"{API_PREFIX}/incidents/{{id}}/resolve": {
        "post": {
            "summary": "Resolve, with an optional note",
            "operationId": "resolveIncident",
            "parameters": [_ID_PARAM],
            "requestBody": _body("ResolveBody", {"note": "Rolled back to v1.4.2"}, required=False),
            "responses": {"200": _ONE, **error_responses(*BODY_ERRORS, 404, 409)},
        }
    },
    f"{API_PREFIX}/incidents/{{id}}/notes": {
        "post": {
            "summary": "Add a note to the incident's thread",
            "operationId": "addIncidentNote",
            "parameters": [_ID_PARAM],
            "requestBody": _body("NoteBody", {"text": "Error rate back under 1%"}),
            "responses": {"201": _ONE, **error_responses(*BODY_ERRORS, 404)},
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
            "responses": {"201": _ONE, **error_responses(*BODY_ERRORS, 404)},
        }
    },
}
OPENAPI_SCHEMAS.update(model_schemas(IncidentOut))
