"""Slack answering 429, a crash between Slack's answer and the Redis write, channel pacing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from app.domain.models import NewIncident
from tests.e2e.conftest import World, make_settings, start_runtime


async def declare(world: World, title: str) -> str:
    incident = await world.runtime.beacon.incidents.declare(
        NewIncident(title=title, severity="P3", reporter="UALICE")
    )
    return incident.id


async def test_slack_rate_limits_for_a_minute_then_every_post_arrives_in_order(world: World):
    await declare(world, "Noisy")
    card = await world.card("incidents")
    for method in ("chat.postMessage", "chat.update"):
        world.emu.rate_limit(method, times=10**6, retry_after=5)
    beacon = world.runtime.beacon
    for n in range(1, 6):
        await beacon.incidents.add_note("INC-1", "UBOB", f"step {n}")
    for _ in range(12):  # one emulated minute, in 5 s steps
        await asyncio.sleep(0.06)
        await world.clock.advance(5)
    limited = len([c for c in world.emu.calls_to("chat.postMessage") if c.args.get("thread_ts")])
    assert limited >= 3  # Beacon kept trying (and was refused) during the outage
    assert world.emu.thread(card.channel, card.ts) == []
    world.emu.clear_faults()
    await world.clock.advance(5)
    await world.settle()
    notes = [m.text.split(">")[-1] for m in world.emu.thread(card.channel, card.ts)]
    assert notes == [f"step {n}" for n in range(1, 6)]


@pytest.mark.parametrize("role", ["card", "reply"])
async def test_crash_after_slack_answered_posts_once(world: World, role: str):
    store = world.runtime.beacon.stores.messages
    real = store.record_message
    failed: list[str] = []

    async def flaky(incident_id, which, channel, ts, **kw):
        if which.startswith(role) and not failed:
            failed.append(which)
            raise RedisConnectionError("connection lost after Slack answered")
        return await real(incident_id, which, channel, ts, **kw)

    store.record_message = flaky  # type: ignore[method-assign]
    await declare(world, "Crashy")
    card = await world.card("incidents") if role == "reply" else None
    if role == "reply":
        await world.runtime.beacon.incidents.add_note("INC-1", "UBOB", "only once")
    await world.settle()
    card = card or await world.card("incidents")
    assert failed
    cards = [m for m in world.emu.messages(card.channel) if "*INC-1*" in m.all_text()]
    assert len(cards) == 1
    if role == "reply":
        replies = [m for m in world.emu.thread(card.channel, card.ts) if "only once" in m.text]
        assert len(replies) == 1
        lookups = world.emu.calls_to("conversations.replies")
    else:
        lookups = world.emu.calls_to("conversations.history")
    assert lookups  # the retry looked in Slack for its own message first


@pytest.fixture
async def paced(emu, redis, redis_server, config_path: Path, clock) -> AsyncIterator[World]:
    settings = make_settings(emu, redis_server.url, config_path, beacon_posts_per_second=1)
    runtime = await start_runtime(emu, settings, clock)
    await emu.wait_connected(1)
    emu.enable_rate_limits(now=clock.now)  # Slack's own limits, on Beacon's clock
    yield World(
        emu, runtime, clock, redis, emu.user("UALICE"), emu.user("UBOB"), emu.user("UCAROL")
    )
    await runtime.stop()


async def test_posts_are_paced_per_channel(paced: World):
    for n in range(3):
        await declare(paced, f"Paced {n}")
    channel = paced.channel("incidents")

    def cards() -> int:
        return len([m for m in paced.emu.messages(channel) if m.metadata])

    await paced.emu.wait_for(lambda: cards() == 2, timeout=5)
    await asyncio.sleep(0.2)
    assert cards() == 2  # a burst of two, then the next post waits for a token
    await paced.clock.advance(1)
    await paced.emu.wait_for(lambda: cards() == 3, timeout=5)
    assert paced.emu.rate_limits_drawn() == 0  # paced under Slack's limit, never refused
