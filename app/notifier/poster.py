"""The one poster: every Slack write of the delivery engine goes through here.

It paces each write with Slack-shaped token buckets, applies one retry policy (429: wait
Retry-After and try again, as long as it takes; 5xx and dropped connections: back off, then
give up so the event is replayed in order later; anything else: permanent, raised to the
caller to be told to a person), adds the event-id metadata, and before re-posting an event
after a crash looks for the copy Slack may already have.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse
from slack_sdk.webhook.async_client import AsyncWebhookClient

from app.clock import Clock
from app.domain.models import Event
from app.notifier.pacing import Pacer
from app.ops.metrics import METRICS
from app.slack.client import TokenRefused, token_refused
from app.store.errors import StoreUnavailable

log = logging.getLogger("beacon.poster")

METADATA_TYPE = "beacon_event"
# Slack answers that another try may fix (besides HTTP 429 and 5xx).
TRANSIENT = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)


def is_transient(exc: BaseException) -> bool:
    if isinstance(exc, TokenRefused):
        return True
    if isinstance(exc, SlackApiError):
        status = getattr(exc.response, "status_code", 200)
        return status == 429 or status >= 500 or exc.response.get("error") in TRANSIENT
    return isinstance(exc, aiohttp.ClientError | asyncio.TimeoutError | ConnectionError)


class ResponseUrlUnavailable(ConnectionError):
    """A response_url answered 429 or 5xx: Slack is away or busy, worth waiting out."""

    def __init__(self, status: int, body: str, retry_after: str | None = None) -> None:
        super().__init__(f"response_url answered {status} {body}")
        self.status = status
        self.retry_after = retry_after if status == 429 else None


class ResponseUrlRefused(Exception):
    """A response_url refused the answer itself (4xx): another try would not help."""

    def __init__(self, status: int, body: str) -> None:
        super().__init__(f"response_url refused: {status} {body}")
        self.code = body or str(status)


def retry_after(exc: BaseException) -> float | None:
    """Seconds Slack asked to wait (a 429), else None."""
    if isinstance(exc, SlackApiError) and exc.response.status_code == 429:
        return float(exc.response.headers.get("Retry-After", 1) or 1)
    if isinstance(exc, ResponseUrlUnavailable) and exc.status == 429:
        return float(exc.retry_after or 1)
    return None


def retryable(exc: BaseException) -> bool:
    """An outage worth waiting out (Slack or Redis unreachable, rate-limited, failing over)."""
    if isinstance(exc, SlackApiError):
        return is_transient(exc)
    return isinstance(exc, StoreUnavailable) or is_transient(exc)


def error_code(exc: SlackApiError) -> str:
    return str(exc.response.get("error", "") or "unknown_error")


def metadata(event: Event, key: str = "incident_id") -> dict[str, Any]:
    return {
        "event_type": METADATA_TYPE,
        "event_payload": {"event_id": event.event_id, key: event.incident_id},
    }


class Refs(Protocol):
    """Where the messages posted for an incident (or approval, investigation) are recorded."""

    async def message_ref(self, owner: str, role: str, /) -> tuple[str, str] | None: ...


Record = Callable[[str, str], Awaitable[None]]  # (channel, ts) -> recorded


class Poster:
    def __init__(
        self,
        client: AsyncWebClient,
        pacer: Pacer,
        clock: Clock,
        *,
        transient_attempts: int = 4,
        max_backoff_s: float = 10.0,
    ) -> None:
        self.client = client
        self.pacer = pacer
        self.clock = clock
        self.transient_attempts = transient_attempts
        self.max_backoff_s = max_backoff_s
        self.team = ""  # multi-workspace mode: the workspace's team id, for its log lines
        self.refused = ""  # Slack's error while it refuses the token (/healthz reports it)
        self.api = PostedClient(self)

    async def call(self, name: str, /, **kwargs: Any) -> AsyncSlackResponse:
        """One Web API call by its client method name (`chat_postMessage`), paced, retried."""
        channel = kwargs.get("channel") or kwargs.get("channel_id")
        fn = getattr(self.client, name)
        return await self._retried(
            name.replace("_", "."), channel if isinstance(channel, str) else None,
            lambda: fn(**kwargs))

    async def respond(self, url: str, body: dict[str, Any]) -> bool:
        """POST an answer to a response_url with the same pacing and retries; False when
        Slack no longer takes that url (older than 30 minutes, or used 5 times)."""
        webhook = AsyncWebhookClient(url, session=self.client.session, timeout=15)

        async def send() -> bool:
            resp = await webhook.send_dict(body)
            if resp.status_code == 200:
                return True
            if resp.status_code in (404, 410):
                return False
            if resp.status_code == 429 or resp.status_code >= 500:
                raise ResponseUrlUnavailable(
                    resp.status_code, resp.body, resp.headers.get("Retry-After")
                    or resp.headers.get("retry-after"))
            raise ResponseUrlRefused(resp.status_code, resp.body)

        return await self._retried("response_url", None, send)

    async def _retried(
        self, method: str, channel: str | None, once: Callable[[], Awaitable[Any]]
    ) -> Any:
        """The one retry policy (see the module's docstring) around one write."""
        failures = 0
        while True:
            await self.pacer.wait(method, channel)
            try:
                resp = await once()
            except Exception as exc:
                refused = token_refused(exc, self.team)
                if refused is not None:
                    self.refused = refused.code
                    raise refused from exc
                if not is_transient(exc):
                    raise
                wait = retry_after(exc)
                if wait is not None:
                    # Slack said how long: wait it out, as often as it takes (jitter spreads
                    # several instances); the lane holds its order meanwhile.
                    await self.clock.sleep(wait + random.random() * 0.25)
                    continue
                failures += 1
                if failures >= self.transient_attempts:
                    raise
                backoff = min(self.max_backoff_s, 0.5 * 2 ** (failures - 1))
                log.warning("%s failed (%s); retry %d in %.1fs", method, exc, failures, backoff)
                await self.clock.sleep(backoff)
            else:
                self.refused = ""  # the token works (again)
                return resp

    async def find(self, event_id: str, channel: str, thread_ts: str | None) -> str | None:
        """The ts of a message already posted for this event (crash recovery only: Slack's
        history methods are rate-limited hard, so this is never on the normal path)."""
        if thread_ts:
            resp = await self.call(
                "conversations_replies",
                channel=channel, ts=thread_ts, include_all_metadata=True, limit=200,
            )
        else:
            resp = await self.call(
                "conversations_history", channel=channel, include_all_metadata=True, limit=100
            )
        messages: list[dict[str, Any]] = resp.get("messages") or []
        for message in messages:
            meta = message.get("metadata") or {}
            if (meta.get("event_payload") or {}).get("event_id") == event_id:
                return str(message["ts"])
        return None

    async def post(
        self,
        *,
        known: tuple[str, str] | None,
        record: Record,
        event: Event | None,
        channel: str,
        thread_ts: str | None = None,
        lookup: bool = False,
        metadata_key: str = "incident_id",
        **message: Any,
    ) -> tuple[str, str]:
        """Post once: `known` is where an earlier attempt is recorded; after a crash
        (`lookup`) Slack is searched for the event's copy first; the new place is recorded."""
        if known is not None:
            return known
        if lookup and event is not None:
            found = await self.find(event.event_id, channel, thread_ts)
            if found:
                await record(channel, found)
                return channel, found
        args: dict[str, Any] = {"unfurl_links": False, **message}
        if event is not None:
            args["metadata"] = metadata(event, metadata_key)
        if thread_ts:
            args["thread_ts"] = thread_ts
        resp = await self.call("chat_postMessage", channel=channel, **args)
        place = (str(resp["channel"]), str(resp["ts"]))
        await record(*place)
        return place


class PostedClient:
    """`client.chat_postMessage(...)` for handlers, every call going through the poster."""

    def __init__(self, poster: Poster) -> None:
        self._poster = poster

    def __getattr__(self, name: str) -> Callable[..., Awaitable[AsyncSlackResponse]]:
        if name.startswith("_"):
            raise AttributeError(name)

        async def call(**kwargs: Any) -> AsyncSlackResponse:
            return await self._poster.call(name, **kwargs)

        return call


def count_refusal(code: str) -> None:
    METRICS.notifier_failures.labels(error=code).inc()
