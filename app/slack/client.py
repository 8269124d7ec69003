"""The Web API client every Beacon component shares, with Slack-fault retries."""

from __future__ import annotations

from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from app.metrics import InstrumentedWebClient, RateLimitObserver


def make_client(token: str, base_url: str, *, max_retries: int = 3) -> AsyncWebClient:
    """429s wait Retry-After; 5xx and dropped connections back off and retry."""
    # Counted, timed and logged per call; the observer sees (and counts) every 429 first.
    return InstrumentedWebClient(
        token=token,
        base_url=base_url,
        timeout=15,
        retry_handlers=[
            RateLimitObserver(),
            AsyncConnectionErrorRetryHandler(max_retry_count=max_retries),
            AsyncRateLimitErrorRetryHandler(max_retry_count=max_retries),
            AsyncServerErrorRetryHandler(max_retry_count=max_retries),
        ],
    )
