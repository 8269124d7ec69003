"""Several instances, redeliveries, Slack faults: nothing lost, nothing doubled."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from redis.asyncio import Redis

from app.clock import FakeClock
from app.domain.models import EventType, NewIncident
from app.main import Runtime
from slack_emulator import SlackEmulator
from tests.e2e.conftest import World, make_settings, start_runtime
from tests.redis_proc import RedisProcess


@pytest.fixture
async def cluster(
    emu: SlackEmulator,
    redis: Redis,
    redis_server: RedisProcess,
    config_path: Path,
    clock: FakeClock,
) -> AsyncIterator[list[Runtime]]:
    """Three Beacon instances on one Redis and one Slack, as in production."""
    runtimes = []
    for n in range(3):
        settings = make_settings(
            emu,
            redis_server.url,
            config_path,
            beacon_instance_id=f"beacon-{n}",
            # Short for a test, yet longer than the event-loop stalls of a loaded 2-core
            # machine: three instances share one loop here, and a lease lapsing while its
            # holder is stalled mid-post lets another post a second copy (production: 30 s).
            beacon_reclaim_idle_ms=3000,
        )
        runtimes.append(await start_runtime(emu, settings, clock))
    await emu.wait_connected(3)
    yield runtimes
    for runtime in runtimes:
        await runtime.stop()


@pytest.fixture
def world3(emu, cluster, clock, redis) -> World:
    return World(
        emu, cluster[0], clock, redis, emu.user("UALICE"), emu.user("UBOB"), emu.user("UCAROL")
    )


def cards_by_incident(emu: SlackEmulator, channel: str) -> Counter[str]:
    return Counter(
        m.metadata["event_payload"]["incident_id"]
        for m in emu.messages(channel)
        if m.metadata and m.metadata["event_payload"]["event_id"].endswith("#1")
    )


async def stream_types(world: World) -> Counter[str]:
    entries = await world.redis.xrange(world.runtime.beacon.stores.keys.events())
    return Counter(fields["type"] for _, fields in entries)


async def test_hundred_concurrent_acks_across_three_instances(world3: World, emu: SlackEmulator):
    channel = world3.channel("incidents")
    await world3.alice.slash_command("/incident", "create Hot path --sev P3", channel=channel)
    card = await world3.card("incidents")
    clickers = [
        emu.user(emu.add_user(None, f"user{i}", f"User {i}", f"u{i}@example.com"))
        for i in range(100)
    ]
    for user in clickers:
        emu.channels[channel].members.add(user.id)
    results = await asyncio.gather(*(u.click(card, "Acknowledge") for u in clickers))
    assert all(r.ack is not None for r in results)
    served = {a.connection for a in emu.acks[-100:]}
    await world3.settle()
    assert (await stream_types(world3))[EventType.ACKNOWLEDGED] == 1
    replies = [m for m in emu.thread(card.channel, card.ts) if "Acknowledged by" in m.text]
    assert len(replies) == 1
    told = [
        u for u in clickers if any("already acknowledged" in m.text for m in u.ephemerals(channel))
    ]
    assert len(told) == 99
    assert len(served) == 3  # Slack spread the clicks over all three sockets


async def test_fifty_incidents_across_instances_fifty_cards(world3: World, emu: SlackEmulator):
    channel = world3.channel("incidents")
    await asyncio.gather(
        *(
            world3.alice.slash_command("/incident", f"create Burst {i} --sev P3", channel=channel)
            for i in range(50)
        )
    )
    await world3.settle()
    cards = cards_by_incident(emu, channel)
    assert len(cards) == 50 and set(cards.values()) == {1}
    consumers = await world3.redis.xinfo_consumers(
        world3.runtime.beacon.stores.keys.events(), "notifier"
    )
    assert len(consumers) == 3


async def test_twenty_timers_fire_once_each(world3: World, emu: SlackEmulator, cluster):
    beacon = world3.runtime.beacon
    for i in range(20):
        incident = await beacon.incidents.declare(
            NewIncident(title=f"Timer {i}", severity="P4", reporter="UALICE")
        )
        await beacon.incidents.acknowledge(incident.id, "UALICE")  # a snooze needs an owner
        await beacon.incidents.snooze(incident.id, "UALICE", 60 + i)
    await world3.settle()
    await world3.clock.advance(120)
    async with asyncio.timeout(10):
        while (await stream_types(world3))[EventType.UNSNOOZED] < 20:  # noqa: ASYNC110
            await asyncio.sleep(0.01)
    await world3.settle()
    assert (await stream_types(world3))[EventType.UNSNOOZED] == 20
    fired = [r.beacon.scheduler.fired for r in cluster]
    assert sum(fired) == 20
    wakes = [
        m
        for m in emu.messages(world3.channel("incidents"))
        for r in emu.thread(m.channel, m.ts)
        if "Snooze is over" in r.text
    ]
    assert len(wakes) == 20


async def test_socket_dropped_mid_burst_every_click_acted_once(world3: World, emu: SlackEmulator):
    beacon = world3.runtime.beacon
    for i in range(30):
        await beacon.incidents.declare(
            NewIncident(title=f"Drop {i}", severity="P4", reporter="UALICE")
        )
    await world3.settle()
    channel = world3.channel("incidents")
    cards = {
        m.metadata["event_payload"]["incident_id"]: m for m in emu.messages(channel) if m.metadata
    }
    assert len(cards) == 30
    start = len(emu.envelopes)

    async def click(incident_id: str) -> None:
        try:
            await world3.bob.click(cards[incident_id], "Acknowledge")
        except AssertionError:
            pass  # no ack: the socket went away under it; Slack retries below

    acks_before = len(emu.acks)
    emu.disconnect_grace = 0  # Slack may close right after asking to refresh
    clicks = [asyncio.create_task(click(f"INC-{i}")) for i in range(1, 31)]
    await emu.wait_for(lambda: len(emu.acks) >= acks_before + 3, timeout=5)
    await emu.disconnect_all("refresh_requested")
    await asyncio.gather(*clicks)
    await emu.wait_connected(3)
    burst = [e["envelope_id"] for e in emu.envelopes[start:]]
    assert len(burst) == 30
    # Slack retries what it did not see acked; retry every click, acked or not, to prove a
    # redelivery never acts twice.
    for envelope_id in burst:
        assert await emu.redeliver(envelope_id) is not None
    await world3.settle()
    assert (await stream_types(world3))[EventType.ACKNOWLEDGED] == 30
    for card in cards.values():
        replies = [m for m in emu.thread(card.channel, card.ts) if "Acknowledged by" in m.text]
        assert len(replies) == 1
    assert not [m for m in world3.bob.ephemerals(channel) if "already" in m.text]
