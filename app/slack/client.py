"""The Web API clients Beacon uses, with Slack-fault retries on the injectable clock."""

from __future__ import annotations

import random

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.http_retry.handler import RetryState
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.web.async_client import AsyncWebClient

from app.clock import Clock, SystemClock
from app.ops.metrics import InstrumentedWebClient, RateLimitObserver


class RateLimitRetry(AsyncRetryHandler):
    """Waits out Slack's Retry-After on Beacon's clock, so tests can move time instead."""

    def __init__(self, clock: Clock, max_retry_count: int = 3) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.clock = clock

    async def _can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        return response is not None and response.status_code == 429

    async def prepare_for_next_attempt_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        state.next_attempt_requested = True
        wait = 1.0
        for name, values in (response.headers if response else {}).items():
            if name.lower() == "retry-after" and values:
                wait = float(values[0])
        # jitter spreads the retries of several instances
        await self.clock.sleep(wait + random.random() * 0.5)
        state.increment_current_attempt()


# The workspace's token no longer works (the app was removed, the token revoked): nothing in
# that workspace can be done until Beacon is installed there again.
TOKEN_REFUSED = frozenset({"invalid_auth", "token_revoked", "account_inactive", "not_authed"})


class TokenRefused(Exception):
    """Slack refuses the workspace's token: the notifier keeps the event pending (retried in
    order, never given up) while other workspaces, with their own notifiers, go on."""

    def __init__(self, code: str, team: str) -> None:
        self.code = code
        super().__init__(
            f"Slack refuses workspace {team or '(this one)'}'s token ({code}): its "
            "notifications wait, pending, until Beacon is installed there again "
            "(python -m app doctor)"
        )


def token_refused(exc: BaseException, team: str) -> TokenRefused | None:
    """The TokenRefused for a Web API error that means the token no longer works, else None."""
    if isinstance(exc, SlackApiError) and exc.response.get("error") in TOKEN_REFUSED:
        return TokenRefused(str(exc.response.get("error")), team)
    return None


def make_client(
    token: str,
    base_url: str,
    *,
    clock: Clock | None = None,
    max_retries: int = 3,
    rate_limit_retries: bool = True,
    session: aiohttp.ClientSession | None = None,
    team_id: str | None = None,
) -> AsyncWebClient:
    """5xx and dropped connections back off and retry; 429s wait Retry-After when asked to.

    Listeners get a client without 429 waits: a click must be answered within 3 s, so it is
    better to fail fast and say so than to sleep past Slack's deadline.
    """
    handlers: list[AsyncRetryHandler] = [
        AsyncConnectionErrorRetryHandler(max_retry_count=max_retries),
        AsyncServerErrorRetryHandler(max_retry_count=max_retries),
    ]
    if rate_limit_retries:
        handlers.append(RateLimitRetry(clock or SystemClock(), max_retry_count=max_retries))
    # Counted, timed and logged per call; the observer sees (and counts) every 429 first.
    handlers.insert(0, RateLimitObserver())
    # team_id: an org-wide install's token serves every workspace of the org; each call says
    # which (Slack requires it for some methods).
    return InstrumentedWebClient(
        token=token, base_url=base_url, timeout=15, retry_handlers=handlers, session=session,
        team_id=team_id,
    )
