"""Fixtures: a real redis-server per test worker, a clean database per test."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from redis.asyncio import Redis

from app.clock import FakeClock
from app.config import BeaconConfig, load_config
from tests.redis_proc import RedisProcess

TEST_CONFIG = """\
default_channel: "#incidents"
severities:
  P1: {channel: "#incidents-critical"}
services:
  payments: {name: Payments, channel: "#payments-oncall"}
  checkout: {name: Checkout}
  search: {name: Search}
channels:
  "#incidents-critical": {min_severity: P2}
  "#incidents":
    events: [triggered, acknowledged, resolved, snoozed, note_added, updated]
  "#payments-oncall":
    min_severity: P3
    events: [triggered, resolved]
"""


@pytest.fixture(autouse=True)
def _no_slack_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith(("SLACK_", "BEACON_", "REDIS_")):
            monkeypatch.delenv(name)


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisProcess]:
    server = RedisProcess().start()
    yield server
    server.stop()


@pytest.fixture
async def redis(redis_server: RedisProcess) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_server.url, decode_responses=True)
    await client.flushall()
    yield client
    await client.aclose()


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    path = tmp_path / "beacon.yml"
    path.write_text(TEST_CONFIG)
    return path


@pytest.fixture
def config(config_path: Path) -> BeaconConfig:
    return load_config(config_path)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()
