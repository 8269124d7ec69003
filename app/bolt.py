"""Builds the Bolt AsyncApp around a Beacon and registers every listener."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.logger import get_bolt_app_logger
from slack_bolt.middleware.authorization.async_single_team_authorization import (
    AsyncSingleTeamAuthorization,
)
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from app.container import Beacon
from app.ops.metrics import instrumented, observe_envelope
from listeners import register_listeners


class BeaconApp(AsyncApp):
    """AsyncApp that counts, times and logs every envelope around its whole dispatch, and hands
    every envelope of a team the same counted Web API client."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._team_clients: dict[str | None, AsyncWebClient] = {}
        self._context_logger = get_bolt_app_logger(self.name, base_logger=self._base_logger)

    def _init_context(self, req: AsyncBoltRequest) -> None:
        # Bolt builds a new AsyncWebClient per envelope (slack_bolt >= 1.15) so a listener may
        # change its token without touching other requests; Beacon's never do, so one counted
        # client per team serves them all (its constructor was ~5% of `/incident help`'s CPU).
        # Otherwise it sets what Bolt's own does (tests/test_bolt_app.py compares them).
        team_id = req.context.team_id
        client = self._team_clients.get(team_id)
        if client is None:
            client = instrumented(self._async_client, team_id=team_id)
            self._team_clients[team_id] = client
        req.context["logger"] = self._context_logger  # Bolt's, made once
        req.context["token"] = self._token
        req.context["client"] = client
        req.context["listener_runner"] = self.listener_runner

    async def async_dispatch(self, req: AsyncBoltRequest) -> BoltResponse:
        # Not in the global middleware: Bolt's async next() only marks the chain to go on, so
        # a middleware's timer stopped before the listener had even started. Here it runs to
        # the response, which is the ack (process_before_response).
        with observe_envelope(req.body):
            return await super().async_dispatch(req)


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
