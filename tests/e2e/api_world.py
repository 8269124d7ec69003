"""The e2e World plus the intake API on a real port, and an approvals channel."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from redis.asyncio import Redis

from app.clock import FakeClock
from app.intake.server import api_runner
from slack_emulator import SlackEmulator
from slack_emulator.models import Message
from tests.conftest import TEST_CONFIG
from tests.e2e.conftest import World, make_settings, start_runtime
from tests.redis_proc import RedisProcess

SECRET = "callback-secret-for-tests"
TOKEN = "robot:s3cret-token"
AUTH = {"Authorization": "Bearer s3cret-token"}


@dataclass
class ApiWorld(World):
    api: aiohttp.ClientSession = None  # type: ignore[assignment]

    async def post(self, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        async with self.api.post(path, json=body, headers=AUTH) as resp:
            return resp.status, await resp.json()

    async def get(self, path: str) -> tuple[int, dict[str, Any]]:
        async with self.api.get(path, headers=AUTH) as resp:
            return resp.status, await resp.json()

    async def approval_card(self, approval_id: str = "APR-1") -> Message:
        cid = self.channel("approvals")

        def find() -> Message | None:
            return next(
                (m for m in self.emu.messages(cid) if f"· {approval_id}" in m.all_text()), None
            )

        return await self.emu.wait_for(find, timeout=10)

    async def card_says(self, card: Message, text: str) -> Message:
        async def updated() -> Message | None:
            fresh = self.fresh(card)
            return fresh if text in fresh.all_text() else None

        await self.settle()
        return await self.emu.wait_for(updated, timeout=10)


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    path = tmp_path / "beacon.yml"
    path.write_text(TEST_CONFIG + 'approvals:\n  channel: "#approvals"\n')
    return path


@pytest.fixture
async def world(
    emu: SlackEmulator,
    redis: Redis,
    redis_server: RedisProcess,
    config_path: Path,
    clock: FakeClock,
) -> AsyncIterator[ApiWorld]:
    emu.add_channel("approvals", members=["UALICE", "UBOB", "UCAROL"])
    settings = make_settings(
        emu,
        redis_server.url,
        config_path,
        beacon_callback_secret=SECRET,
        beacon_api_token=TOKEN,
    )
    runtime = await start_runtime(emu, settings, clock)
    await emu.wait_connected(1)
    assert runtime.beacon is not None
    runner = api_runner(runtime.beacon, settings)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    session = aiohttp.ClientSession(base_url=f"http://127.0.0.1:{port}")
    yield ApiWorld(
        emu,
        runtime,
        clock,
        redis,
        emu.user("UALICE"),
        emu.user("UBOB"),
        emu.user("UCAROL"),
        api=session,
    )
    await session.close()
    await runner.cleanup()
    await runtime.stop()
