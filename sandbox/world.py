"""The sandbox: embedded Redis, the Slack emulator, the real bot over Socket Mode, a web page.

Nothing here talks to Slack or the internet: the bot (`app.main.Runtime`, handed in by whoever
starts the sandbox) is pointed at the emulator's Web API and Socket Mode, exactly as it would be
pointed at Slack.
"""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
import shutil
import socket
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urljoin

import aiohttp
import yaml
from aiohttp import web

from app.config import BeaconConfig, load_config
from app.intake.routes import alertmanager
from app.settings import Mode, Settings, StartupError, load_settings
from app.store.embedded import free_port
from sandbox.web import build_web
from slack_emulator import SlackEmulator
from slack_emulator.state import Workspace

log = logging.getLogger("beacon.sandbox")

HERE = Path(__file__).resolve().parent
SANDBOX_CONFIG = HERE / "beacon.sandbox.yml"
MANIFEST = HERE.parent / "manifest.yml"
DEFAULT_PORT = 8765
# The intake API's port in the sandbox: the one README's curl examples use.
DEFAULT_API_PORT = 8088


class Bot(Protocol):
    """The bot the sandbox runs: app.main.Runtime, or anything started and stopped alike."""

    settings: Settings

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


BotFactory = Callable[[Settings], Bot]


@dataclass(frozen=True)
class SampleUser:
    id: str
    name: str
    real_name: str
    email: str


SAMPLE_USERS = (
    SampleUser("UALICE", "alice", "Alice Archer", "alice@example.com"),
    SampleUser("UBOB", "bob", "Bob Baker", "bob@example.com"),
    SampleUser("UCAROL", "carol", "Carol Chen", "carol@example.com"),
    SampleUser("UDAN", "dan", "Dan Diaz", "dan@example.com"),
)
EXTRA_CHANNELS = ("general", "random")


@dataclass(frozen=True)
class Team:
    """A workspace of the multi-workspace sandbox (`--workspaces 2`)."""

    id: str
    name: str
    domain: str
    people: tuple[SampleUser, ...]
    channels: tuple[str, ...] = EXTRA_CHANNELS  # beside the configured ones


# Acme is installed at start; Globex is installed from the page ("Add to Slack").
TEAMS = (
    Team("T0ACME", "Acme", "acme", SAMPLE_USERS),
    Team(
        "T0GLOBEX",
        "Globex",
        "globex",
        (
            SampleUser("UERIN", "erin", "Erin Evans", "erin@globex.example.com"),
            SampleUser("UFRANK", "frank", "Frank Fox", "frank@globex.example.com"),
            SampleUser("UGRACE", "grace", "Grace Gu", "grace@globex.example.com"),
        ),
        ("general", "globex-launch"),
    ),
)
MAX_WORKSPACES = len(TEAMS)


def manifest() -> dict[str, Any]:
    return yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))


def manifest_scopes() -> list[str]:
    return list(manifest()["oauth_config"]["scopes"]["bot"])


def shortcuts() -> dict[str, list[dict[str, str]]]:
    """The app's shortcuts as Slack shows them: {'global': [...], 'message': [...]}."""
    out: dict[str, list[dict[str, str]]] = {"global": [], "message": []}
    for sc in manifest().get("features", {}).get("shortcuts", []):
        out.setdefault(sc["type"], []).append(
            {"name": sc["name"], "callback_id": sc["callback_id"]}
        )
    return out


def configured_channels(config: BeaconConfig) -> list[str]:
    """Channel names the config routes to (ids cannot be seeded, so they are skipped)."""
    refs = [config.default_channel]
    refs += [s.channel for s in config.severities.values()]
    refs += [s.channel for s in config.services.values()]
    refs += list(config.channels)
    names: list[str] = []
    for ref in refs:
        if ref and ref.startswith("#") and ref[1:] not in names:
            names.append(ref[1:])
    return names


def seed(
    ws: Workspace,
    config: BeaconConfig,
    people: tuple[SampleUser, ...] = SAMPLE_USERS,
    extra: tuple[str, ...] = EXTRA_CHANNELS,
) -> None:
    """Sample people and every configured channel, everyone a member, the bot too."""
    members = [ws.add_user(u.id, u.name, u.real_name, u.email) for u in people]
    for name in [*configured_channels(config), *extra]:
        if not any(c.name == name for c in ws.channels.values()):
            ws.add_channel(name, members=members)


def _link(page: str, anchor: str, base: str) -> str:
    found = re.search(rf'id="{re.escape(anchor)}" href="([^"]+)"', page)
    if found is None:
        raise StartupError(f"the install flow lost its way: no {anchor!r} link on {base}")
    return urljoin(base, found.group(1).replace("&amp;", "&"))


