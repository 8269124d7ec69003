"""The intake HTTP API server: auth, JSON errors, size limit, route modules, OpenAPI.

Each module in ROUTE_MODULES exposes `register(app)`, `OPENAPI_PATHS` (OpenAPI 3.1 path items
keyed by full path) and `OPENAPI_SCHEMAS` (component schemas); the document served at
/api/v1/openapi.json merges them, and a test checks it against the router.
"""

from __future__ import annotations

import copy
import hmac
import logging
import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiohttp import web

from app.config import BeaconConfig
from app.config.workspaces import TEAM_ID
from app.domain.errors import BeaconError
from app.domain.refusals import RefusalCode
from app.intake.connections import ApiLimits, ApiRunner, drop_after_response
from app.intake.http import (
    ACTOR_KEY,
    API_PREFIX,
    BEACON_KEY,
    COMMON_ERRORS,
    JSON_LIMITS,
    MAX_BODY_BYTES,
    REQUEST_BEACON_KEY,
    SETTINGS_KEY,
    ApiError,
    api_error,
    error_of,
    error_responses,
    json_content,
    set_app_value,
    too_large_message,
)
from app.intake.routes import alertmanager, approvals, channels, incidents, investigations
from app.settings import StartupError

if TYPE_CHECKING:
    from app.container import Beacon
    from app.settings import Settings

# Multi-workspace mode: a team id -> that workspace's Beacon, None when it is not installed.
BeaconFor = Callable[[str], Awaitable["Beacon | None"]]

__all__ = [
    "ROUTE_MODULES",
    "ApiError",
    "ApiServer",
    "api_error",
    "api_runner",
    "build_api",
    "openapi_document",
]

log = logging.getLogger("beacon.intake")

ROUTE_MODULES = [incidents, alertmanager, channels, approvals, investigations]

OPENAPI_URL = f"{API_PREFIX}/openapi.json"
OPENAPI_KEY: web.AppKey[dict[str, Any]] = web.AppKey("openapi")
HEALTHZ_URL = f"{API_PREFIX}/healthz"
PUBLIC_PATHS = frozenset({OPENAPI_URL, HEALTHZ_URL})

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class ApiToken:
    name: str | None
    secret: str
    workspace: str | None = None  # multi-workspace mode: the team id its incidents land in

    @property
    def actor(self) -> str:
        return f"api:{self.name}" if self.name else "api"


def parse_tokens(raw: str) -> list[ApiToken]:
    """BEACON_API_TOKEN: 'secret' or 'name:secret', comma-separated; '@T0123' after one names
    the workspace it belongs to (multi-workspace mode)."""
    tokens = []
    for part in raw.split(","):
        part = part.strip()
        workspace = None
        found = _WORKSPACE.search(part)
        if found:
            workspace, part = found.group(1), part[: found.start()]
        if not part:
            continue
        name, sep, secret = part.partition(":")
        tokens.append(
            ApiToken(name.strip(), secret.strip(), workspace) if sep
            else ApiToken(None, part, workspace)
        )
    return [t for t in tokens if t.secret]


_WORKSPACE = re.compile(rf"@({TEAM_ID.pattern})$")


def api_tokens(settings: Settings, config: BeaconConfig | None = None) -> list[ApiToken]:
    """Every API token: BEACON_API_TOKEN's, then beacon.yml's workspaces.<team>.api_tokens."""
    tokens = parse_tokens(settings.beacon_api_token)
    if config is not None:
        tokens += [ApiToken(t.name, t.secret, t.workspace) for t in config.api_tokens]
    return tokens


def check_api_settings(settings: Settings, config: BeaconConfig | None = None) -> None:
    """API_PORT without a token would be an open door: refuse to start."""
    if not settings.api_port:
        return
    tokens = api_tokens(settings, config)
    if not tokens:
        also = " (or workspaces.<team id>.api_tokens in beacon.yml)" if (
            settings.multi_workspace) else ""
        raise StartupError(
            f"API_PORT is {settings.api_port} but BEACON_API_TOKEN is not set: set it to one or "
            f"more tokens (name:secret, comma-separated){also}, or set API_PORT=0 to turn the "
            "API off"
        )
    unplaced = [t.name or "(unnamed)" for t in tokens if not t.workspace]
    if settings.multi_workspace and unplaced:
        raise StartupError(
            f"BEACON_API_TOKEN: {', '.join(unplaced)} names no workspace: in multi-workspace "
            "mode each token ends with its workspace's team id, e.g. name:secret@T0123"
        )
    if not settings.multi_workspace and config is not None and config.api_tokens:
        where = ", ".join(sorted({f"workspaces.{t.workspace}.api_tokens"
                                  for t in config.api_tokens}))
        raise StartupError(
            f"{settings.beacon_config}: {where}: per-workspace API tokens are for serving "
            "several workspaces; with SLACK_BOT_TOKEN put them in BEACON_API_TOKEN instead"
        )
    seen: dict[str, str] = {}
    for token in tokens:
        label = f"{token.name or '(unnamed)'}@{token.workspace}" if token.workspace else (
            token.name or "(unnamed)")
        if token.secret in seen:
            raise StartupError(
                f"API tokens {seen[token.secret]} and {label} have the same secret: give "
                "each token its own (a secret picks the workspace and the name)"
            )
        seen[token.secret] = label


