"""/healthz reports delivery to Slack stalling: "degraded" (still 200) while Redis and the
socket are fine, and "ok" again once the notifier catches up."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from redis.asyncio import Redis

from app.clock import FakeClock
from slack_emulator import SlackEmulator
from tests.e2e.conftest import World, make_settings, start_runtime
from tests.e2e.test_ops import healthz
from tests.redis_proc import RedisProcess, free_port


@pytest.fixture
async def ops_world(
    emu: SlackEmulator,
    redis: Redis,
    redis_server: RedisProcess,
    config_path: Path,
    clock: FakeClock,
) -> AsyncIterator[tuple[World, int]]:
    port = free_port()
    settings = make_settings(
        emu, redis_server.url, config_path, metrics_port=port, beacon_health_max_lag=2
    )
    runtime = await start_runtime(emu, settings, clock)
    await emu.wait_connected(1)
    world = World(
        emu, runtime, clock, redis, emu.user("UALICE"), emu.user("UBOB"), emu.user("UCAROL")
    )
    yield world, port
    await runtime.stop()


async def wait_status(port: int, status: str) -> dict:
    """Poll /healthz until its body says `status` (the notifier catching up has no event)."""
    async with asyncio.timeout(10):
        while True:
            code, body = await healthz(port)
            if body["status"] == status:
                assert code == 200, body
                return body
            await asyncio.sleep(0.02)


async def events_at_least(world: World, n: int) -> None:
    """Wait for the listeners' transitions to reach the outbox (a slash command's ack may
    come before its work is done)."""
    assert world.runtime.beacon is not None
    stream = world.runtime.beacon.stores.keys.events()
    async with asyncio.timeout(10):
        while await world.redis.xlen(stream) < n:  # noqa: ASYNC110 - Redis state has no Event
            await asyncio.sleep(0.01)


async def test_healthz_degrades_while_the_notifier_is_stopped(ops_world: tuple[World, int]):
    world, port = ops_world
    beacon = world.runtime.beacon
    assert beacon is not None
    code, body = await healthz(port)
    assert (code, body["status"], body["delivery"]) == (200, "ok", "ok"), body

    await beacon.workers.stop()
    incidents = world.channel("incidents")
    for title in ("Disk full", "Queue stuck"):
        await world.alice.slash_command("/incident", f"create {title} --sev P3", channel=incidents)
    await events_at_least(world, 2)

    # two unread events, both new: within BEACON_HEALTH_MAX_LAG=2 and max age
    code, body = await healthz(port)
    assert (code, body["status"]) == (200, "ok"), body
    assert body["outbox"]["lag"] == 2 and body["outbox"]["oldest_undelivered_s"] == 0

    await world.clock.advance(300)
    code, body = await healthz(port)
    assert code == 200, body  # alive: restarting would not bring Slack back
    assert body["status"] == "degraded" and body["delivery"] == "degraded"
    assert body["redis"] == "ok" and body["slack_socket"] == "connected"
    assert body["reasons"] == ["oldest undelivered event 300 s old (max 120 s)"]
    assert "failing" not in body

    await world.alice.slash_command("/incident", "create Cache cold --sev P3", channel=incidents)
    await events_at_least(world, 3)
    code, body = await healthz(port)
    assert code == 200
    assert body["reasons"] == [
        "outbox lag 3 events (max 2)",
        "oldest undelivered event 300 s old (max 120 s)",
    ]

    beacon.workers.start()
    body = await wait_status(port, "ok")
    assert body["delivery"] == "ok" and "reasons" not in body
    await world.card("incidents", "INC-3")  # delivered after all
    await world.settle()
    code, body = await healthz(port)
    assert (code, body["status"]) == (200, "ok"), body
    assert body["outbox"]["lag"] == 0 and body["outbox"]["pending"] == 0
    assert body["outbox"]["oldest_undelivered_s"] is None


async def test_a_closed_socket_still_fails_with_503_when_degraded(ops_world: tuple[World, int]):
    world, port = ops_world
    beacon = world.runtime.beacon
    assert beacon is not None and world.runtime.handler is not None
    await beacon.workers.stop()
    await world.alice.slash_command(
        "/incident", "create Disk full --sev P3", channel=world.channel("incidents")
    )
    await events_at_least(world, 1)
    await world.clock.advance(200)
    await world.runtime.handler.close_async()
    async with asyncio.timeout(10):
        while (await healthz(port))[0] != 503:  # noqa: ASYNC110 - no event to wait on
            await asyncio.sleep(0.02)
    _, body = await healthz(port)
    assert body["status"] == "failing" and body["failing"] == ["slack_socket"]
    assert body["delivery"] == "degraded"
    assert body["reasons"] == ["oldest undelivered event 200 s old (max 120 s)"]
