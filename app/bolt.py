"""Builds the Bolt AsyncApp around a Beacon and registers every listener."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.listener.async_listener_error_handler import AsyncListenerErrorHandler
from slack_bolt.logger import get_bolt_app_logger
from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.middleware.authorization.async_single_team_authorization import (
    AsyncSingleTeamAuthorization,
)
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from app.cells import Cells
from app.container import Beacon
from app.ops.metrics import instrumented, observe_envelope
from listeners import register_listeners
from listeners.context import WORKSPACES


class BeaconApp(AsyncApp):
    """AsyncApp that counts, times and logs every envelope around its whole dispatch, and hands
    every envelope of a team the same counted Web API client."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._team_clients: dict[tuple[str | None, str | None], AsyncWebClient] = {}
        self._context_logger = get_bolt_app_logger(self.name, base_logger=self._base_logger)

    def _init_context(self, req: AsyncBoltRequest) -> None:
        # Bolt builds a new AsyncWebClient per envelope (slack_bolt >= 1.15) so a listener may
        # change its token without touching other requests; Beacon's never do, so one counted
        # client per team serves them all (its constructor was ~5% of `/incident help`'s CPU).
        # Otherwise it sets what Bolt's own does (tests/test_bolt_app.py compares them).
        # A workflow step's envelope carries its own short-lived token, which Bolt puts on the
        # context's client: that envelope gets a client of its own, as in Bolt.
        if req.context.function_bot_access_token is not None:
            super()._init_context(req)
            req.context["client"] = instrumented(req.context.client, team_id=req.context.team_id)
            return
        team_id = req.context.team_id
        key = (req.context.enterprise_id, team_id)
        client = self._team_clients.get(key)
        if client is None:
            client = instrumented(self._async_client, team_id=team_id)
            self._team_clients[key] = client
        req.context["logger"] = self._context_logger  # Bolt's, made once
        req.context["token"] = self._token
        req.context["client"] = client
        req.context["listener_runner"] = self.listener_runner

    def error(self, func: ErrorPath) -> ErrorPath:
        # Bolt's own: middleware errors, and anything else it reports; listener errors (every
        # refused click) take the direct handler below, with the same function.
        super().error(func)
        self._async_listener_runner.listener_error_handler = _DirectErrorHandler(func)
        return func

    async def async_dispatch(self, req: AsyncBoltRequest) -> BoltResponse:
        # Not in the global middleware: Bolt's async next() only marks the chain to go on, so
        # a middleware's timer stopped before the listener had even started. Here it runs to
        # the response, which is the ack (process_before_response).
        with observe_envelope(req.body):
            return await super().async_dispatch(req)


ErrorPath = Callable[..., Awaitable[BoltResponse | None]]


class _DirectErrorHandler(AsyncListenerErrorHandler):
    """Calls Beacon's one error path (listeners/errors.py) with its five arguments. Bolt's
    custom handler builds every listener argument first (say, respond, each payload view, ...),
    about a sixth of the CPU of a refused click ("already acknowledged")."""

    def __init__(self, func: ErrorPath) -> None:
        self.func = func

    async def handle(
        self, error: Exception, request: AsyncBoltRequest, response: BoltResponse | None
    ) -> None:
        returned = await self.func(
            error=error, body=request.body, client=request.context.client,
            response=response, context=request.context,
        )
        if isinstance(returned, BoltResponse) and response is not None:
            response.status, response.headers = returned.status, returned.headers
            response.body = returned.body


def build_app(
    beacon: Beacon, *, signing_secret: str | None = None, auth_test: dict[str, Any] | None = None
) -> AsyncApp:
    app = BeaconApp(
        client=beacon.listener_client,
        signing_secret=signing_secret or None,
        # Socket Mode has no signatures; HTTP mode verifies them.
        request_verification_enabled=bool(signing_secret),
        logger=logging.getLogger("beacon.bolt"),
        # Bolt's default runner can drop an ack when the listener raises within ~10 ms of
        # calling ack(); running the listener to the end before answering keeps the ack and
        # lets the error handler shape it. Listeners stay fast: domain calls are one Lua
        # script, and Slack announcements happen in the notifier, not here.
        process_before_response=True,
    )
    if auth_test is not None:
        _reuse_auth_test(app, auth_test)
    register_listeners(app, beacon)
    return app


def build_multi_app(cells: Cells, *, client: AsyncWebClient, install_url: str) -> AsyncApp:
    """Multi-workspace mode: Bolt authorizes each envelope from its workspace's cell, which
    the listeners then find in the context as in single-workspace mode."""

    # A plain function: Bolt passes the arguments it finds by name (a bound method's `self`
    # confuses it).
    async def authorize(
        context: Any, enterprise_id: str | None, team_id: str | None, user_id: str | None
    ) -> AuthorizeResult | None:
        return await cells.authorize(
            context=context, enterprise_id=enterprise_id, team_id=team_id, user_id=user_id
        )

    app = BeaconApp(
        client=client,  # no token: each envelope gets its workspace's
        authorize=authorize,  # None refuses the envelope
        request_verification_enabled=False,  # Socket Mode
        logger=logging.getLogger("beacon.bolt"),
        process_before_response=True,
        user_facing_authorize_error_message=(
            "Beacon is not installed in this workspace (any more): an admin can add it at "
            f"{install_url}"
        ),
    )

    app.use(_Workspaces(cells))
    register_listeners(app, None)
    return app


class _Workspaces(AsyncMiddleware):
    """Hands the registry to the listeners that add or remove workspaces (a class: a function
    middleware makes Bolt build every listener argument per envelope)."""

    def __init__(self, cells: Cells) -> None:
        self.cells = cells

    async def async_process(
        self, *, req: AsyncBoltRequest, resp: BoltResponse,
        next: Callable[[], Awaitable[BoltResponse]],
    ) -> BoltResponse | None:
        req.context[WORKSPACES] = self.cells
        return await next()


def _reuse_auth_test(app: AsyncApp, auth_test: dict[str, Any]) -> None:
    """Hand Bolt the auth.test answer start-up already has.

    Bolt caches auth.test, but every envelope arriving before its first call returns makes
    its own call: a burst right after connecting would send dozens.
    """
    for middleware in app._async_middleware_list:
        if isinstance(middleware, AsyncSingleTeamAuthorization):
            middleware.auth_test_result = AsyncSlackResponse(
                client=app.client,
                http_verb="POST",
                api_url="auth.test",
                req_args={},
                data=auth_test,
                headers={},
                status_code=200,
            )