def _match(tokens: list[ApiToken], given: str) -> ApiToken | None:
    found = None
    for token in tokens:  # compare against every token, so timing says nothing about which
        if hmac.compare_digest(token.secret.encode(), given.encode()):
            found = token
    return found


def _auth_middleware(
    tokens: list[ApiToken], beacon_for: BeaconFor | None
) -> Callable[..., Awaitable[web.StreamResponse]]:
    @web.middleware
    async def auth(request: web.Request, handler: Handler) -> web.StreamResponse:
        if not request.path.startswith(API_PREFIX) or request.path in PUBLIC_PATHS:
            return await handler(request)
        header = request.headers.get("Authorization", "")
        scheme, _, given = header.partition(" ")
        if scheme.lower() != "bearer" or not given.strip():
            return web.json_response(
                {"error": "Send your API token as 'Authorization: Bearer <token>'.", "status": 401},
                status=401,
                headers={"WWW-Authenticate": 'Bearer realm="beacon"'},
            )
        token = _match(tokens, given.strip())
        if token is None:
            return api_error(403, "That API token is not one of BEACON_API_TOKEN's; check it.")
        request[ACTOR_KEY] = token.actor
        if beacon_for is not None:  # multi-workspace mode: the token's workspace's Beacon
            beacon = await beacon_for(token.workspace or "")
            if beacon is None:
                return api_error(
                    403,
                    f"Beacon is not installed in workspace {token.workspace}, the one API token "
                    f"'{token.name or ''}' belongs to: install it at /slack/install first.",
                )
            request[REQUEST_BEACON_KEY] = beacon
        return await handler(request)

    return auth


@web.middleware
async def _errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every failure leaves as JSON: ApiError, domain errors, aiohttp's 404/405/413."""
    try:
        return await handler(request)
    except (ApiError, BeaconError) as exc:
        status, body = error_of(exc)
        resp = web.json_response(body, status=status)
        if isinstance(exc, ApiError) and exc.close:
            resp.force_close()
            drop_after_response(request)
        return resp
    except web.HTTPRequestEntityTooLarge:
        return api_error(413, too_large_message())
    except web.HTTPNotFound:
        return api_error(404, f"No such endpoint: {request.method} {request.path}.")
    except web.HTTPMethodNotAllowed as exc:
        allowed = ", ".join(sorted(exc.allowed_methods))
        return api_error(
            405, f"{request.method} is not allowed here; use {allowed}.", headers={"Allow": allowed}
        )
    except web.HTTPException as exc:
        if exc.status >= 400:
            return api_error(exc.status, exc.reason)
        raise


@web.middleware
async def _size(request: web.Request, handler: Handler) -> web.StreamResponse:
    # Refuse a declared oversize body before reading it (aiohttp checks only as it reads).
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        return api_error(413, too_large_message())
    return await handler(request)


# --- OpenAPI --------------------------------------------------------------------------------
_BASE_PATHS: dict[str, Any] = {
    OPENAPI_URL: {
        "get": {
            "summary": "This document",
            "operationId": "getOpenApi",
            "security": [],
            "responses": {
                "200": {
                    "description": "The OpenAPI 3.1 document",
                    "content": json_content({"type": "object"}),
                }
            },
        }
    },
    HEALTHZ_URL: {
        "get": {
            "summary": "Liveness of the API (no token needed)",
            "operationId": "getApiHealth",
            "security": [],
            "responses": {
                "200": {
                    "description": "The API answers",
                    "content": json_content(
                        {
                            "type": "object",
                            "required": ["status"],
                            "properties": {"status": {"const": "ok"}},
                        },
                        {"status": "ok"},
                    ),
                }
            },
        }
    },
}

_ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error", "status"],
    "properties": {
        "error": {"type": "string", "description": "What went wrong and what to do, in words"},
        "status": {"type": "integer"},
        "field": {"type": "string", "description": "The body field at fault (dotted path)"},
        # A 409 refused by the incident's (or approval's) state says why, by whom and when.
        "code": {
            "type": "string",
            "enum": [code.value for code in RefusalCode],
            "description": "409 only: why the change was refused",
        },
        "by": {
            "type": "string",
            "description": "409 only: who made the change in the way (Slack user id, "
            "'api:<token name>' or 'beacon')",
        },
        "at": {
            "type": "string",
            "format": "date-time",
            "description": "409 only: when they made it (ISO-8601, UTC)",
        },
        "value": {
            "type": "string",
            "description": "409 only: the value or state in the way (the assignee, a role, …)",
        },
    },
    "examples": [
        {
            "error": "INC-42 was already acknowledged by U0123ABC at 08:02 UTC.",
            "status": 409,
            "code": "already_acknowledged",
            "by": "U0123ABC",
            "at": "2027-01-15T08:02:00Z",
        }
    ],
}


