"""Intake routes for investigation results (posted with feedback buttons) and feedback stats."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from app.domain.investigations import (
    LIST_MAX,
    STATS_DAYS_MAX,
    SUMMARY_MAX,
    InvestigationNotFound,
    NewInvestigation,
    Rating,
    RecommendedAction,
)
from app.intake.http import (
    API_PREFIX,
    ApiError,
    actor_of,
    beacon_of,
    error_responses,
    json_content,
    model_schemas,
    parse_body,
    ref,
)


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ActionIn(_Body):
    text: str = Field(min_length=1, max_length=1000)
    command: str | None = Field(default=None, max_length=2000, description="Shown as code")


class InvestigationCreate(_Body):
    alert_summary: str = Field(min_length=1, max_length=SUMMARY_MAX)
    root_cause: str = Field(default="", max_length=SUMMARY_MAX)
    affected_resources: list[str] = Field(default_factory=list, max_length=LIST_MAX)
    recommended_actions: list[ActionIn] = Field(default_factory=list, max_length=LIST_MAX)
    incident_id: str | None = Field(
        default=None, description="Posted in this incident's card thread unless channel is given"
    )
    channel: str | None = Field(
        default=None, description="A channel name (#ops) or id; default: the incident's thread"
    )


class InvestigationOut(BaseModel):
    id: str = Field(examples=["INV-3"])
    incident_id: str | None
    votes: dict[str, int]
    channel: str | None = Field(description="Where it was posted (null until posted)")
    ts: str | None


class FeedbackSummary(BaseModel):
    totals: dict[str, int] = Field(description="Votes per rating that stand now")
    total: int
    accuracy_ratio: float | None = Field(description="accurate / total; null with no votes")


class FeedbackDay(FeedbackSummary):
    date: str = Field(examples=["2027-01-15"])


class FeedbackStats(FeedbackSummary):
    days: list[FeedbackDay] | None = Field(default=None, description="With ?days=N, oldest first")


async def create_investigation(request: web.Request) -> web.Response:
    body = await parse_body(request, InvestigationCreate)
    inv = await beacon_of(request).investigations.post(
        NewInvestigation(
            alert_summary=body.alert_summary,
            root_cause=body.root_cause,
            affected_resources=tuple(body.affected_resources),
            recommended_actions=tuple(
                RecommendedAction(a.text, a.command or None) for a in body.recommended_actions
            ),
            incident_id=body.incident_id,
            channel=body.channel,
        ),
        actor_of(request),
    )
    return web.json_response(inv.public(), status=201)


async def get_investigation(request: web.Request) -> web.Response:
    try:
        inv = await beacon_of(request).investigations.get(request.match_info["id"].upper())
    except InvestigationNotFound as exc:
        raise ApiError(404, exc.user_message) from None
    return web.json_response(inv.public())


async def feedback_stats(request: web.Request) -> web.Response:
    raw = request.query.get("days", "0")
    if not raw.isdigit():
        raise ApiError(422, f"days: a whole number from 0 to {STATS_DAYS_MAX}.", "days")
    return web.json_response(await beacon_of(request).investigations.stats(int(raw)))


def register(app: web.Application) -> None:
    app.router.add_post(f"{API_PREFIX}/investigations", create_investigation)
    app.router.add_get(f"{API_PREFIX}/investigations/{{id}}", get_investigation)
    app.router.add_get(f"{API_PREFIX}/feedback/stats", feedback_stats)


OPENAPI_SCHEMAS: dict[str, Any] = model_schemas(
    InvestigationCreate, InvestigationOut, FeedbackStats
)

OPENAPI_PATHS: dict[str, Any] = {
    f"{API_PREFIX}/investigations": {
        "post": {
            "summary": "Post an investigation result with feedback buttons",
            "operationId": "createInvestigation",
            "requestBody": {
                "required": True,
                "content": json_content(
                    ref("InvestigationCreate"),
                    {
                        "alert_summary": "Checkout 5xx above 5% for 10 minutes",
                        "root_cause": "Connection pool exhausted after the 10:00 deploy",
                        "affected_resources": ["deploy/checkout", "db/payments"],
                        "recommended_actions": [
                            {
                                "text": "Roll back checkout",
                                "command": "kubectl rollout undo deploy/checkout",
                            }
                        ],
                        "incident_id": "INC-42",
                    },
                ),
            },
            "responses": {
                "201": {
                    "description": "Saved; the message is posted by the notifier",
                    "content": json_content(ref("InvestigationOut")),
                },
                **error_responses(400, 404, 413, 422),
            },
        }
    },
    f"{API_PREFIX}/investigations/{{id}}": {
        "get": {
            "summary": "An investigation result's votes and where it was posted",
            "operationId": "getInvestigation",
            "parameters": [
                {
                    "name": "id",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string"},
                    "example": "INV-3",
                }
            ],
            "responses": {
                "200": {"description": "Votes", "content": json_content(ref("InvestigationOut"))},
                **error_responses(404),
            },
        }
    },
    f"{API_PREFIX}/feedback/stats": {
        "get": {
            "summary": "Feedback on investigation results: totals per rating, accuracy ratio",
            "operationId": "getFeedbackStats",
            "parameters": [
                {
                    "name": "days",
                    "in": "query",
                    "description": "Also give the last N UTC days, one entry each",
                    "schema": {"type": "integer", "minimum": 0, "maximum": STATS_DAYS_MAX},
                }
            ],
            "responses": {
                "200": {
                    "description": "Stats",
                    "content": json_content(
                        ref("FeedbackStats"),
                        {
                            "totals": {r.value: 0 for r in Rating},
                            "total": 0,
                            "accuracy_ratio": None,
                        },
                    ),
                },
                **error_responses(422),
            },
        }
    },
}
