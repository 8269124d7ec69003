"""The sandbox: embedded Redis, the Slack emulator, the real bot over Socket Mode, a web page.

Nothing here talks to Slack or the internet: the bot (`app.main.Runtime`, handed in by whoever
starts the sandbox) is pointed at the emulator's Web API and Socket Mode, exactly as it would be
pointed at Slack.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import yaml
from aiohttp import web

from app.config import BeaconConfig, load_config
from app.intake.routes import alertmanager
from app.settings import Mode, Settings, StartupError, load_settings
from app.store.embedded import free_port
from sandbox.web import build_web
from slack_emulator import SlackEmulator

log = logging.getLogger("beacon.sandbox")

HERE = Path(__file__).resolve().parent
SANDBOX_CONFIG = HERE / "beacon.sandbox.yml"
MANIFEST = HERE.parent / "manifest.yml"
DEFAULT_PORT = 8765


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


def seed(emu: SlackEmulator, config: BeaconConfig) -> None:
    """Sample people and every configured channel, everyone a member, the bot too."""
    members = [emu.add_user(u.id, u.name, u.real_name, u.email) for u in SAMPLE_USERS]
    for name in [*configured_channels(config), *EXTRA_CHANNELS]:
        if not any(c.name == name for c in emu.channels.values()):
            emu.add_channel(name, members=members)


class Sandbox:
    """One sandbox: start() brings everything up on loopback, stop() takes it down."""

    def __init__(
        self,
        bot: BotFactory,
        *,
        config_path: Path = SANDBOX_CONFIG,
        port: int = DEFAULT_PORT,
        settings: Settings | None = None,
    ) -> None:
        self.bot = bot
        self.config_path = config_path
        self.port = port
        self.base = settings or Settings()
        self.emu = SlackEmulator(
            scopes=manifest_scopes(),
            team_name="Beacon Sandbox",
            team_domain="beacon-sandbox",
            slash_commands=manifest()["features"]["slash_commands"],  # typed @bob is escaped
            functions=manifest().get("functions"),  # Workflow Builder steps (⚙ menu)
        )
        self.runtime: Bot | None = None
        self.runner: web.AppRunner | None = None
        self.data_dir: Path | None = None
        self.api_token = secrets.token_urlsafe(16)
        self.shortcuts = shortcuts()
        self.view_errors: dict[str, dict[str, str]] = {}  # view id -> block id -> message

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    async def start(self) -> None:
        config = load_config(self.config_path)
        await self.emu.start()
        seed(self.emu, config)
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
                "api_port": free_port(),
                "api_host": "127.0.0.1",
                "beacon_api_token": f"sandbox:{self.api_token}",
            }
        )
        self.runtime = self.bot(settings)
        await self.runtime.start()
        await self.emu.wait_connected(1)
        self.runner = web.AppRunner(build_web(self), handle_signals=False, shutdown_timeout=0.5)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", self.port)
        try:
            await site.start()
        except OSError as exc:
            await self.stop()
            raise StartupError(
                f"the sandbox page cannot use port {self.port} ({exc.strerror}): set "
                "BEACON_SANDBOX_PORT to a free port (or 0 for any)"
            ) from None
        sockets = getattr(site._server, "sockets", None)  # an asyncio.Server once started
        if sockets:
            self.port = sockets[0].getsockname()[1]

    @property
    def api_port(self) -> int:
        return self.runtime.settings.api_port if self.runtime else 0

    def alert_path(self) -> str | None:
        """The intake API's Alertmanager webhook path; None while the API is off."""
        paths = [p for p, item in alertmanager.OPENAPI_PATHS.items() if "post" in item]
        return paths[0] if paths and self.api_port else None

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
        if self.runtime is not None:
            await self.runtime.stop()
        await self.emu.stop()
        if self.data_dir is not None:
            shutil.rmtree(self.data_dir, ignore_errors=True)


async def serve_sandbox(
    bot: BotFactory, port: int, config_path: Path, *, reason: str | None = None
) -> None:
    """Run until SIGINT/SIGTERM, printing where to open the page."""
    import signal

    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)  # the emulator's requests
    sandbox = Sandbox(bot, config_path=config_path, port=port, settings=load_settings())
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    if reason:
        print(reason, flush=True)
    try:
        await sandbox.start()
        print(
            f"beacon: sandbox is up: open {sandbox.url} (an emulated Slack workspace with "
            "alice, bob, carol and dan; Ctrl-C stops it)",
            flush=True,
        )
        await stop.wait()
    finally:
        await sandbox.stop()
