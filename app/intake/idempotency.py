"""The Idempotency-Key header: the same key within 24 h answers with the first response."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from app.domain.errors import BeaconError
from app.intake.fields import full_match
from app.intake.http import ApiError, actor_of, beacon_of, error_of

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
KEY_PATTERN = "^[\\x21-\\x7e]{1,255}$"  # printable ASCII, no spaces

Work = Callable[[], Awaitable[tuple[int, Any]]]

OPENAPI_PARAMETER: dict[str, Any] = {
    "name": HEADER,
    "in": "header",
    "required": False,
    "description": "1 to 255 printable ASCII characters, no spaces. A repeat within 24 hours "
    "(same token, same body) returns the first response without acting again; the replay "
    f"carries '{REPLAYED}: true'.",
    "schema": {"type": "string", "pattern": KEY_PATTERN},
}
OPENAPI_REPLAYED: dict[str, Any] = {
    REPLAYED: {
        "description": "Present on a replay of an earlier request with the same Idempotency-Key",
        "schema": {"type": "string", "enum": ["true"]},
    }
}


async def run_idempotent(request: web.Request, raw: bytes, work: Work) -> web.Response:
    """Run `work` (returning status and JSON body) at most once per Idempotency-Key."""
    key = request.headers.get(HEADER)
    if key is None:
        status, body = await _answer(work)
        return web.json_response(body, status=status)
    if not full_match(KEY_PATTERN, key):
        raise ApiError(
            422, f"{HEADER} must be 1 to 255 printable characters without spaces.", HEADER
        )
    beacon = beacon_of(request)
    store = beacon.stores.idempotency
    scope = actor_of(request)  # each token has its own keys
    fingerprint = hashlib.sha256(
        request.method.encode() + b" " + request.path.encode() + b"\n" + raw
    ).hexdigest()
    earlier = await store.begin(scope, key, fingerprint)
    if earlier is not None:
        if earlier.fingerprint != fingerprint:
            raise ApiError(
                409,
                f"This {HEADER} was already used for a different request; use a new key.",
                HEADER,
            )
        if earlier.pending:
            raise ApiError(
                409, f"A request with this {HEADER} is still being handled; retry in a moment."
            )
        return web.json_response(earlier.body, status=earlier.status, headers={REPLAYED: "true"})
    try:
        status, body = await _answer(work)
    except BaseException:
        await store.abandon(scope, key)
        raise
    if status >= 500:  # nothing was done for good: a retry may act
        await store.abandon(scope, key)
    else:
        await store.finish(scope, key, fingerprint, status, body)
    return web.json_response(body, status=status)


async def _answer(work: Work) -> tuple[int, Any]:
    """Refusals (4xx) are answers too, and are replayed like successes."""
    try:
        return await work()
    except (ApiError, BeaconError) as exc:
        return error_of(exc)
