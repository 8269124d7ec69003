"""Helpers every intake route module uses: errors, bodies, the caller, OpenAPI schemas.

Route modules import from here (not from server.py, which imports them).
"""

from __future__ import annotations

import asyncio
import json
import math
import re
import warnings
from typing import TYPE_CHECKING, Any, TypeVar

from aiohttp import web
from aiohttp.web_protocol import RequestPayloadError
from pydantic import BaseModel, ValidationError

from app.domain.errors import (
    AlreadyDone,
    BeaconError,
    DatabaseUnavailable,
    IncidentNotFound,
    InvalidInput,
)
from app.domain.refusals import Refusal, RefusalError
from app.intake.representation import iso

if TYPE_CHECKING:
    from app.container import Beacon
    from app.settings import Settings

API_PREFIX = "/api/v1"
MAX_BODY_BYTES = 256 * 1024
# JSON the API reads: deep nesting would exhaust the parser's stack, and a long number costs
# quadratic time to convert (Python refuses over 4300 digits anyway).
MAX_JSON_DEPTH = 64
MAX_NUMBER_CHARS = 100
JSON_LIMITS = (
    f"nested at most {MAX_JSON_DEPTH} deep, numbers at most {MAX_NUMBER_CHARS} characters, "
    "no NaN or Infinity, no lone UTF-16 surrogates"
)
# The request line and headers; LineTooLong says only which limit it hit, so the URL's differs
# from aiohttp's 8190 for a header.
MAX_URL_BYTES = 8192
MAX_HEADER_BYTES = 8190
MAX_HEADERS = 128
_SURROGATE = re.compile("[\ud800-\udfff]")

BEACON_KEY: web.AppKey[Beacon] = web.AppKey("beacon")
REQUEST_BEACON_KEY = "beacon"  # multi-workspace mode: the token's workspace's, per request
SETTINGS_KEY: web.AppKey[Settings] = web.AppKey("settings")
ACTOR_KEY = web.RequestKey("api_actor", str)

M = TypeVar("M", bound=BaseModel)


