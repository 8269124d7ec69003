"""Intake route: recent messages of a channel (conversations.history), for automation that
needs context."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import BaseModel, Field
from slack_sdk.errors import SlackApiError

from app.intake.fields import CHANNEL_PATTERN, full_match, int_param
from app.intake.http import (
    API_PREFIX,
    ApiError,
    beacon_of,
    error_responses,
    json_content,
    model_schemas,
    ref,
)
from app.intake.representation import iso
from app.slack.channels import ChannelNotFound

LIMIT_DEFAULT, LIMIT_MAX = 20, 200
# Slack errors that mean "no such channel for Beacon" rather than "Slack failed".
_NOT_FOUND = {"channel_not_found", "not_in_channel"}


class ChannelMessage(BaseModel):
    ts: str
    time: str | None = Field(description="ISO-8601, UTC")
    user: str | None
    bot_id: str | None
    text: str
    thread_ts: str | None
    reply_count: int


class ChannelMessages(BaseModel):
    channel: dict[str, str] = Field(examples=[{"id": "C0123ABC", "name": "incidents"}])
    messages: list[ChannelMessage] = Field(description="Newest first")
    has_more: bool


def _message(m: dict[str, Any]) -> dict[str, Any]:
    ts = str(m.get("ts", ""))
    try:
        when = iso(float(ts))
    except ValueError:
        when = None
    return {
        "ts": ts,
        "time": when,
        "user": m.get("user"),
        "bot_id": m.get("bot_id"),
        "text": m.get("text", ""),
        "thread_ts": m.get("thread_ts"),
        "reply_count": int(m.get("reply_count") or 0),
    }


async def messages(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    limit = int_param(request.query.get("limit"), "limit", LIMIT_DEFAULT, 1, LIMIT_MAX)
    beacon = beacon_of(request)
    unknown = f"There is no channel {name} that Beacon can see; check the name."
    if not full_match(CHANNEL_PATTERN, name):
        raise ApiError(404, unknown)
    try:
        channel_id = await beacon.channels.resolve(name)
    except ChannelNotFound:
        raise ApiError(404, unknown) from None
    except SlackApiError as exc:
        code = exc.response.get("error")
        raise ApiError(502, f"Slack refused to list channels ({code}).") from None
    try:
        resp = await beacon.client.conversations_history(channel=channel_id, limit=limit)
    except SlackApiError as exc:
        code = exc.response.get("error")
        if code in _NOT_FOUND:
            raise ApiError(
                404, f"Beacon can't read {name} ({code}): invite it with /invite @Beacon."
            ) from None
        raise ApiError(502, f"Slack refused to read {name} ({code}).") from None
    return web.json_response(
        {
            "channel": {"id": channel_id, "name": name.lstrip("#")},
            "messages": [_message(m) for m in list(resp.get("messages") or [])[:limit]],
            "has_more": bool(resp.get("has_more")),
        }
    )


def register(app: web.Application) -> None:
    app.router.add_get(f"{API_PREFIX}/channels/{{name}}/messages", messages)


OPENAPI_SCHEMAS: dict[str, Any] = model_schemas(ChannelMessages)

OPENAPI_PATHS: dict[str, Any] = {
    f"{API_PREFIX}/channels/{{name}}/messages": {
        "get": {
            "summary": "Recent messages of a channel, newest first",
            "operationId": "getChannelMessages",
            "parameters": [
                {
                    "name": "name",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string", "pattern": CHANNEL_PATTERN},
                    "description": "Channel name without '#' (or a channel id)",
                    "example": "incidents",
                },
                {
                    "name": "limit",
                    "in": "query",
                    "schema": {
                        "type": "integer",
                        "minimum": 1,
                        "maximum": LIMIT_MAX,
                        "default": LIMIT_DEFAULT,
                    },
                },
            ],
            "responses": {
                "200": {
                    "description": "The messages",
                    "content": json_content(ref("ChannelMessages")),
                },
                **error_responses(404, 422, 502),
            },
        }
    }
}
