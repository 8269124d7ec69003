"""Entry point: settings, Redis (embedded or given), Slack check, then Socket Mode or HTTP."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys

import aiohttp
from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_sdk.errors import SlackApiError

from app.bolt import build_app, build_multi_app
from app.cells import Cells
from app.clock import Clock, SystemClock
from app.config import BeaconConfig, load_config
from app.container import Beacon
from app.install.server import InstallServer, build_flow
from app.intake.server import ApiServer, check_api_settings
from app.notifier.engine import GROUP as NOTIFIER_GROUP
from app.ops.logs import configure_logging
from app.ops.metrics import Metrics, bind, unbind
from app.ops.server import OpsServer
from app.settings import Mode, Settings, StartupError, load_settings
from app.slack.client import make_client
from app.store.connect import Redis, connect
from app.store.embedded import EmbeddedRedis
from app.store.installations import InstallationStore, OAuthStateStore, Sealer, SecretKeyError
from app.store.keys import Keys

log = logging.getLogger("beacon")


async def check_slack(beacon: Beacon) -> dict:
    try:
        resp = await beacon.client.auth_test()
    except SlackApiError as exc:
        code = exc.response.get("error")
        raise StartupError(
            f"Slack rejected SLACK_BOT_TOKEN ({code}): copy the Bot User OAuth Token again "
            "from your app's 'OAuth & Permissions' page"
        ) from None
    except Exception as exc:
        raise StartupError(
            f"Slack API at {beacon.client.base_url} is unreachable ({exc}): check the network "
            "or SLACK_API_URL"
        ) from None
    return resp.data  # type: ignore[return-value]


class Runtime:
    """One running Beacon process; tests start it in-process against the emulator."""

    def __init__(self, settings: Settings, *, clock: Clock | None = None) -> None:
        self.settings = settings
        self.clock = clock or SystemClock()
        self.embedded: EmbeddedRedis | None = None
        self.beacon: Beacon | None = None
        self.handler: AsyncSocketModeHandler | None = None
        self.http_runner: web.AppRunner | None = None
        # This runtime's own registry (tests run several at once); outbox series per workspace
        # when it serves several.
        self.metrics = Metrics(workspace_label=settings.multi_workspace)
        self.ops: OpsServer | None = None
        self.api: ApiServer | None = None
        self.session: aiohttp.ClientSession | None = None
        # Multi-workspace mode: a Beacon per installed workspace, and the install pages.
        self.cells: Cells | None = None
        self.install: InstallServer | None = None
        self.installations: InstallationStore | None = None

    async def start(self) -> None:
        s = self.settings
        config = load_config(s.beacon_config)
        check_api_settings(s, config)  # fail before starting anything
        bound = bind(self.metrics)  # every task started below counts into self.metrics
        url = s.redis_url
        if not url and not s.redis_sentinels:
            self.embedded = EmbeddedRedis(s.beacon_data_dir)
            await self.embedded.start()
            url = self.embedded.url
            log.info(
                "REDIS_URL is not set: started an embedded redis-server at %s "
                "(data in %s, appendonly, fsync always)",
                url,
                self.embedded.data_dir,
            )
        redis = await connect(s, url)  # REDIS_URL, the embedded server's, or REDIS_SENTINELS
        # One pooled HTTP session for every Web API call (slack_sdk opens one per call
        # otherwise: a TCP and TLS handshake each time).
        self.session = aiohttp.ClientSession()
        if s.multi_workspace:
            await self._start_workspaces(config, redis, self.session)
            unbind(bound)
            return
        self.beacon = Beacon.for_settings(
            s,
            config=config,
            redis=redis,
            clock=self.clock,
            session=self.session,
            token=s.slack_bot_token,
            prefix=s.redis_prefix,
        )
        who = await check_slack(self.beacon)
        log.info("connected to Slack as %s in %s", who.get("user"), who.get("team"))
        self.app = build_app(
            self.beacon,
            signing_secret=s.slack_signing_secret if s.beacon_mode is Mode.HTTP else None,
            auth_test=who,
        )
        # The notifier's group exists before anything is declared, so /healthz counts every
        # event as undelivered until the notifier reads it, even if it never got to start.
        await self.beacon.stores.outbox.ensure_group(NOTIFIER_GROUP)
        # Indexes and totals for incidents stored before they existed: once, before serving.
        await self.beacon.stores.migrations.run_pending(self.clock.now())
        self.beacon.workers.start()
        if s.beacon_mode is Mode.SOCKET:
            self.handler = AsyncSocketModeHandler(self.app, s.slack_app_token)
            await self.handler.connect_async()
            client = self.handler.client
            self.beacon.slack_connected = client.is_connected
            log.info("Beacon is up over Socket Mode (instance %s)", self.beacon.instance_id)
        else:
            self.http_runner = web.AppRunner(self.app.web_app(path="/slack/events"))
            await self.http_runner.setup()
            await web.TCPSite(self.http_runner, "0.0.0.0", s.http_port).start()
            log.info("Beacon is up over HTTP on port %s at /slack/events", s.http_port)
        self.ops = await OpsServer.start_for(self)
        self.api = await ApiServer.start_for(self.beacon, s)
        unbind(bound)

    async def _start_workspaces(
        self, config: BeaconConfig, redis: Redis, session: aiohttp.ClientSession
    ) -> None:
        """Multi-workspace mode: the install pages, a cell per installed workspace, and one
        Socket Mode connection whose envelopes Bolt authorizes from the cells."""
        s = self.settings
        keys = Keys(s.redis_prefix)
        try:
            self.installations = installations = InstallationStore(
                redis, keys, sealer=Sealer.from_key(s.beacon_secret_key)
            )
            await installations.check_key()
        except SecretKeyError as exc:
            raise StartupError(str(exc)) from None
        self.cells = Cells(
            settings=s, config=config, redis=redis, installations=installations,
            clock=self.clock, session=session, metrics=self.metrics,
        )
        self.cells.slack_connected = self._socket_connected
        flow = build_flow(
            s, installations, OAuthStateStore(redis, keys),
            make_client("", s.slack_api_url, session=session), self.cells.installed,
        )
        self.install = InstallServer(flow, s.install_host, s.install_port)
        install_url = f"http://{s.install_host}:{s.install_port}{flow.install_path}"
        self.app = build_multi_app(
            self.cells,
            client=make_client("", s.slack_api_url, rate_limit_retries=False, session=session),
            install_url=install_url,
        )
        await self.cells.start()
        self.handler = AsyncSocketModeHandler(self.app, s.slack_app_token)
        await self.handler.connect_async()
        await self.install.start()
        self.api = await ApiServer.start_for(
            None, s, beacon_for=self._beacon_of_workspace, config=config
        )
        self.ops = await OpsServer.start_for(self)
        log.info(
            "Beacon is up over Socket Mode for %d workspace(s); add one at %s",
            len(self.cells.all()), install_url,
        )

    async def _beacon_of_workspace(self, team_id: str) -> Beacon | None:
        """The intake API's way to a workspace: the cell of an API token's team."""
        assert self.cells is not None
        cell = await self.cells.get(None, team_id, False)
        return cell.beacon if cell else None

    async def _socket_connected(self) -> bool:
        return self.handler is not None and await self.handler.client.is_connected()

    async def stop(self) -> None:
        if self.install is not None:
            await self.install.stop()
        if self.api is not None:
            await self.api.stop()
        if self.ops is not None:
            await self.ops.stop()
        if self.handler is not None:
            with contextlib.suppress(Exception):
                await self.handler.close_async()
        if self.http_runner is not None:
            await self.http_runner.cleanup()
        if self.beacon is not None:
            await self.beacon.workers.stop()
            await self.beacon.stores.close()
        if self.cells is not None:
            await self.cells.stop()
        if self.installations is not None:  # multi-workspace mode: the cells share its Redis
            await self.installations.close()
        if self.session is not None:
            await self.session.close()
        if self.embedded is not None:
            await self.embedded.stop()


async def serve(settings: Settings) -> None:
    runtime = Runtime(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await runtime.start()
        await stop.wait()
        log.info("shutting down")
    finally:
        await runtime.stop()


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args:  # sandbox | doctor | config check
        from app.cli import run

        return run(args, Runtime)
    try:
        settings = load_settings()
        if settings.beacon_mode is Mode.SOCKET and not (
            settings.slack_bot_token.strip() or settings.slack_app_token.strip()
            or settings.slack_client_id.strip()
        ):
            # No tokens at all: a newcomer's first run. Partly set or malformed still stops.
            from app.cli import NO_TOKENS, run_sandbox

            return run_sandbox(Runtime, reason=NO_TOKENS)
        settings.check_tokens()
        configure_logging(settings.log_level, settings.log_format)
        asyncio.run(serve(settings))
    except StartupError as exc:
        for line in str(exc).splitlines():
            print(f"beacon: {line}", file=sys.stderr)
        return 2
    return 0
