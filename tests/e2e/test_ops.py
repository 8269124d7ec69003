"""/healthz and /metrics on METRICS_PORT, scraped while users work through the emulator."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families
from redis.asyncio import Redis
from slack_sdk.errors import SlackApiError

from app.clock import FakeClock
from app.main import Runtime
from slack_emulator import SlackEmulator
from tests.e2e.conftest import World, make_settings, start_runtime
from tests.redis_proc import RedisProcess, free_port

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


async def scrape(port: int) -> Samples:
    async with aiohttp.ClientSession() as http:
        async with http.get(f"http://127.0.0.1:{port}/metrics") as r:
            assert r.status == 200
            assert r.headers["Content-Type"].startswith("text/plain")
            text = await r.text()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


async def healthz(port: int) -> tuple[int, dict]:
    async with aiohttp.ClientSession() as http:
        async with http.get(f"http://127.0.0.1:{port}/healthz") as r:
            return r.status, await r.json()


async def wait_health(port: int, status: int) -> dict:
    """Poll /healthz until it answers `status` (state changes elsewhere have no event)."""
    async with asyncio.timeout(10):
        while True:
            got, body = await healthz(port)
            if got == status:
                return body
            await asyncio.sleep(0.02)


@pytest.fixture
async def ops_world(
    emu: SlackEmulator,
    redis: Redis,
    redis_server: RedisProcess,
    config_path: Path,
    clock: FakeClock,
) -> AsyncIterator[tuple[World, int]]:
    port = free_port()
    settings = make_settings(emu, redis_server.url, config_path, metrics_port=port)
    runtime = await start_runtime(emu, settings, clock)
    await emu.wait_connected(1)
    world = World(
        emu, runtime, clock, redis, emu.user("UALICE"), emu.user("UBOB"), emu.user("UCAROL")
    )
    yield world, port
    await runtime.stop()


async def test_metrics_move_as_users_work(ops_world: tuple[World, int]):
    world, port = ops_world
    before = await scrape(port)
    assert value(before, "beacon_envelopes_total", envelope_type="slash_commands") == 0

    await world.alice.slash_command("/incident", "help", channel=world.channel("random"))
    await world.alice.slash_command("/incident", "", channel=world.channel("random"))
    assert world.alice.current_view().title == "Declare incident"  # views.open, by a listener
    await world.alice.close_view()
    incidents = world.channel("incidents")
    await world.alice.slash_command("/incident", "create Disk full --sev P3", channel=incidents)
    card = await world.card("incidents")
    await world.alice.click(card, "Acknowledge")
    await world.settle()

    after = await scrape(port)
    slash = {"envelope_type": "slash_commands", "payload_type": "/incident"}
    assert value(after, "beacon_envelopes_total", **slash) == 3
    assert (
        value(
            after,
            "beacon_envelopes_total",
            envelope_type="interactive",
            payload_type="block_actions",
        )
        == 1
    )
    assert value(after, "beacon_ack_seconds_count", envelope_type="slash_commands") == 3
    assert value(after, "beacon_ack_seconds_bucket", envelope_type="slash_commands", le="3.0") == 3
    # view_closed (if the app asked for it) and block_actions
    assert value(after, "beacon_ack_seconds_count", envelope_type="interactive") >= 1
    # the card, the ack reply in its thread, and the startup auth.test, all ok
    posts = value(after, "beacon_slack_api_calls_total", method="chat.postMessage", error="")
    assert posts == len(world.emu.calls_to("chat.postMessage")) >= 2
    assert value(after, "beacon_slack_api_calls_total", method="auth.test", error="") == 1
    assert value(after, "beacon_slack_api_calls_total", method="views.open", error="") == 1
    assert value(after, "beacon_slack_api_seconds_count", method="chat.postMessage") == posts
    # declared + acknowledged, both applied by this instance; nothing left in the outbox
    assert value(after, "beacon_notifier_events_applied_total") == 2
    assert value(after, "beacon_outbox_lag") == 0
    assert value(after, "beacon_outbox_pending") == 0
    assert value(after, "beacon_redis_up") == 1
    assert value(after, "beacon_slack_socket_connected") == 1
    assert value(after, "beacon_scheduler_timers_fired_total") == 0


async def test_slack_errors_and_429s_are_counted_by_method(ops_world: tuple[World, int]):
    world, port = ops_world
    client = world.runtime.app.client
    with pytest.raises(SlackApiError):
        await client.chat_postMessage(channel="C-NOPE", text="hello")
    world.emu.rate_limit("reactions.add", times=1, retry_after=0)
    with pytest.raises(SlackApiError):  # reactions.add on a message that is not there
        await client.reactions_add(channel=world.channel("random"), timestamp="1.2", name="eyes")

    samples = await scrape(port)
    errors = {
        labels: v
        for (name, labels), v in samples.items()
        if name == "beacon_slack_api_calls_total" and dict(labels)["error"]
    }
    assert (("error", "channel_not_found"), ("method", "chat.postMessage")) in errors, errors
    assert value(samples, "beacon_slack_api_ratelimited_total", method="reactions.add") == 1


async def test_healthz_reports_a_closed_socket(ops_world: tuple[World, int]):
    world, port = ops_world
    status, body = await healthz(port)
    assert status == 200, body
    assert body["redis"] == "ok" and body["slack_socket"] == "connected"
    assert body["status"] == "ok" and body["mode"] == "socket"
    assert body["instance"] == world.runtime.beacon.instance_id

    assert world.runtime.handler is not None
    await world.runtime.handler.close_async()
    body = await wait_health(port, 503)
    assert body["failing"] == ["slack_socket"]
    assert body["slack_socket"] == "disconnected" and body["redis"] == "ok"
    assert value(await scrape(port), "beacon_slack_socket_connected") == 0


async def test_healthz_reports_redis_down(emu: SlackEmulator, config_path: Path, clock: FakeClock):
    server = RedisProcess().start()
    port = free_port()
    runtime = await start_runtime(
        emu, make_settings(emu, server.url, config_path, metrics_port=port), clock
    )
    try:
        await emu.wait_connected(1)
        assert (await healthz(port))[0] == 200
        server.stop()
        body = await wait_health(port, 503)
        assert body["failing"] == ["redis"]
        assert body["redis"].startswith("error:") and body["slack_socket"] == "connected"
        assert value(await scrape(port), "beacon_redis_up") == 0  # /metrics still answers
    finally:
        await runtime.stop()
        server.stop()


async def test_http_mode_has_no_socket_to_check(
    emu: SlackEmulator, redis: Redis, redis_server: RedisProcess, config_path: Path, clock
):
    port = free_port()
    settings = make_settings(
        emu,
        redis_server.url,
        config_path,
        beacon_mode="http",
        slack_signing_secret="s3cret",
        PORT=free_port(),
        metrics_port=port,
    )
    runtime = Runtime(settings, clock=clock)
    await runtime.start()
    try:
        status, body = await healthz(port)
        assert status == 200, body
        assert body["slack_socket"] == "n/a" and body["mode"] == "http"
    finally:
        await runtime.stop()


async def test_off_by_default(world: World):
    assert world.runtime.ops is None
