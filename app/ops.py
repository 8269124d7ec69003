"""The operator's HTTP port: /healthz for the orchestrator, /metrics for Prometheus.

Served by aiohttp in the Beacon process itself, on METRICS_HOST:METRICS_PORT (off when the
port is 0). It reads the runtime; it never changes it.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from app.settings import Mode, StartupError

if TYPE_CHECKING:
    from app.main import Runtime

log = logging.getLogger("beacon.ops")

PING_TIMEOUT_S = 2.0


class OpsServer:
    def __init__(self, runtime: Runtime, host: str, port: int) -> None:
        self.runtime = runtime
        self.host = host
        self.port = port
        self._runner: web.AppRunner | None = None

    @classmethod
    async def start_for(cls, runtime: Runtime) -> OpsServer | None:
        """Start the server when METRICS_PORT is set; None when it is off."""
        s = runtime.settings
        if not s.metrics_port:
            return None
        server = cls(runtime, s.metrics_host, s.metrics_port)
        await server.start()
        return server

    async def start(self) -> None:
        assert self.runtime.beacon is not None
        self.runtime.metrics.watch(self.runtime.beacon)
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
        beacon = self.runtime.beacon
        if beacon is None:
            return "not started"
        try:
            async with asyncio.timeout(PING_TIMEOUT_S):
                await beacon.redis.ping()
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

    async def health(self) -> tuple[bool, dict[str, Any]]:
        checks = {"redis": await self._redis(), "slack_socket": await self._socket()}
        failing = [
            name for name, value in checks.items() if value not in ("ok", "connected", "n/a")
        ]
        beacon = self.runtime.beacon
        body: dict[str, Any] = {
            "status": "failing" if failing else "ok",
            **checks,
            "mode": str(self.runtime.settings.beacon_mode),
            "instance": beacon.instance_id if beacon else None,
        }
        if failing:
            body["failing"] = failing
        return not failing, body

    # --- handlers --------------------------------------------------------------------------
    async def healthz(self, request: web.Request) -> web.Response:
        ok, body = await self.health()
        if not ok:
            log.warning("healthz failing: %s", ", ".join(f"{k}={body[k]}" for k in body["failing"]))
        return web.json_response(body, status=200 if ok else 503)

    async def metrics(self, request: web.Request) -> web.Response:
        runtime = self.runtime
        if runtime.beacon is not None:
            connected = await self._socket() == "connected"
            await runtime.metrics.refresh(runtime.beacon, socket_connected=connected)
        return web.Response(
            body=runtime.metrics.exposition(), headers={"Content-Type": CONTENT_TYPE_LATEST}
        )
