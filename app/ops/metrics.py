"""Prometheus metrics of one Beacon runtime, and the one-line hooks other modules call.

Each `Runtime` owns a `Metrics` with its own `CollectorRegistry`, so several runtimes in one
process (the multi-instance tests) never share or clash on a counter. Code that runs inside a
runtime reaches its metrics without wiring: `Runtime.start` binds them to a context variable
before it creates its tasks (workers, Socket Mode processor, HTTP server), and every task
inherits that binding. So a hook is one line anywhere in that code:

    from app.ops.metrics import METRICS
    METRICS.transitions.labels(type=event.type.value).inc()

Outside a runtime (unit tests that drive a Notifier directly) `METRICS` is a process-wide
fallback that nothing exports.

Values that already live on objects (Notifier.applied, Scheduler.fired) or in Redis (the
outbox consumer group) are read at scrape time instead of being counted twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

if TYPE_CHECKING:
    from app.store import Stores


class _Poster(Protocol):
    refused: str


class _Applied(Protocol):
    applied: int

    @property
    def poster(self) -> _Poster: ...


class _Fired(Protocol):
    fired: int


class Beacon(Protocol):
    """What the metrics read of a running Beacon (app.container.Beacon)."""

    @property
    def stores(self) -> Stores: ...
    @property
    def notifier(self) -> _Applied: ...
    @property
    def scheduler(self) -> _Fired: ...

log = logging.getLogger("beacon.metrics")
envelope_log = logging.getLogger("beacon.envelope")
api_log = logging.getLogger("beacon.slack.api")

# Slack wants the ack within 3 s; the buckets are dense below that.
ACK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 2.5, 3.0, 5.0, 10.0)
API_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
NOTIFIER_GROUP = "notifier"


class Metrics:
    """Every metric of one runtime, registered on its own registry."""

    def __init__(self, *, workspace_label: bool = False) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.envelopes = Counter(
            "beacon_envelopes",
            "Slack envelopes handled, by envelope type and payload type",
            ["envelope_type", "payload_type"],
            registry=r,
        )
        self.ack_seconds = Histogram(
            "beacon_ack_seconds",
            "Time from an envelope reaching Bolt to its listener finishing (= the ack)",
            ["envelope_type"],
            buckets=ACK_BUCKETS,
            registry=r,
        )
        self.slack_api_calls = Counter(
            "beacon_slack_api_calls",
            "Slack Web API calls by method and final error code (empty when ok)",
            ["method", "error"],
            registry=r,
        )
        self.slack_api_seconds = Histogram(
            "beacon_slack_api_seconds",
            "Slack Web API call time, retries included",
            ["method"],
            buckets=API_BUCKETS,
            registry=r,
        )
        self.slack_api_ratelimited = Counter(
            "beacon_slack_api_ratelimited",
            "HTTP 429 answers from the Slack Web API (each attempt, retried or not)",
            ["method"],
            registry=r,
        )
        # Hooks for the notifier and the scheduler (see the module docstring).
        self.transitions = Counter(
            "beacon_transitions",
            "Incident transitions by event type, counted once as the notifier applies them",
            ["type"],
            registry=r,
        )
        self.notifier_failures = Counter(
            "beacon_notifier_failures",
            "Events Slack refused for good (posted nowhere), by Slack error code",
            ["error"],
            registry=r,
        )
        self.sla_breaches = Counter(
            "beacon_sla_breaches",
            "Incidents that missed an SLA (counted once, by the instance that announced it)",
            ["kind", "severity"],
            registry=r,
        )
        self.pages = Counter(
            "beacon_pages",
            "People paged by escalation (DMs sent), by level",
            ["level"],
            registry=r,
        )
        self.worker_errors = Counter(
            "beacon_worker_errors",
            "Unexpected failures of a worker loop pass, by worker",
            ["worker"],
            registry=r,
        )
        # The outbox's gauges: set at scrape time by refresh() and by each pass of
        # app/notifier/retention.py (StreamRetention). Per workspace in multi-workspace mode
        # (label `workspace`): each workspace has its own outbox.
        self.workspace_label = workspace_label
        ws: list[str] = ["workspace"] if workspace_label else []
        self.outbox_lag = Gauge(
            "beacon_outbox_lag",
            "Events in the stream the notifier group has not read yet (XINFO GROUPS lag)",
            ws,
            registry=r,
        )
        self.outbox_pending = Gauge(
            "beacon_outbox_pending",
            "Events read by a notifier but not acknowledged yet (XINFO GROUPS pending)",
            ws,
            registry=r,
        )
        self.outbox_stream_length = Gauge(
            "beacon_outbox_stream_length",
            "Entries in the outbox stream (acknowledged ones are trimmed but the newest few)",
            ws,
            registry=r,
        )
        self.outbox_oldest_pending_seconds = Gauge(
            "beacon_outbox_oldest_pending_seconds",
            "Age of the oldest event read by a notifier but not acknowledged (0 when none)",
            ws,
            registry=r,
        )
        self.outbox_oldest_undelivered_seconds = Gauge(
            "beacon_outbox_oldest_undelivered_seconds",
            "Age of the oldest event no notifier has read yet (0 when none)",
            ws,
            registry=r,
        )
        self.outbox_trimmed = Counter(
            "beacon_outbox_trimmed",
            "Outbox entries trimmed after every consumer group acknowledged them",
            ws,
            registry=r,
        )
        self._outbox = OutboxGauges(
            self.outbox_lag, self.outbox_pending, self.outbox_stream_length,
            self.outbox_oldest_pending_seconds, self.outbox_oldest_undelivered_seconds,
            self.outbox_trimmed,
        )
        self.workspace_token_refused = Gauge(
            "beacon_workspace_token_refused",
            "1 while Slack refuses the workspace's token (reinstall Beacon there)",
            ["workspace"],
            registry=r,
        )
        self.redis_up = Gauge("beacon_redis_up", "1 when Redis answered PING", registry=r)
        self.slack_socket_connected = Gauge(
            "beacon_slack_socket_connected",
            "1 when the Socket Mode connection is up (always 0 in HTTP mode)",
            registry=r,
        )
        self._objects = _ObjectCounters()
        r.register(self._objects)
        # Per-envelope metrics by label values, looked up once: labels() validates and takes a
        # lock on every call, and every envelope updates two of them.
        self._envelope_children: dict[tuple[str, str], tuple[Counter, Histogram]] = {}
        # Multi-workspace mode with no workspace yet: how refresh() reaches Redis.
        self.ping: Callable[[], Awaitable[Any]] | None = None

    def envelope_metrics(
        self, envelope_type: str, payload_type: str
    ) -> tuple[Counter, Histogram]:
        """(envelopes counter, ack_seconds histogram) for one envelope and payload type."""
        key = (envelope_type, payload_type)
        found = self._envelope_children.get(key)
        if found is None:
            found = (
                self.envelopes.labels(envelope_type, payload_type),
                self.ack_seconds.labels(envelope_type),
            )
            self._envelope_children[key] = found
        return found

    def watch(self, beacons: Callable[[], Iterable[tuple[str, Beacon]]]) -> None:
        """Export the counters that live on the notifiers and schedulers of `beacons()`:
        (workspace, Beacon) pairs, the workspace "" in single-workspace mode."""
        self._objects.beacons = beacons

    def outbox(self, workspace: str = "") -> OutboxGauges:
        """The outbox gauges of one workspace (of the process when there is no label)."""
        gauges = self._outbox
        if not self.workspace_label:
            return gauges
        return OutboxGauges(*(m.labels(workspace=workspace) for m in gauges.all()))  # type: ignore[arg-type]

    def forget(self, workspace: str) -> None:
        """A workspace no longer served here: its series leave the exposition."""
        per_workspace: list[Gauge | Counter] = [self.workspace_token_refused]
        if self.workspace_label:
            per_workspace += self._outbox.all()
        for metric in per_workspace:
            with contextlib.suppress(KeyError):
                metric.remove(workspace)

    async def refresh(
        self, beacons: Iterable[tuple[str, Beacon]], *, socket_connected: bool
    ) -> None:
        """Set the gauges read from Redis (one XINFO GROUPS per workspace, at once); a Redis
        failure shows as beacon_redis_up 0."""
        self.slack_socket_connected.set(1 if socket_connected else 0)
        pairs = list(beacons)
        try:
            found = await asyncio.gather(*(b.stores.outbox.groups() for _, b in pairs))
            if not pairs:
                await self._ping()
        except Exception:
            self.redis_up.set(0)
            return
        self.redis_up.set(1)
        for (workspace, beacon), groups in zip(pairs, found, strict=True):
            gauges = self.outbox(workspace)
            if workspace:
                refused = beacon.notifier.poster.refused
                self.workspace_token_refused.labels(workspace=workspace).set(1 if refused else 0)
            gauges.lag.set(0)  # no stream or no group yet: nothing waits
            gauges.pending.set(0)
            for group in groups:
                if group.get("name") == NOTIFIER_GROUP:
                    gauges.pending.set(int(group.get("pending") or 0))
                    # lag is nil when Redis cannot tell (entries deleted); report it as unknown.
                    lag = group.get("lag")
                    gauges.lag.set(float("nan") if lag is None else int(lag))

    async def _ping(self) -> None:
        if self.ping is not None:
            await self.ping()

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


@dataclass
class OutboxGauges:
    """One workspace's outbox series (StreamRetention sets them on each pass)."""

    lag: Gauge
    pending: Gauge
    stream_length: Gauge
    oldest_pending_seconds: Gauge
    oldest_undelivered_seconds: Gauge
    trimmed: Counter

    def all(self) -> list[Gauge | Counter]:
        return [self.lag, self.pending, self.stream_length, self.oldest_pending_seconds,
                self.oldest_undelivered_seconds, self.trimmed]