async def oauth_install(install_url: str, team_id: str) -> str:
    """What an admin's browser does: Beacon's /slack/install → Add to Slack → the emulator's
    authorize page → Allow in `team_id` → back to Beacon's redirect. Returns the last page."""
    jar = aiohttp.CookieJar(unsafe=True)  # the state cookie on 127.0.0.1
    async with aiohttp.ClientSession(cookie_jar=jar) as browser:
        async with browser.get(install_url) as page:
            authorize = _link(await page.text(), "add-to-slack", install_url)
        async with browser.get(authorize) as page:
            approve = _link(await page.text(), f"allow-{team_id}", str(page.url))
        async with browser.get(approve, allow_redirects=False) as back:
            redirect = back.headers.get("Location", "")
        async with browser.get(redirect) as done:
            text = await done.text()
            if done.status != 200:
                raise StartupError(f"installing {team_id} failed ({done.status}): {text[:200]}")
            return text


class Sandbox:
    """One sandbox: start() brings everything up on loopback, stop() takes it down."""

    def __init__(
        self,
        bot: BotFactory,
        *,
        config_path: Path = SANDBOX_CONFIG,
        port: int = DEFAULT_PORT,
        api_port: int = 0,
        settings: Settings | None = None,
        workspaces: int = 1,
    ) -> None:
        self.bot = bot
        self.config_path = config_path
        self.port = port
        self.wanted_api_port = api_port  # 0: any free port
        self.base = settings or Settings()
        # Several workspaces: Beacon in multi-workspace mode (OAuth installs), one team each.
        self.teams = TEAMS[:workspaces] if workspaces > 1 else ()
        first = self.teams[0] if self.teams else Team("T0BEACON", "Beacon Sandbox",
                                                       "beacon-sandbox", SAMPLE_USERS)
        self.emu = SlackEmulator(
            scopes=manifest_scopes(),
            team_id=first.id,
            team_name=first.name,
            team_domain=first.domain,
            slash_commands=manifest()["features"]["slash_commands"],  # typed @bob is escaped
            functions=manifest().get("functions"),  # Workflow Builder steps (⚙ menu)
        )
        self.runtime: Bot | None = None
        self.runner: web.AppRunner | None = None
        self.data_dir: Path | None = None
        self.api_token = secrets.token_urlsafe(16)
        self.shortcuts = shortcuts()
        self.view_errors: dict[str, dict[str, str]] = {}  # view id -> block id -> message
        self.last_read: dict[str, dict[str, str]] = {}  # user id -> channel id -> newest ts seen

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    async def start(self) -> None:
        config = load_config(self.config_path)
        await self.emu.start()
        seed(self.emu.workspace, config)
        for team in self.teams[1:]:
            ws = self.emu.add_team(team.id, team.name, team.domain)
            seed(ws, config, team.people, team.channels)
        if self.teams:
            self.emu.workspace.installed = False  # Acme too is installed by OAuth, below
        # A fresh Redis every time: the emulated workspace starts empty too.
        self.data_dir = Path(tempfile.mkdtemp(prefix="beacon-sandbox-"))
        settings = self.base.model_copy(
            update={
                "slack_bot_token": self.emu.bot_token,
                "slack_app_token": self.emu.app_token,
                "slack_api_url": self.emu.base_url,
                "redis_url": None,
                "redis_sentinels": None,
                "beacon_config": self.config_path,
                "beacon_data_dir": self.data_dir,
                "beacon_mode": Mode.SOCKET,
                "beacon_posts_per_second": 0,
                # The intake API on a private port, so "Fire a test alert" can use it.
                "api_port": self.wanted_api_port or free_port(),
                "api_host": "127.0.0.1",
                # Named `ci`, as README's curl examples' $CI_TOKEN: actions show as api:ci.
                "beacon_api_token": f"ci:{self.api_token}",
            }
        )
        if self.teams:
            settings = settings.model_copy(update=self._multi_settings())
        self.runtime = self.bot(settings)
        await self.runtime.start()
        await self.emu.wait_connected(1)
        if self.install_url:
            await oauth_install(self.install_url, self.teams[0].id)
        self.runner = web.AppRunner(build_web(self), handle_signals=False, shutdown_timeout=0.5)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", self.port)
        try:
            await site.start()
        except OSError as exc:
            await self.stop()
            raise StartupError(
                f"port {self.port} (the sandbox page) is in use ({exc.strerror}): pass "
                "--port N or set BEACON_SANDBOX_PORT=N (0: any free port)"
            ) from None
        sockets = getattr(site._server, "sockets", None)  # an asyncio.Server once started
        if sockets:
            self.port = sockets[0].getsockname()[1]

    def _multi_settings(self) -> dict[str, Any]:
        """No bot token, the app's OAuth credentials: Beacon serves what is installed."""
        return {
            "slack_bot_token": "",
            "slack_client_id": self.emu.oauth.client_id,
            "slack_client_secret": self.emu.oauth.client_secret,
            "install_host": "127.0.0.1",
            "install_port": free_port(),
            # The intake API's token belongs to the first workspace: alerts land in Acme.
            "beacon_api_token": f"ci:{self.api_token}@{self.teams[0].id}",
        }

    @property
    def install_url(self) -> str | None:
        """Beacon's "Add to Slack" page; None with one workspace (no OAuth there)."""
        if not self.teams or self.runtime is None:
            return None
        s = self.runtime.settings
        return f"http://{s.install_host}:{s.install_port}/slack/install"

    @property
    def api_port(self) -> int:
        return self.runtime.settings.api_port if self.runtime else 0

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}/api/v1"

    def banner(self) -> list[str]:
        """What start-up prints: the page, and the intake API with its token and a curl line."""
        readme = "" if self.api_port == DEFAULT_API_PORT else f" (and {self.api_port} for 8088)"
        what = "an emulated Slack workspace with alice, bob, carol and dan"
        if self.teams:
            names = " and ".join(t.name for t in self.teams)
            what = (f"emulated workspaces {names}, {self.teams[0].name} installed; add the "
                    f"others from the page or at {self.install_url}")
        return [
            f"sandbox is up: open {self.url} ({what}; Ctrl-C stops it)",
            f"intake API: {self.api_url} with token {self.api_token}; for README's curl "
            f"lines: export CI_TOKEN={self.api_token}{readme}",
            f"try: curl -sH 'Authorization: Bearer {self.api_token}' {self.api_url}/incidents "
            """-d '{"title": "Checkout errors", "severity": "P2", "service": "payments"}'""",
        ]

    def alert_path(self) -> str | None:
        """The intake API's Alertmanager webhook path; None while the API is off."""
        paths = [p for p, item in alertmanager.OPENAPI_PATHS.items() if "post" in item]
        return paths[0] if paths and self.api_port else None

    async def __aenter__(self) -> Sandbox:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
        if self.runtime is not None:
            await self.runtime.stop()
        await self.emu.stop()
        if self.data_dir is not None:
            shutil.rmtree(self.data_dir, ignore_errors=True)


