"""The operator's HTTP port: /healthz for the orchestrator, /metrics for Prometheus.

Served by aiohttp in the Beacon process itself, on METRICS_HOST:METRICS_PORT (off when the
port is 0). It reads the runtime; it never changes it.

/healthz answers 503 ("failing") only when this process cannot work: Redis or the Socket Mode
connection is down. Delivery to Slack falling behind (the outbox backlog, see
app/notifier/retention.py) makes it "degraded" with the reasons, still 200: the process is
alive, and restarting it would not help a Slack outage (events wait in Redis meanwhile).

In multi-workspace mode the body has a line per served workspace (`workspaces`: its delivery,
outbox and whether Slack refuses its token). A workspace falling behind, or whose token Slack
refuses (the app was removed there without Beacon being told), makes the process "degraded",
never 503: the other workspaces are served, and a restart would not bring that token back.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any, Protocol

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from app.notifier.retention import DEGRADED, OK, DeliveryThresholds, assess
from app.settings import Mode, StartupError

if TYPE_CHECKING:
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

    from app.cells import Cell, Cells
    from app.container import Beacon
    from app.ops.metrics import Metrics
    from app.settings import Settings
    from app.store.installations import InstallationStore


class Runtime(Protocol):
    """What the ops server reads of the running process (app.main.Runtime)."""

    settings: Settings
    beacon: Beacon | None
    handler: AsyncSocketModeHandler | None
    metrics: Metrics
    cells: Cells | None  # multi-workspace mode: a Beacon per workspace, no `beacon`
    installations: InstallationStore | None

log = logging.getLogger("beacon.ops")

PING_TIMEOUT_S = 2.0


class OpsServer:
    def __init__(self, runtime: Runtime, host: str, port: int) -> None:
        self.runtime = runtime
        self.host = host
        self.port = port
        self._runner: web.AppRunner | None = None
        self._delivery_state = OK  # logged when it changes, not on every probe

    @classmethod
    async def start_for(cls, runtime: Runtime) -> OpsServer | None:
        """Start the server when METRICS_PORT is set; None when it is off."""
        s = runtime.settings
        if not s.metrics_port:
            return None
        server = cls(runtime, s.metrics_host, s.metrics_port)
        await server.start()
        return server

    def beacons(self) -> list[tuple[str, Beacon]]:
        """(workspace, Beacon) for each Beacon served: ("", the one) in single-workspace mode."""
        cells = self.runtime.cells
        if cells is not None:
            return [(cell.key, cell.beacon) for cell in cells.all()]
        return [("", self.runtime.beacon)] if self.runtime.beacon is not None else []

    async def start(self) -> None:
        runtime = self.runtime
        assert runtime.beacon is not None or runtime.cells is not None
        runtime.metrics.watch(self.beacons)
        if runtime.installations is not None:  # no workspace yet: refresh() pings through it
            runtime.metrics.ping = runtime.installations.ping
        app = web.Application()
        app.router.add_get("/healthz", self.healthz)
        app.router.add_get("/metrics", self.metrics)
        self._runner = web.AppRunner(app, access_log=None)  # scrapes every 15 s: no access log
        await self._runner.setup()
        try:
            await web.TCPSite(self._runner, self.host, self.port).start()
        except OSError as exc:
            await self._runner.cleanup()
            self._runner = None
            raise StartupError(
                f"METRICS_PORT {self.port} on {self.host} is not available ({exc.strerror}): "
                "pick a free port, or set METRICS_PORT=0 to turn /healthz and /metrics off"
            ) from None
        log.info("health and metrics on http://%s:%s/healthz and /metrics", self.host, self.port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # --- checks ----------------------------------------------------------------------------
    async def _redis(self) -> str:
        beacon, installations = self.runtime.beacon, self.runtime.installations
        if beacon is None and installations is None:
            return "not started"
        try:
            async with asyncio.timeout(PING_TIMEOUT_S):
                await (beacon.stores.ping() if beacon else installations.ping())  # type: ignore[union-attr]
        except TimeoutError:
            return f"error: no answer to PING within {PING_TIMEOUT_S:g} s"
        except Exception as exc:
            return f"error: {type(exc).__name__}: {exc}"
        return "ok"

    async def _socket(self) -> str:
        if self.runtime.settings.beacon_mode is not Mode.SOCKET:
            return "n/a"
        handler = self.runtime.handler
        if handler is None:
            return "not started"
        return "connected" if await handler.client.is_connected() else "disconnected"

    async def _delivery(self, beacon: Beacon) -> tuple[str, list[str], dict[str, Any] | None]:
        """Whether the outbox is being delivered to Slack: the rule StreamRetention uses."""
        thresholds = DeliveryThresholds.from_settings(self.runtime.settings)
        try:
            async with asyncio.timeout(PING_TIMEOUT_S):
                backlog = await beacon.stores.outbox.backlog(beacon.clock.now())
        except TimeoutError:
            return f"unknown: no outbox answer within {PING_TIMEOUT_S:g} s", [], None
        except Exception as exc:
            return f"unknown: {type(exc).__name__}: {exc}", [], None
        state, reasons = assess(backlog, thresholds)
        outbox = {
            "length": backlog.length,
            "lag": backlog.lag,
            "pending": backlog.pending,
            "oldest_undelivered_s": _seconds(backlog.oldest_undelivered_age_s),
            "oldest_pending_s": _seconds(backlog.oldest_pending_age_s),
        }
        return state, reasons, outbox

    async def health(self) -> tuple[bool, dict[str, Any]]:
        checks = {"redis": await self._redis(), "slack_socket": await self._socket()}
        failing = [
            name for name, value in checks.items() if value not in ("ok", "connected", "n/a")
        ]
        if self.runtime.cells is not None:
            return await self._health_of_workspaces(self.runtime.cells, checks, failing)
        beacon = self.runtime.beacon
        delivery: str = "unknown: redis is not ok"
        reasons: list[str] = []
        outbox: dict[str, Any] | None = None
        if checks["redis"] == "ok" and beacon is not None:
            delivery, reasons, outbox = await self._delivery(beacon)
        extra: dict[str, Any] = {
            "mode": str(self.runtime.settings.beacon_mode),
            "instance": beacon.instance_id if beacon else None,
        }
        if outbox is not None:
            extra["outbox"] = outbox
        return self._answer(checks, failing, delivery, reasons, extra)

    def _answer(
        self, checks: dict[str, str], failing: list[str], delivery: str, reasons: list[str],
        extra: dict[str, Any],
    ) -> tuple[bool, dict[str, Any]]:
        # 503 only for what a restart or the orchestrator can act on (Redis, the socket).
        # A delivery backlog is "degraded" but 200: the process is alive, and restarting it
        # would not fix a Slack outage; the events wait in the outbox until Slack answers.
        status = "failing" if failing else (DEGRADED if delivery == DEGRADED else "ok")
        body: dict[str, Any] = {"status": status, **checks, "delivery": delivery, **extra}
        if reasons:
            body["reasons"] = reasons
        if failing:
            body["failing"] = failing
        self._log_delivery(delivery, reasons)
        return not failing, body

    async def _health_of_workspaces(
        self, cells: Cells, checks: dict[str, str], failing: list[str]
    ) -> tuple[bool, dict[str, Any]]:
        """Multi-workspace mode: the process's checks and a line per workspace served."""
        served = cells.all()
        workspaces: dict[str, dict[str, Any]] = {}
        if checks["redis"] == "ok":  # every workspace at once: one probe waits PING_TIMEOUT_S
            lines = await asyncio.gather(*(self._workspace(cell) for cell in served))
            workspaces = {cell.key: line for cell, line in zip(served, lines, strict=True)}
        reasons = [
            f"workspace {key}: {reason}"
            for key, line in workspaces.items() for reason in line.get("reasons", [])
        ]
        delivery = (
            "unknown: redis is not ok" if checks["redis"] != "ok"
            else DEGRADED if any(line["status"] != OK for line in workspaces.values()) else OK
        )
        return self._answer(checks, failing, delivery, reasons, {
            "mode": f"{self.runtime.settings.beacon_mode} (multi-workspace)",
            "instance": served[0].beacon.instance_id if served else None,
            "workspaces": workspaces,
        })

    async def _workspace(self, cell: Cell) -> dict[str, Any]:
        """One workspace's line: "ok", "degraded" (delivery behind) or "token_refused"."""
        delivery, reasons, outbox = await self._delivery(cell.beacon)
        line: dict[str, Any] = {"name": cell.bot.team_name or cell.bot.enterprise_name}
        refused = cell.beacon.notifier.poster.refused
        if refused:
            reasons = [f"Slack refuses its token ({refused}): install Beacon there again",
                       *reasons]
        line["status"] = "token_refused" if refused else delivery
        line["delivery"] = delivery
        if outbox is not None:
            line["outbox"] = outbox
        if reasons:
            line["reasons"] = reasons
        return line

    def _log_delivery(self, delivery: str, reasons: list[str]) -> None:
        state = DEGRADED if delivery == DEGRADED else OK
        if state == self._delivery_state or delivery.startswith("unknown"):
            return
        self._delivery_state = state
        if state == DEGRADED:
            log.warning("healthz degraded: %s", "; ".join(reasons))
        else:
            log.info("healthz: delivery to Slack caught up")

    # --- handlers --------------------------------------------------------------------------
    async def healthz(self, request: web.Request) -> web.Response:
        ok, body = await self.health()
        if not ok:
            log.warning("healthz failing: %s", ", ".join(f"{k}={body[k]}" for k in body["failing"]))
        return web.json_response(body, status=200 if ok else 503)

    async def metrics(self, request: web.Request) -> web.Response:
        runtime = self.runtime
        if runtime.beacon is not None or runtime.cells is not None:
            connected = await self._socket() == "connected"
            await runtime.metrics.refresh(self.beacons(), socket_connected=connected)
        return web.Response(
            body=runtime.metrics.exposition(), headers={"Content-Type": CONTENT_TYPE_LATEST}
        )


def _seconds(age: float | None) -> float | None:
    return None if age is None else round(age, 1)