class _ObjectCounters:
    """A collector for the plain int counters on Notifier and Scheduler."""

    def __init__(self) -> None:
        self.beacons: Callable[[], Iterable[tuple[str, Beacon]]] = lambda: ()

    def describe(self) -> list:
        return []

    def collect(self) -> Iterator[CounterMetricFamily]:
        pairs = list(self.beacons())
        labelled = any(workspace for workspace, _ in pairs)
        labels = ["workspace"] if labelled else []
        applied = CounterMetricFamily(
            "beacon_notifier_events_applied",
            "Outbox events this instance's notifier applied",
            labels=labels,
        )
        fired = CounterMetricFamily(
            "beacon_scheduler_timers_fired", "Timers this instance's scheduler fired",
            labels=labels,
        )
        if not pairs:
            pairs = [("", None)]  # type: ignore[list-item]
        for workspace, beacon in pairs:
            key = [workspace] if labelled else []
            applied.add_metric(key, getattr(beacon.notifier, "applied", 0) if beacon else 0)
            fired.add_metric(key, getattr(beacon.scheduler, "fired", 0) if beacon else 0)
        yield applied
        yield fired


# --- which runtime's metrics ---------------------------------------------------------------
_FALLBACK = Metrics()
_CURRENT: contextvars.ContextVar[Metrics] = contextvars.ContextVar("beacon_metrics")


