"""The intake API's connections: how many may be open, how long a request's head may take, and
JSON answers to requests aiohttp cannot parse (instead of its plain text and an ERROR traceback).

A head's deadline is aiohttp's keep-alive timer, which runs from the moment a connection opens
(and again after each response) and closes a connection still waiting for a complete head; the
body's deadline is in http.read_raw; what a handler never read is drained for at most as long.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiohttp import web
from aiohttp.http_exceptions import BadHttpMessage, LineTooLong
from aiohttp.web_protocol import RequestHandler

from app.intake.http import MAX_HEADER_BYTES, MAX_HEADERS, MAX_URL_BYTES, error_body

if TYPE_CHECKING:
    from aiohttp.web_request import BaseRequest

    from app.settings import Settings

log = logging.getLogger("beacon.intake")



@dataclass(frozen=True)
class ApiLimits:
    header_timeout_s: float
    body_timeout_s: float
    max_connections: int

    @classmethod
    def of(cls, settings: Settings) -> ApiLimits:
        return cls(
            settings.api_header_timeout_s,
            settings.api_body_timeout_s,
            settings.api_max_connections,
        )


def _raw_response(status: int, reason: str, message: str, headers: dict[str, str]) -> bytes:
    body = json.dumps(error_body(status, message)).encode()
    head = [f"HTTP/1.1 {status} {reason}", "Content-Type: application/json; charset=utf-8",
            f"Content-Length: {len(body)}", "Connection: close"]
    head += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


def unparsable(exc: BaseException | None) -> tuple[int, str]:
    """(status, message) for a request aiohttp's parser refused."""
    if isinstance(exc, LineTooLong):
        if exc.args[1] == MAX_URL_BYTES:
            return 414, f"The URL is over {MAX_URL_BYTES // 1024} KiB; send a shorter one."
        return 431, f"A request header is over {MAX_HEADER_BYTES} bytes; send smaller headers."
    if isinstance(exc, BadHttpMessage) and "Too many headers" in exc.message:
        return 431, f"The request has over {MAX_HEADERS} headers; send fewer."
    detail = exc.message if isinstance(exc, BadHttpMessage) else str(exc)
    return 400, f"The request is not valid HTTP ({detail}); check the client."


class _Protocol(RequestHandler):
    """One connection: refused at once when the server is full; errors answered as JSON."""

    def __init__(self, server: LimitedServer, **kwargs: Any) -> None:
        super().__init__(server, **kwargs)
        self._server = server

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        if not self._server.admit():
            assert isinstance(transport, asyncio.Transport)
            transport.write(self._server.busy)
            transport.close()
            self.force_close()
            return
        super().connection_made(transport)

    def handle_error(
        self,
        request: BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        if status >= 500:  # Beacon's own fault: the traceback is wanted
            self.log_exception("intake API: %s %s failed", request.method, request.path,
                               exc_info=exc)
            text = "Beacon hit a fault of its own; its log has the details."
        else:  # the client's: one line, no traceback
            status, text = unparsable(exc)
            log.info("intake API: refused a request from %s: %s", request.remote, text)
        if request.writer.output_size > 0:
            raise ConnectionError("the response was already started")
        resp = web.json_response(error_body(status, text), status=status)
        resp.force_close()
        return resp

    def drop_after_response(self) -> None:
        """Close once the response is out, without draining the rest of the body."""
        self._lingering_time = 0.0


class LimitedServer(web.Server):
    """aiohttp's server for the API app, its connections made by _Protocol and counted."""

    def __init__(self, made: web.Server, limits: ApiLimits) -> None:
        # The app's own server, re-made: aiohttp has no other way to choose the protocol class.
        super().__init__(
            made.request_handler,
            request_factory=made.request_factory,
            handler_cancellation=made.handler_cancellation,
            loop=asyncio.get_running_loop(),
            **made._kwargs,
        )
        self.limits = limits
        self.refused = 0
        self.busy = _raw_response(
            503,
            "Service Unavailable",
            f"Beacon's intake API has {limits.max_connections} connections open "
            "(API_MAX_CONNECTIONS); retry shortly.",
            {"Retry-After": "1"},
        )

    def admit(self) -> bool:
        """Whether a new connection may open; refusals are logged once per spell of being full."""
        if len(self.connections) < self.limits.max_connections:
            if self.refused:
                log.warning("intake API: taking connections again (%d refused)", self.refused)
                self.refused = 0
            return True
        if not self.refused:
            log.warning(
                "intake API: %d connections open (API_MAX_CONNECTIONS); refusing more with 503",
                self.limits.max_connections,
            )
        self.refused += 1
        return False

    def __call__(self) -> RequestHandler:
        return _Protocol(self, loop=self._loop, **self._kwargs)


class ApiRunner(web.AppRunner):
    """AppRunner for the intake API: the head deadline, the URL and header limits, and the
    connection cap."""

    def __init__(self, app: web.Application, limits: ApiLimits) -> None:
        super().__init__(
            app,
            keepalive_timeout=limits.header_timeout_s,
            lingering_time=limits.body_timeout_s,
            max_line_size=MAX_URL_BYTES,
            max_field_size=MAX_HEADER_BYTES,
            max_headers=MAX_HEADERS,
        )
        self.limits = limits

    async def _make_server(self) -> web.Server:
        return LimitedServer(await super()._make_server(), self.limits)


def drop_after_response(request: web.Request) -> None:
    """Close the request's connection once its response is out (a body that never came)."""
    protocol = request.protocol
    if isinstance(protocol, _Protocol):
        protocol.drop_after_response()