class ApiError(Exception):
    """Raised by a handler; the error middleware turns it into a JSON response. With `close`,
    the connection is closed after it (the client is not sending what it said it would)."""

    def __init__(
        self, status: int, message: str, field: str | None = None, *, close: bool = False
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.field = field
        self.close = close


def error_body(status: int, message: str, field: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"error": message, "status": status}
    if field is not None:
        body["field"] = field
    return body


def api_error(
    status: int,
    message: str,
    field: str | None = None,
    headers: dict[str, str] | None = None,
) -> web.Response:
    """The one shape of every error the API returns: {"error", "status"[, "field"]}."""
    return web.json_response(error_body(status, message, field), status=status, headers=headers)


_DOMAIN_STATUS: list[tuple[type[BeaconError], int]] = [
    (IncidentNotFound, 404),
    (AlreadyDone, 409),
    (InvalidInput, 422),
    (DatabaseUnavailable, 503),
]


def error_of(exc: ApiError | BeaconError) -> tuple[int, dict[str, Any]]:
    """(status, JSON body) for an API or domain error: unknown id 404, refused 409, …"""
    if isinstance(exc, ApiError):
        return exc.status, error_body(exc.status, exc.message, exc.field)
    status = next((s for cls, s in _DOMAIN_STATUS if isinstance(exc, cls)), 409)
    body = error_body(status, exc.user_message, exc.field)
    if isinstance(exc, RefusalError):
        body.update(refusal_fields(exc.refusal))
    return status, body


def refusal_fields(refusal: Refusal) -> dict[str, Any]:
    """A refusal's data beside the plain-text `error`: why (`code`), by whom, when, and the
    value in the way; absent ones left out."""
    fields = {"code": refusal.code.value, "by": refusal.by, "at": iso(refusal.at),
              "value": refusal.value}
    return {key: value for key, value in fields.items() if value is not None}


def set_app_value(app: web.Application, key: str, value: Any) -> None:
    """app["beacon"] style access for route modules that prefer string keys."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # aiohttp's NotAppKeyWarning: we keep both on purpose
        app[key] = value


def beacon_of(request: web.Request) -> Beacon:
    beacon: Beacon | None = request.get(REQUEST_BEACON_KEY)
    return beacon if beacon is not None else request.app[BEACON_KEY]


def actor_of(request: web.Request) -> str:
    """Who acts, as recorded on the incident: 'api:<token name>' (or 'api' for a bare token)."""
    return request.get(ACTOR_KEY, "api")


def field_path(loc: tuple[int | str, ...]) -> str:
    """pydantic's error location as a dotted path: ('alerts', 0, 'labels') -> 'alerts.0.labels'."""
    return ".".join(str(part) for part in loc) or "(body)"


async def read_raw(request: web.Request) -> bytes:
    """The body, read within API_BODY_TIMEOUT_S of the handler asking for it."""
    timeout = request.app[SETTINGS_KEY].api_body_timeout_s
    try:
        async with asyncio.timeout(timeout):
            return await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise ApiError(413, too_large_message()) from None
    except TimeoutError:
        raise ApiError(
            408, f"The request body did not arrive within {timeout:g} s; send it at once.",
            close=True,
        ) from None
    except RequestPayloadError as exc:
        detail = " ".join(str(exc).split())
        raise ApiError(400, f"The request body is cut short or badly framed ({detail}).") from None


async def read_json(request: web.Request) -> Any:
    return loads(await read_raw(request))


def loads(raw: bytes) -> Any:
    """The JSON in `raw`, within JSON_LIMITS (400 otherwise; 422 when empty)."""
    if not raw.strip():
        raise ApiError(422, "The request body is empty: send a JSON object.", "(body)")
    try:
        data = json.loads(
            raw, parse_int=_int, parse_float=_float, parse_constant=_no_constant
        )
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ApiError(400, f"The request body is not valid JSON ({exc}).") from None
    except RecursionError:
        raise _too_deep() from None
    _check_tree(data)
    return data


def _too_deep() -> ApiError:
    return ApiError(400, f"The request body is nested over {MAX_JSON_DEPTH} deep; flatten it.")


def _number(text: str) -> None:
    if len(text) > MAX_NUMBER_CHARS:
        raise ApiError(
            400, f"The request body has a number over {MAX_NUMBER_CHARS} characters long."
        )


def _int(text: str) -> int:
    _number(text)
    return int(text)


def _float(text: str) -> float:
    _number(text)
    value = float(text)
    if not math.isfinite(value):  # 1e400 reads as inf, which JSON has no way to say
        raise ApiError(400, f"The request body has a number out of range ({text}).")
    return value


def _no_constant(text: str) -> Any:
    raise ApiError(400, f"The request body is not valid JSON ({text} is not a JSON number).")


def _check_tree(data: Any) -> None:
    """Depth and strings of parsed JSON, without recursion (the parser allows ~1000 levels)."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            if _SURROGATE.search(value):
                raise ApiError(
                    400, "The request body has a lone UTF-16 surrogate; send valid Unicode."
                )
            continue
        if not isinstance(value, dict | list):
            continue
        if depth > MAX_JSON_DEPTH:
            raise _too_deep()
        items = [*value.keys(), *value.values()] if isinstance(value, dict) else value
        stack.extend((item, depth + 1) for item in items)


def too_large_message() -> str:
    return f"The request body is over {MAX_BODY_BYTES // 1024} KiB; send less."


def validate(model: type[M], data: Any) -> M:
    """Validate `data` into `model`; the first fault becomes a 422 naming its field."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        message = first["msg"].removeprefix("Value error, ")
        path = field_path(first["loc"])
        raise ApiError(422, f"{path}: {message}", path) from None


async def parse_body(request: web.Request, model: type[M]) -> M:
    """Read the JSON body and validate it into `model` (400 bad JSON, 413 too big, 422 invalid)."""
    return validate(model, await read_json(request))


def model_schemas(*models: type[BaseModel]) -> dict[str, Any]:
    """OpenAPI component schemas for pydantic models (nested models become their own entries)."""
    out: dict[str, Any] = {}
    for model in models:
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        out.update(schema.pop("$defs", {}))
        out[model.__name__] = schema
    return out


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def json_content(schema: dict[str, Any], example: Any = None) -> dict[str, Any]:
    media: dict[str, Any] = {"schema": schema}
    if example is not None:
        media["example"] = example
    return {"application/json": media}


# The errors of an operation that reads a JSON body (400 and the rest are in COMMON_ERRORS).
BODY_ERRORS = (408, 413, 422)
# Errors any operation can answer: set on every one by server.openapi_document.
COMMON_ERRORS = (400, 414, 431, 503)

_ERROR_WORDS = {
    400: "The request is not valid HTTP, or its body is not valid JSON within the limits: "
    + JSON_LIMITS,
    401: "No bearer token",
    403: "Wrong bearer token",
    404: "Not found",
    408: "The body did not arrive in time (API_BODY_TIMEOUT_S); the connection is closed",
    409: "Refused by the incident's state (already acknowledged, resolved, …)",
    413: "Body too large",
    414: f"The URL is over {MAX_URL_BYTES // 1024} KiB",
    422: "A field is missing or invalid; `field` names it",
    431: f"A header is over {MAX_HEADER_BYTES} bytes, or there are over {MAX_HEADERS} headers",
    502: "Slack answered with an error",
    503: "Beacon can't reach its database, or has API_MAX_CONNECTIONS connections open (then "
    "with Retry-After)",
}
_ERROR_HEADERS: dict[int, dict[str, Any]] = {
    401: {"WWW-Authenticate": {"schema": {"type": "string"}, "required": True}},
    503: {"Retry-After": {"schema": {"type": "string"}}},
}


def error_responses(*statuses: int) -> dict[str, Any]:
    """OpenAPI response objects for the given error statuses, all with the Error schema."""
    out: dict[str, Any] = {}
    for status in statuses:
        response: dict[str, Any] = {
            "description": _ERROR_WORDS.get(status, "Error"),
            "content": json_content(ref("Error")),
        }
        if status in _ERROR_HEADERS:
            response["headers"] = _ERROR_HEADERS[status]
        out[str(status)] = response
    return out


def links(value: str, *operation_ids: str, name: str = "id") -> dict[str, Any]:
    """OpenAPI links from a response to operations taking its `value` as path parameter `name`."""
    return {op: {"operationId": op, "parameters": {name: value}} for op in operation_ids}


def path_id_parameter(pattern: str, description: str, example: str) -> dict[str, Any]:
    return {
        "name": "id",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "pattern": pattern},
        "description": description,
        "example": example,
    }
