"""A Beacon runtime with the intake API on a free port, and a small JSON client for it."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from redis.asyncio import Redis

from app.clock import FakeClock
from slack_emulator import SlackEmulator
from tests.e2e.conftest import World, make_settings, start_runtime
from tests.redis_proc import RedisProcess

TOKENS = "ci:s3cret-ci,bot:s3cret-bot"
CI, BOT = "s3cret-ci", "s3cret-bot"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Api:
    base: str
    session: aiohttp.ClientSession

    async def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        token: str | None = CI,
        headers: dict[str, str] | None = None,
        data: bytes | None = None,
    ) -> tuple[int, Any, dict[str, str]]:
        """(status, JSON body, headers) of one request; path is relative to /api/v1."""
        sent = dict(headers or {})
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        url = self.base + path
        async with self.session.request(
            method, url, json=body if data is None else None, data=data, headers=sent
        ) as resp:
            payload = await resp.json(content_type=None)
            return resp.status, payload, dict(resp.headers)

    async def post(self, path: str, body: Any = None, **kw: Any) -> tuple[int, Any]:
        status, payload, _ = await self.call("POST", path, body, **kw)
        return status, payload

    async def get(self, path: str, **kw: Any) -> tuple[int, Any]:
        status, payload, _ = await self.call("GET", path, **kw)
        return status, payload


@asynccontextmanager
async def api_world(
    emu: SlackEmulator,
    redis: Redis,
    redis_url: str,
    config_path: Path,
    clock: FakeClock,
    **settings_extra: Any,
) -> AsyncIterator[tuple[World, Api]]:
    port = free_port()
    settings = make_settings(
        emu, redis_url, config_path, api_port=port, beacon_api_token=TOKENS, **settings_extra
    )
    runtime = await start_runtime(emu, settings, clock)
    await emu.wait_connected(1)
    world = World(
        emu, runtime, clock, redis, emu.user("UALICE"), emu.user("UBOB"), emu.user("UCAROL")
    )
    try:
        async with aiohttp.ClientSession() as session:
            yield world, Api(f"http://127.0.0.1:{port}/api/v1", session)
    finally:
        await runtime.stop()


@pytest.fixture
def api_settings() -> dict[str, Any]:
    """Settings the `api` world starts with; a module overrides this fixture to add some."""
    return {}


@pytest.fixture
async def api(
    emu: SlackEmulator,
    redis: Redis,
    redis_server: RedisProcess,
    config_path: Path,
    clock: FakeClock,
    api_settings: dict[str, Any],
) -> AsyncIterator[tuple[World, Api]]:
    async with api_world(
        emu, redis, redis_server.url, config_path, clock, **api_settings
    ) as pair:
        yield pair