@dataclass(frozen=True)
class PortUse:
    """A port the sandbox listens on, and how a person picks another one."""

    what: str
    host: str
    port: int  # 0: any free port, never busy
    fix: str


def check_ports(uses: list[PortUse]) -> None:
    """Refuse to start, with one line naming the port and the fix, when one is taken."""
    for use in uses:
        if not use.port:
            continue
        with socket.socket() as sock:
            # As the servers bind (aiohttp reuses addresses): a port in TIME_WAIT is free.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((use.host, use.port))
                sock.listen(1)
            except OSError as exc:
                raise StartupError(
                    f"port {use.port} ({use.what}) is in use ({exc.strerror}): {use.fix}"
                ) from None


def sandbox_ports(port: int, api_port: int, settings: Settings) -> list[PortUse]:
    return [
        PortUse(
            "the sandbox page",
            "127.0.0.1",
            port,
            "pass --port N or set BEACON_SANDBOX_PORT=N (0: any free port)",
        ),
        PortUse(
            "the sandbox's intake API",
            "127.0.0.1",
            api_port,
            "pass --api-port N or set API_PORT=N (0: any free port)",
        ),
        PortUse(
            "/healthz and /metrics",
            settings.metrics_host,
            settings.metrics_port,
            "pass --metrics-port N or set METRICS_PORT=N (0: off)",
        ),
    ]


async def serve_sandbox(
    bot: BotFactory,
    port: int,
    config_path: Path,
    *,
    api_port: int = DEFAULT_API_PORT,
    settings: Settings | None = None,
    reason: str | None = None,
    workspaces: int = 1,
) -> None:
    """Run until SIGINT/SIGTERM, printing where to open the page and how to call the API."""
    import signal

    base = settings or load_settings()
    check_ports(sandbox_ports(port, api_port, base))  # before anything starts
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)  # the emulator's requests
    sandbox = Sandbox(
        bot,
        config_path=config_path,
        port=port,
        api_port=api_port,
        settings=base,
        workspaces=workspaces,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    if reason:
        print(reason, flush=True)
    try:
        await sandbox.start()
        for line in sandbox.banner():
            print(f"beacon: {line}", flush=True)
        await stop.wait()
    finally:
        await sandbox.stop()
