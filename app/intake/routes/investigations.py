"""Intake routes for investigation results (posted with feedback buttons) and feedback stats."""

from __future__ import annotations

from typing import Annotated, Any

from aiohttp import web
from pydantic import BaseModel, Field
from slack_sdk.errors import SlackApiError

from app.container import Beacon
from app.domain.investigations import (
    LIST_MAX,
    STATS_DAYS_MAX,
    SUMMARY_MAX,
    InvestigationNotFound,
    NewInvestigation,
    Rating,
    RecommendedAction,
)
from app.intake.fields import (
    CHANNEL_PATTERN,
    INCIDENT_ID_PATTERN,
    INVESTIGATION_ID_PATTERN,
    Body,
    Id,
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
    model_schemas,
    parse_body,
    path_id_parameter,
    ref,
)
from app.slack.channels import ChannelNotFound

ACTION_TEXT_MAX = 1000
COMMAND_MAX = 2000
RESOURCE_MAX = 500


class ActionIn(Body):
    text: Annotated[str, Text(ACTION_TEXT_MAX)]
    command: Annotated[str, Text(COMMAND_MAX)] | None = Field(
        default=None, description="Shown as code"
    )


class InvestigationCreate(Body):
    alert_summary: Annotated[str, Text(SUMMARY_MAX)]
    root_cause: Annotated[str, Text(SUMMARY_MAX, filled=False)] = ""
    affected_resources: list[Annotated[str, Line(RESOURCE_MAX)]] = Field(
        default_factory=list, max_length=LIST_MAX
    )
    recommended_actions: list[ActionIn] = Field(default_factory=list, max_length=LIST_MAX)
    incident_id: Annotated[str, Id(INCIDENT_ID_PATTERN, "an incident id (INC-42)")] | None = (
        Field(
            default=None,
            description="Posted in this incident's card thread unless channel is given",
        )
    )
    channel: Annotated[str, Id(CHANNEL_PATTERN, "a channel name (#ops) or id")] | None = Field(
        default=None,
        description="A channel Beacon can see, by name (#ops) or id; default: the incident's "
        "thread, else the default channel",
    )


class InvestigationOut(BaseModel):
    id: str = Field(examples=["INV-3"])
    incident_id: str | None
    votes: dict[str, int]
    channel: str | None = Field(description="Where it was posted (null until posted)")
    ts: str | None
    delivery_error: str | None = Field(
        description="Why Slack would not take the post (channel_not_found, is_archived, "
        "not_in_channel, …); null unless it failed for good"
    )


class FeedbackSummary(BaseModel):
    totals: dict[str, int] = Field(description="Votes per rating that stand now")
    total: int
    accuracy_ratio: float | None = Field(description="accurate / total; null with no votes")


class FeedbackDay(FeedbackSummary):
    date: str = Field(examples=["2027-01-15"])


class FeedbackStats(FeedbackSummary):
    days: list[FeedbackDay] | None = Field(default=None, description="With ?days=N, oldest first")


async def _check_channel(beacon: Beacon, ref: str) -> None:
    """A channel Beacon cannot post in is a 422 now, not a 201 whose post fails later."""
    try:
        info = await beacon.client.conversations_info(channel=await beacon.channels.resolve(ref))
    except ChannelNotFound:
        info = None
    except SlackApiError as exc:
        code = exc.response.get("error")
        if code != "channel_not_found":
            raise ApiError(502, f"Slack refused to look up {ref} ({code}).", "channel") from None
        info = None
    if info is None:
        raise ApiError(422, f"channel: there is no channel {ref} that Beacon can see.", "channel")
    if info["channel"].get("is_archived"):
        raise ApiError(422, f"channel: {ref} is archived; pick another.", "channel")


async def create_investigation(request: web.Request) -> web.Response:
    body = await parse_body(request, InvestigationCreate)
    if body.channel is not None:
        await _check_channel(beacon_of(request), body.channel)
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
    raw = request.match_info["id"]
    if not full_match(INVESTIGATION_ID_PATTERN, raw):
        raise ApiError(404, f"{raw} is not an investigation id (INV-3).")
    number = int(raw.rpartition("-")[2])
    try:
        inv = await beacon_of(request).investigations.get(f"INV-{number}")
    except InvestigationNotFound as exc:
        raise ApiError(404, exc.user_message) from None
    return web.json_response(inv.public())


async def feedback_stats(request: web.Request) -> web.Response:
    days = int_param(request.query.get("days"), "days", 0, 0, STATS_DAYS_MAX)
    return web.json_response(await beacon_of(request).investigations.stats(days))


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
                    "links": links("$response.body#/id", "getInvestigation"),
                },
                **error_responses(*BODY_ERRORS, 404, 502),
            },
        }
    },
    f"{API_PREFIX}/investigations/{{id}}": {
        "get": {
            "summary": "An investigation result's votes and where it was posted",
            "operationId": "getInvestigation",
            "parameters": [
                path_id_parameter(INVESTIGATION_ID_PATTERN, "INV-3 (or 3)", "INV-3")
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