def openapi_document(
    services: Iterable[str] | None = None, *, callbacks: bool = True
) -> dict[str, Any]:
    """The document; with a server's `services` (beacon.yml keys) and whether it has
    BEACON_CALLBACK_SECRET (`callbacks`), it says exactly what that server takes."""
    paths: dict[str, Any] = copy.deepcopy(_BASE_PATHS)
    schemas: dict[str, Any] = {"Error": _ERROR_SCHEMA}
    for module in ROUTE_MODULES:
        for path, item in copy.deepcopy(module.OPENAPI_PATHS).items():
            paths.setdefault(path, {}).update(item)
        schemas.update(copy.deepcopy(module.OPENAPI_SCHEMAS))
    # Errors every operation can answer (401/403 where a token is needed); said once here.
    for item in paths.values():
        for op in item.values():
            common = COMMON_ERRORS if op.get("security") == [] else (*COMMON_ERRORS, 401, 403)
            op.setdefault("responses", {}).update(error_responses(*common))
    if services is not None:
        keys = sorted(services)
        schemas["IncidentCreate"]["properties"]["service"]["anyOf"] = [
            *([{"type": "string", "enum": keys}] if keys else []),
            {"type": "null"},
        ]
    if not callbacks:  # ApprovalService refuses callback_url without the secret
        del schemas["ApprovalCreate"]["properties"]["callback_url"]
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Beacon intake API",
            "version": "1",
            "description": "Declare and act on incidents from alerting and automation. "
            "Send 'Authorization: Bearer <token>' (a token from BEACON_API_TOKEN). JSON bodies "
            f"are at most {MAX_BODY_BYTES // 1024} KiB, {JSON_LIMITS}; text fields refuse "
            "control characters (multi-line ones take tab, LF and CR).",
        },
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}],
    }


async def _openapi(request: web.Request) -> web.Response:
    return web.json_response(request.app[OPENAPI_KEY])


async def _healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


def build_api(
    beacon: Beacon | None,
    settings: Settings,
    *,
    beacon_for: BeaconFor | None = None,
    config: BeaconConfig | None = None,
) -> web.Application:
    """The API application; route modules find the Beacon with http.beacon_of(request): the
    process's, or in multi-workspace mode (`beacon_for`) the one of the token's workspace."""
    tokens = api_tokens(settings, config or (beacon.config if beacon else None))
    app = web.Application(
        client_max_size=MAX_BODY_BYTES,
        middlewares=[_errors, _size, _auth_middleware(tokens, beacon_for)],
    )
    app[SETTINGS_KEY] = settings
    services = beacon.config.services if beacon else (config.services if config else {})
    app[OPENAPI_KEY] = openapi_document(
        services, callbacks=bool(settings.beacon_callback_secret)
    )
    if beacon is not None:
        app[BEACON_KEY] = beacon
        set_app_value(app, "beacon", beacon)
    app.router.add_get(OPENAPI_URL, _openapi)
    app.router.add_get(HEALTHZ_URL, _healthz)
    for module in ROUTE_MODULES:
        module.register(app)
    return app


def api_runner(
    beacon: Beacon | None, settings: Settings, **multi: Any
) -> ApiRunner:
    """The API app in a runner that holds it to API_HEADER_TIMEOUT_S and API_MAX_CONNECTIONS."""
    return ApiRunner(build_api(beacon, settings, **multi), ApiLimits.of(settings))


class ApiServer:
    """The API site on API_HOST:API_PORT, started after Slack is connected."""

    def __init__(self, beacon: Beacon | None, settings: Settings, **multi: Any) -> None:
        self.beacon = beacon
        self.multi = multi  # multi-workspace mode: beacon_for, config
        self.settings = settings
        self._runner: web.AppRunner | None = None

    @classmethod
    async def start_for(
        cls, beacon: Beacon | None, settings: Settings, **multi: Any
    ) -> ApiServer | None:
        if not settings.api_port:
            return None
        check_api_settings(settings, multi.get("config") or (beacon.config if beacon else None))
        server = cls(beacon, settings, **multi)
        await server.start()
        return server

    async def start(self) -> None:
        host, port = self.settings.api_host, self.settings.api_port
        self._runner = api_runner(self.beacon, self.settings, **self.multi)
        await self._runner.setup()
        try:
            await web.TCPSite(self._runner, host, port).start()
        except OSError as exc:
            await self._runner.cleanup()
            self._runner = None
            raise StartupError(
                f"API_PORT {port} on {host} is not available ({exc.strerror}): pick a free "
                "port, or set API_PORT=0 to turn the intake API off"
            ) from None
        log.info("intake API on http://%s:%s%s", host, port, API_PREFIX)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
