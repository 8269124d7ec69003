"""Global middleware: hand Beacon to listeners; drop Slack redeliveries already handled.

Every envelope that acts is guarded against Slack's redelivery of it: by one SET NX here, or,
for a click whose one transition takes the fingerprint, inside that Lua script (one round trip
for the click). `/incident help` is not guarded: it changes nothing and its whole answer is
its ack, so a redelivery (sent because Slack did not see that ack) is answered again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

from app.container import Beacon
from listeners.commands import COMMAND
from listeners.commands.parse import parse
from listeners.context import BEACON
from views.ids import ActionId, CallbackId

# Clicks (by action id) and modal submissions (by callback id) whose listener hands the
# envelope's fingerprint to its one transition, which sets it in the same Lua script
# (lua/_prelude.lua `repeated`): one Redis round trip fewer (a click on Acknowledge is one in
# all), and a redelivery is acked and changes nothing. Such a listener must pass
# `fingerprint_of(context)` as the service's `once=`, and do nothing else that a redelivery
# could repeat.
GUARDED_BY_TRANSITION = frozenset({ActionId.ACK.value})
SUBMISSIONS_GUARDED_BY_TRANSITION = frozenset({CallbackId.RESOLVE_MODAL.value})
FINGERPRINT = "beacon_envelope_fingerprint"


def fingerprint_of(context: Any) -> str:
    """The envelope's fingerprint when its transition is its redelivery guard, else ''."""
    return context.get(FINGERPRINT) or ""


def _answered_in_ack(body: dict[str, Any]) -> bool:
    """`/incident help`: nothing to guard (see the module docstring)."""
    return body.get("command") == COMMAND and parse(body.get("text") or "").name == "help"


def _guarded_by_transition(body: dict[str, Any]) -> bool:
    kind = body.get("type")
    if kind == "block_actions":
        actions = body.get("actions") or [{}]
        return actions[0].get("action_id") in GUARDED_BY_TRANSITION
    if kind == "view_submission":
        callback_id = (body.get("view") or {}).get("callback_id")
        return callback_id in SUBMISSIONS_GUARDED_BY_TRANSITION
    return False


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
    """Hands Beacon to listeners; acks a redelivery without acting.

    A class rather than a function for `app.use`: for a function middleware Bolt builds every
    listener argument (say, respond, client, the payload views, ...) on each envelope, which
    is most of what this middleware would otherwise cost. (The counted Web API client the
    listeners get is set up by app.bolt.BeaconApp, once per team.)
    """

    def __init__(self, beacon: Beacon | None) -> None:
        # None in multi-workspace mode: authorize (app/cells.py) put the envelope's cell in.
        self.beacon = beacon

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
        # (Counting, timing and the log line per envelope: app.bolt.BeaconApp.)
        if _answered_in_ack(body):
            return await next()
        fingerprint = envelope_fingerprint(body)
        if not fingerprint:
            return await next()
        if _guarded_by_transition(body):
            context[FINGERPRINT] = fingerprint
            return await next()
        # trigger_id / event_id are unique per user action, so a second sighting is Slack
        # redelivering something already handled: ack it, act no more.
        if beacon and not await beacon.stores.cache.first_seen(fingerprint):
            return BoltResponse(status=200, body="")
        return await next()


def make_middleware(beacon: Beacon | None) -> BeaconMiddleware:
    return BeaconMiddleware(beacon)
