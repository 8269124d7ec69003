"""The real app, connected over a real WebSocket to the emulator, on a real redis-server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from redis.asyncio import Redis

from app.clock import FakeClock
from app.main import Runtime
from app.settings import Settings
from slack_emulator import SlackEmulator
from slack_emulator.driver import SlackUser
from slack_emulator.models import Message
from tests.redis_proc import RedisProcess

ROOT = Path(__file__).resolve().parents[2]
CHANNELS = ("incidents", "incidents-critical", "payments-oncall", "random")


@dataclass
class World:
    emu: SlackEmulator
    runtime: Runtime
    clock: FakeClock
    redis: Redis
    alice: SlackUser
    bob: SlackUser
    carol: SlackUser

    def channel(self, name: str) -> str:
        return self.emu.channel_by_name(name).id

    async def card(self, channel: str, incident_id: str = "INC-1") -> Message:
        """The incident card in `channel`, once the notifier has posted it with its View link."""
        cid = self.channel(channel)

        def find() -> Message | None:
            for m in self.emu.messages(cid):
                if f"*{incident_id}*" in m.all_text() and "View" in m.buttons():
                    return m
            return None

        return await self.emu.wait_for(find, timeout=10)

    async def reply(self, channel: str, card: Message, contains: str) -> Message:
        return await self.emu.wait_message(
            self.channel(channel), contains, thread_ts=card.ts, timeout=10
        )

    def fresh(self, card: Message) -> Message:
        message = self.emu.message(card.channel, card.ts)
        assert message is not None
        return message

    async def settle(self) -> None:
        """Wait until the notifier has applied every event in the stream."""
        beacon = self.runtime.beacon
        assert beacon is not None

        async def drained() -> bool:
            groups = await self.redis.xinfo_groups(beacon.stores.keys.events())
            return bool(groups) and all(
                g["pending"] == 0 and (g.get("lag") in (0, None)) for g in groups
            )

        # Redis changes do not wake the emulator's waiters: poll briefly instead.
        async with asyncio.timeout(10):
            while not await drained():  # noqa: ASYNC110 - Redis state has no Event
                await asyncio.sleep(0.005)


def make_settings(emu: SlackEmulator, redis_url: str, config_path: Path, **extra) -> Settings:
    return Settings(
        slack_bot_token=emu.bot_token,
        slack_app_token=emu.app_token,
        slack_api_url=emu.base_url,
        redis_url=redis_url,
        beacon_config=config_path,
        # FakeClock stands still unless a test moves it; pacing is tested on its own.
        beacon_posts_per_second=extra.pop("beacon_posts_per_second", 0),
        **extra,
    )


def manifest_scopes() -> list[str]:
    """The emulated workspace grants exactly what manifest.yml asks for."""
    manifest = yaml.safe_load((ROOT / "manifest.yml").read_text())
    return manifest["oauth_config"]["scopes"]["bot"]


def manifest_commands() -> list[dict[str, Any]]:
    """Slash commands as manifest.yml declares them (Slack escapes /incident's text)."""
    manifest = yaml.safe_load((ROOT / "manifest.yml").read_text())
    return manifest["features"]["slash_commands"]


@pytest.fixture
async def emu() -> AsyncIterator[SlackEmulator]:
    emulator = SlackEmulator(scopes=manifest_scopes(), slash_commands=manifest_commands())
    await emulator.start()
    emulator.add_user("UALICE", "alice", "Alice Example", "alice@example.com")
    emulator.add_user("UBOB", "bob", "Bob Example", "bob@example.com")
    emulator.add_user("UCAROL", "carol", "Carol Example", None)  # email hidden
    members = ["UALICE", "UBOB", "UCAROL"]
    for name in CHANNELS:
        emulator.add_channel(name, members=members)
    yield emulator
    await emulator.stop()


async def start_runtime(emu: SlackEmulator, settings: Settings, clock: FakeClock) -> Runtime:
    runtime = Runtime(settings, clock=clock)
    await runtime.start()
    return runtime


@pytest.fixture
async def world(
    emu: SlackEmulator,
    redis: Redis,
    redis_server: RedisProcess,
    config_path: Path,
    clock: FakeClock,
) -> AsyncIterator[World]:
    runtime = await start_runtime(emu, make_settings(emu, redis_server.url, config_path), clock)
    await emu.wait_connected(1)
    yield World(
        emu, runtime, clock, redis, emu.user("UALICE"), emu.user("UBOB"), emu.user("UCAROL")
    )
    await runtime.stop()
