"""Global middleware: hand Beacon to listeners; drop Slack redeliveries already handled."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from app.container import Beacon
from app.ops.metrics import instrumented
from listeners.context import BEACON


def envelope_fingerprint(body: dict[str, Any]) -> str | None:
    """A key that is the same for an envelope and Slack's redelivery of it."""
    if (body.get("event") or {}).get("type") == "function_executed":
        return None  # a workflow step claims its execution id itself, and answers a redelivery
    if body.get("event_id"):
        return "event:" + body["event_id"]
    actions = body.get("actions") or [{}]
    parts = [
        body.get("type") or body.get("command") or "",
        body.get("trigger_id") or "",
        actions[0].get("action_ts", ""),
        (body.get("view") or {}).get("id", ""),
        (body.get("view") or {}).get("hash", ""),
        (body.get("user") or {}).get("id", "") if isinstance(body.get("user"), dict) else "",
    ]
    if not any(parts[1:]):
        return None
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:32]


class BeaconMiddleware(AsyncMiddleware):
    """Hands Beacon and a counted client to listeners; acks a redelivery without acting.

    A class rather than a function for `app.use`: for a function middleware Bolt builds every
    listener argument (say, respond, client, the payload views, ...) on each envelope, which
    is most of what this middleware would otherwise cost.
    """

    def __init__(self, beacon: Beacon | None) -> None:
        # None in multi-workspace mode: authorize (app/cells.py) put the envelope's cell in.
        self.beacon = beacon
        # One counted client per (token, team) for the runtime's life. Bolt already builds a
        # plain client per envelope; wrapping it in another one per envelope cost ~7% of the
        # CPU of `/incident help` (slack_sdk reads four proxy variables from os.environ per
        # client). Listeners never change a client's token or team, so sharing one is safe.
        self.clients: dict[tuple[str | None, str | None], AsyncWebClient] = {}

    async def async_process(
        self,
        *,
        req: AsyncBoltRequest,
        resp: BoltResponse,
        next: Callable[[], Awaitable[BoltResponse]],
    ) -> BoltResponse | None:
        context, body = req.context, req.body
        if self.beacon is not None:
            context[BEACON] = self.beacon
        beacon: Beacon | None = context.get(BEACON)
        key = (context.client.token, context.team_id)
        client = self.clients.get(key)
        if context.get("function_bot_access_token"):  # a workflow step's token: its own
            client = instrumented(context.client)
        elif client is None:
            client = self.clients[key] = instrumented(context.client)
        context["client"] = client  # listeners' Web API calls counted too
        # (Counting, timing and the log line per envelope: app.bolt.BeaconApp.)
        fingerprint = envelope_fingerprint(body)
        # trigger_id / event_id are unique per user action, so a second sighting is Slack
        # redelivering something already handled: ack it, act no more.
        if fingerprint and beacon and not await beacon.stores.cache.first_seen(fingerprint):
            return BoltResponse(status=200, body="")
        return await next()


def make_middleware(beacon: Beacon | None) -> BeaconMiddleware:
    return BeaconMiddleware(beacon)