def bind(metrics: Metrics) -> contextvars.Token:
    """Make `metrics` current here and in every task created from here on."""
    return _CURRENT.set(metrics)


def unbind(token: contextvars.Token) -> None:
    _CURRENT.reset(token)


def current() -> Metrics:
    return _CURRENT.get(_FALLBACK)


class _Current:
    """`METRICS.x` is `current().x`: the metrics of the runtime this code runs in."""

    def __getattr__(self, name: str) -> Any:
        return getattr(current(), name)


METRICS: Metrics = _Current()  # type: ignore[assignment]


# --- envelopes -----------------------------------------------------------------------------
@dataclass
class Envelope:
    envelope_type: str
    payload_type: str
    user: str


def describe_envelope(body: dict[str, Any]) -> Envelope:
    """Socket Mode envelope type and payload type of a Bolt request body."""
    if body.get("command"):
        return Envelope("slash_commands", str(body["command"]), str(body.get("user_id") or ""))
    if body.get("type") == "event_callback":
        event = body.get("event") or {}
        user = event.get("user")
        user = user.get("id") if isinstance(user, dict) else user
        return Envelope("events_api", str(event.get("type") or ""), str(user or ""))
    user = body.get("user")
    user = user.get("id") if isinstance(user, dict) else (user or body.get("user_id"))
    return Envelope("interactive", str(body.get("type") or ""), str(user or ""))


