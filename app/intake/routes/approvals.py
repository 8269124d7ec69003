"""Intake routes for approval requests: ask, and read (or wait for) the decision."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any, Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from app.domain.approvals import (
    EXPIRES_MAX_S,
    EXPIRES_MIN_S,
    OPERATION_MAX,
    ROLLBACK_MAX,
    Approval,
    ApprovalNotFound,
    ApprovalService,
    NewApproval,
    Risk,
)
from app.intake.fields import (
    APPROVAL_ID_PATTERN,
    GROUP_ID_PATTERN,
    INCIDENT_ID_PATTERN,
    USER_ID_PATTERN,
    Body,
    Id,
    JsonInt,
    Line,
    Text,
    full_match,
    number_param,
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
    model_schemas,
    parse_body,
    path_id_parameter,
    ref,
)

WAIT_MAX_S = 60
REQUESTER_MAX = 200
APPROVERS_MAX = 50
CALLBACK_URL_MAX = 2000
CALLBACK_URL_PATTERN = "^https?://[^\\x00-\\x20\\x7f-\\x9f]+$"
POLL_S = 0.2  # how often a long-poll looks at Redis: cheap (one HGETALL), and prompt enough


CallbackUrl = Annotated[
    str, Field(max_length=CALLBACK_URL_MAX), Id(CALLBACK_URL_PATTERN, "an http:// or https:// URL")
]


class ApprovalCreate(Body):
    operation: Annotated[str, Text(OPERATION_MAX)] = Field(description="What will be done")
    risk: Literal["low", "medium", "high", "critical"]
    rollback: Annotated[str, Text(ROLLBACK_MAX, filled=False)] = Field(
        default="", description="How to undo it (shown as code)"
    )
    incident_id: Annotated[str, Id(INCIDENT_ID_PATTERN, "an incident id (INC-42)")] | None = (
        Field(default=None, description="The incident this is for")
    )
    requested_by: Annotated[str, Line(REQUESTER_MAX, filled=False)] | None = Field(
        default=None,
        description="Who asks: a Slack user id (they may not approve their own request unless "
        "approvals.allow_self_approval), or a name. Default (also when blank): the API token's "
        "name",
    )
    approvers: list[Annotated[str, Id(USER_ID_PATTERN, "a Slack user id (U0123ABC)")]] = Field(
        default_factory=list,
        max_length=APPROVERS_MAX,
        description="Slack user ids who may decide",
    )
    approver_group: Annotated[str, Id(GROUP_ID_PATTERN, "a Slack user group id (S0123ABC)")] | (
        None
    ) = Field(default=None, description="A Slack user group id (S…); its members may decide")
    expires_in: JsonInt = Field(
        default=3600, ge=EXPIRES_MIN_S, le=EXPIRES_MAX_S, description="Seconds"
    )
    callback_url: CallbackUrl | None = Field(
        default=None,
        description="Gets the decision POSTed as JSON, signed in X-Beacon-Signature (only when "
        "the server has BEACON_CALLBACK_SECRET)",
    )

    # Someone must decide (ApprovalService refuses a request without approvers).
    model_config = ConfigDict(
        json_schema_extra={
            "anyOf": [
                {"required": ["approvers"], "properties": {"approvers": {"minItems": 1}}},
                {
                    "required": ["approver_group"],
                    "properties": {"approver_group": {"type": "string"}},
                },
            ]
        }
    )


class ApprovalOut(BaseModel):
    id: str = Field(examples=["APR-7"])
    status: Literal["pending", "approved", "denied", "expired"]
    operation: str
    risk: Literal["low", "medium", "high", "critical"]
    rollback: str
    incident_id: str | None
    requested_by: str
    approvers: list[str]
    created_at: float
    expires_at: float
    decided_by: str | None = Field(description="Slack user id; null while pending or expired")
    decided_at: float | None
    reason: str | None = Field(description="Why it was denied")
    callback_status: str | None = Field(
        description="pending, retrying, delivered or failed; null without callback_url"
    )


def _service(request: web.Request) -> ApprovalService:
    return beacon_of(request).approvals


async def _get(service: ApprovalService, raw_id: str) -> Approval:
    try:
        return await service.get(raw_id)
    except ApprovalNotFound as exc:
        raise ApiError(404, exc.user_message) from None


async def create_approval(request: web.Request) -> web.Response:
    body = await parse_body(request, ApprovalCreate)
    approval = await _service(request).request(
        NewApproval(
            operation=body.operation,
            risk=Risk(body.risk),
            rollback=body.rollback,
            requested_by=(body.requested_by or "").strip() or actor_of(request),
            approvers=tuple(body.approvers),
            approver_group=body.approver_group,
            expires_in=body.expires_in,
            incident_id=body.incident_id,
            callback_url=body.callback_url,
        )
    )
    return web.json_response(approval.public(), status=201)


async def get_approval(request: web.Request) -> web.Response:
    service = _service(request)
    wait = number_param(request.query.get("wait"), "wait", 0, 0, WAIT_MAX_S)
    raw_id = request.match_info["id"]
    if not full_match(APPROVAL_ID_PATTERN, raw_id):
        raise ApiError(404, f"{raw_id} is not an approval id (APR-7).")
    approval = await _get(service, raw_id)
    # Long-poll on the event loop's own (real) time: the caller waits in seconds, whatever
    # Beacon's injectable clock says. A short Redis poll; no busy loop.
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    while approval.is_pending and loop.time() < deadline:
        await asyncio.sleep(min(POLL_S, max(0.0, deadline - loop.time())))
        approval = await _get(service, approval.id)
    return web.json_response(approval.public())


def register(app: web.Application) -> None:
    app.router.add_post(f"{API_PREFIX}/approvals", create_approval)
    app.router.add_get(f"{API_PREFIX}/approvals/{{id}}", get_approval)


OPENAPI_SCHEMAS: dict[str, Any] = model_schemas(ApprovalCreate, ApprovalOut)

OPENAPI_PATHS: dict[str, Any] = {
    f"{API_PREFIX}/approvals": {
        "post": {
            "summary": "Ask people to approve an operation (a card with Approve / Deny)",
            "operationId": "createApproval",
            "requestBody": {
                "required": True,
                "content": json_content(
                    ref("ApprovalCreate"),
                    {
                        "operation": "Restart the payments database primary",
                        "risk": "high",
                        "rollback": "kubectl rollout undo statefulset/payments-db",
                        "incident_id": "INC-42",
                        "requested_by": "U0123ABC",
                        "approvers": ["U0456DEF"],
                        "approver_group": "S0789GHI",
                        "expires_in": 1800,
                        "callback_url": "https://automation.internal/approvals/hook",
                    },
                ),
            },
            "responses": {
                "201": {
                    "description": "Requested; the card is posted in the approvals channel",
                    "content": json_content(ref("ApprovalOut")),
                    "links": links("$response.body#/id", "getApproval"),
                },
                **error_responses(*BODY_ERRORS, 404),
            },
        }
    },
    f"{API_PREFIX}/approvals/{{id}}": {
        "get": {
            "summary": "An approval's status, who decided and when; ?wait= long-polls",
            "operationId": "getApproval",
            "parameters": [
                path_id_parameter(APPROVAL_ID_PATTERN, "APR-7 (or 7)", "APR-7"),
                {
                    "name": "wait",
                    "in": "query",
                    "description": "Seconds to wait for a decision while pending (at most 60)",
                    "schema": {"type": "number", "minimum": 0, "maximum": WAIT_MAX_S},
                },
            ],
            "responses": {
                "200": {
                    "description": "The approval (still pending if wait ran out)",
                    "content": json_content(ref("ApprovalOut")),
                },
                **error_responses(404, 422),
            },
        }
    },
}