@contextmanager
def observe_envelope(body: dict[str, Any]) -> Iterator[Envelope]:
    """Count one envelope, time it to the end of its listener, and log one line for it."""
    envelope = describe_envelope(body)
    started = time.perf_counter()
    try:
        yield envelope
    finally:
        elapsed = time.perf_counter() - started
        count, ack_seconds = current().envelope_metrics(
            envelope.envelope_type, envelope.payload_type
        )
        count.inc()
        ack_seconds.observe(elapsed)
        ms = round(elapsed * 1000, 1)
        envelope_log.info(
            "%s %s from %s acked in %.1f ms",
            envelope.envelope_type,
            envelope.payload_type,
            envelope.user or "-",
            ms,
            extra={
                "envelope_type": envelope.envelope_type,
                "payload_type": envelope.payload_type,
                "user": envelope.user,
                "ack_ms": ms,
            },
        )


# --- Slack Web API -------------------------------------------------------------------------
class InstrumentedWebClient(AsyncWebClient):
    """An AsyncWebClient that counts, times and logs every Web API call."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Built inside a runtime: count into that runtime's metrics from any task.
        self.metrics: Metrics | None = _CURRENT.get(None)

    def _metrics(self) -> Metrics:
        return self.metrics or current()

    async def api_call(self, api_method: str, **kwargs: Any) -> AsyncSlackResponse:
        started = time.perf_counter()
        error = ""
        try:
            return await super().api_call(api_method, **kwargs)
        except SlackApiError as exc:
            error = str((exc.response or {}).get("error") or f"http_{exc.response.status_code}")
            raise
        except Exception as exc:
            error = type(exc).__name__
            raise
        finally:
            elapsed = time.perf_counter() - started
            metrics = self._metrics()
            metrics.slack_api_calls.labels(api_method, error).inc()
            metrics.slack_api_seconds.labels(api_method).observe(elapsed)
            ms = round(elapsed * 1000, 1)
            fields = {"method": api_method, "ms": ms}
            if error:
                api_log.info(
                    "slack %s failed: %s (%.1f ms)",
                    api_method,
                    error,
                    ms,
                    extra={**fields, "error": error},
                )
            else:
                api_log.debug("slack %s ok (%.1f ms)", api_method, ms, extra=fields)


def instrumented(client: AsyncWebClient, *, team_id: str | None = None) -> AsyncWebClient:
    """The same client, counted (for `team_id` when given, as Bolt's per-request clients)."""
    if isinstance(client, InstrumentedWebClient) and team_id is None:
        return client
    return InstrumentedWebClient(
        token=client.token,
        base_url=client.base_url,
        timeout=client.timeout,
        ssl=client.ssl,
        proxy=client.proxy,
        session=client.session,
        trust_env_in_session=client.trust_env_in_session,
        headers=client.headers,
        team_id=team_id or client.default_params.get("team_id"),
        logger=client.logger,
        retry_handlers=client.retry_handlers,
    )


class RateLimitObserver(AsyncRetryHandler):
    """First in the retry chain: sees every HTTP answer, counts 429s, never retries itself."""

    def __init__(self) -> None:
        super().__init__(max_retry_count=1 << 30)
        self.metrics: Metrics | None = _CURRENT.get(None)

    async def _can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if response is not None and response.status_code == 429:
            method = request.url.rstrip("/").rsplit("/", 1)[-1].split("?", 1)[0]
            (self.metrics or current()).slack_api_ratelimited.labels(method).inc()
            headers = response.headers or {}
            retry_after = headers.get("Retry-After") or headers.get("retry-after")
            api_log.info(
                "slack %s rate limited (429), Retry-After %s",
                method,
                retry_after,
                extra={"method": method, "error": "ratelimited"},
            )
        return False
