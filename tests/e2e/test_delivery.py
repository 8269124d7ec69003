"""The delivery engine under Slack's own limits (the emulator enforces them on Beacon's clock):
storms become rollups, one busy channel never holds up another, pages coalesce."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from redis.asyncio import Redis

from app.clock import FakeClock
from app.domain.models import EventType
from slack_emulator import SlackEmulator
from tests.e2e.conftest import World
from tests.e2e.intake import Api, api_world
from tests.redis_proc import RedisProcess

STORM_CONFIG = (Path(__file__).parent / "delivery.yml").read_text()  # bench/storm.py too


@pytest.fixture
def storm_config(tmp_path: Path) -> Path:
    path = tmp_path / "storm.yml"
    path.write_text(STORM_CONFIG)
    return path


@contextlib.asynccontextmanager
async def running_clock(clock: FakeClock, step: float = 0.01) -> AsyncIterator[None]:
    """Emulated time runs by itself, about twice as fast as real time: Beacon's pacing and
    the emulator's rate limits both read this clock."""

    async def pump() -> None:
        while True:
            await clock.advance(step)
            await asyncio.sleep(0.005)

    task = asyncio.create_task(pump())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def until(clock: FakeClock, at: float) -> None:
    while clock.now() < at:  # noqa: ASYNC110 - the pump moves the clock
        await asyncio.sleep(0.002)


async def declare(api: Api, title: str, **extra: str) -> str:
    status, body = await api.post("/incidents", {"title": title, "severity": "P3", **extra})
    assert status == 201, body
    return str(body["incident"]["id"])


@contextlib.asynccontextmanager
async def limited(
    emu: SlackEmulator, redis: Redis, redis_server: RedisProcess, config: Path, clock: FakeClock,
    **settings: object,
) -> AsyncIterator[tuple[World, Api]]:
    async with api_world(emu, redis, redis_server.url, config, clock,
                         beacon_posts_per_second=1, **settings) as (world, api):
        # Slack's limits from here on (the socket is connected: its Tier 1 call is behind us).
        emu.enable_rate_limits(now=clock.now)
        async with running_clock(clock):
            yield world, api


def text_of(emu: SlackEmulator, channel: str) -> str:
    return "\n".join(m.all_text() for m in emu.messages(channel))


async def acknowledged_events(world: World) -> Counter[str]:
    entries = await world.redis.xrange(world.runtime.beacon.stores.keys.events())
    return Counter(f["incident_id"] for _, f in entries if f["type"] == EventType.ACKNOWLEDGED)


async def test_storm_of_200_is_visible_within_20s_acked_once_and_pages_once(
    emu: SlackEmulator, redis: Redis, redis_server: RedisProcess, storm_config: Path,
    clock: FakeClock,
):
    async with limited(emu, redis, redis_server, storm_config, clock) as (world, api):
        start = clock.now()
        ids: list[str] = []
        for second in range(10):  # 200 incidents in 10 s, all for #incidents
            ids += [await declare(api, f"Disk full on node {second * 20 + i}")
                    for i in range(20)]
            await until(clock, start + second + 1)
        last = clock.now()
        channel = world.channel("incidents")

        def all_visible() -> bool:
            text = text_of(emu, channel)
            return all(f"*{i}*" in text for i in ids)

        await emu.wait_for(all_visible, timeout=60)
        assert clock.now() - last <= 20, f"visible {clock.now() - last:.1f}s after the last one"
        assert emu.rate_limits_drawn() == 0  # paced under every limit, never refused

        rollups = [m for m in emu.messages(channel) if "new incidents since" in m.all_text()]
        assert 1 <= len(rollups) <= 6  # 40 rows per message at most
        cards = [m for m in emu.messages(channel) if m.attachments]
        assert len(cards) + sum(m.all_text().count("rollup-row") for m in rollups) <= 200
        # Each person paged gets one DM for the storm (plus one per card before it began).
        bob_dms = emu.dms("UBOB")
        assert len(bob_dms) <= len(cards) + 1
        storm_dm = await emu.wait_for(lambda: next(
            (m for m in emu.dms("UBOB") if f"paged for {200 - len(cards)} incidents" in m.text),
            None), timeout=30)
        assert storm_dm is not None

        # One row through its ⋯ menu: Details opens the card in a modal, Acknowledge acts.
        first_row = next(b["block_id"] for b in rollups[0].blocks
                         if b.get("block_id", "").startswith("rollup-row-"))
        one = first_row.removeprefix("rollup-row-")
        await world.bob.select(world.fresh(rollups[0]), "Details", block_id=first_row)
        modal = await emu.wait_for(lambda: next(
            (v for v in emu.all_views() if v.user_id == "UBOB" and f"*{one}*" in v.all_text()),
            None), timeout=10)
        assert "Acknowledge" not in modal.buttons()  # a read-only copy of the card
        await world.bob.select(world.fresh(rollups[0]), "Acknowledge", block_id=first_row)

        # Acknowledge all, on every rollup message; a second press finds nothing left.
        for rollup in rollups:
            fresh = world.fresh(rollup)
            [label] = [b for b in fresh.buttons() if b.startswith("Acknowledge all")]
            await world.alice.click(fresh, label)
        await world.alice.click(world.fresh(rollups[0]), next(
            b for b in world.fresh(rollups[0]).buttons() if b.startswith("Acknowledge all")))
        listed = [i for i in ids if f"*{i}*" in "\n".join(m.all_text() for m in rollups)]

        async def all_acked() -> bool:
            return set(listed) <= set(await acknowledged_events(world))

        async with asyncio.timeout(30):
            while not await all_acked():  # noqa: ASYNC110 - Redis state has no Event
                await asyncio.sleep(0.05)
        counts = await acknowledged_events(world)
        assert all(counts[i] == 1 for i in listed)  # each exactly once
        await world.alice.wait_ephemeral("You acknowledged", channel)
        # The rollups re-render: nothing left to acknowledge, each row says who did.
        await emu.wait_for(lambda: all(
            not any(b.startswith("Acknowledge all") for b in world.fresh(r).buttons())
            for r in rollups), timeout=30)
        assert "Acknowledged ✓ by <@UALICE>" in world.fresh(rollups[0]).all_text()
        assert counts[one] == 1 and f"*{one}*" in text_of(emu, channel)
        row = next(b for b in world.fresh(rollups[0]).blocks if b.get("block_id") == first_row)
        assert "Acknowledged ✓ by <@UBOB>" in row["text"]["text"]  # bob's, not alice's
        # One reply in the rollup thread says it, not one per incident.
        replies = emu.thread(channel, rollups[0].ts)
        assert len([r for r in replies if "acknowledged every incident" in r.text]) == 1
        assert emu.rate_limits_drawn() == 0


async def test_a_busy_channel_does_not_hold_up_another(
    emu: SlackEmulator, redis: Redis, redis_server: RedisProcess, storm_config: Path,
    clock: FakeClock,
):
    # Storm rollups off: #incidents really has 40 cards to post at one a second.
    async with limited(emu, redis, redis_server, storm_config, clock,
                       beacon_storm_threshold=0) as (world, api):
        for n in range(40):
            await declare(api, f"Busy {n}")
        started = clock.now()
        quiet = [await declare(api, f"Payments {n}", service="payments") for n in range(4)]
        channel = world.channel("payments-oncall")

        def quiet_cards(n: int) -> bool:
            text = text_of(emu, channel)
            return sum(f"*{i}*" in text for i in quiet) >= n

        await emu.wait_for(lambda: quiet_cards(1), timeout=30)
        first = clock.now() - started
        await emu.wait_for(lambda: quiet_cards(4), timeout=30)
        waited = clock.now() - started
        busy = len([m for m in emu.messages(world.channel("incidents")) if m.attachments])
        # Before lanes these waited behind all 40 (41 s). Now only their own channel's pace
        # counts: 4 cards and 4 "paged" replies at a burst of 2, then one a second.
        assert first <= 2, f"the quiet channel's first card waited {first:.1f}s"
        assert waited <= 8, f"the quiet channel waited {waited:.1f}s"
        assert busy < 30  # the busy channel was still working through its queue
        assert emu.rate_limits_drawn() == 0


async def test_a_fault_in_beacon_is_told_and_does_not_hold_the_lane(world: World, monkeypatch):
    """Not an outage but a bug: tried a few times, told to the person, then the lane goes on."""
    from app.notifier.handlers.cards import Cards

    real = Cards.reply

    async def broken(self, incident, event, redelivered):  # type: ignore[no-untyped-def]
        if incident.id == "INC-1":
            raise RuntimeError("a bug in a handler")
        await real(self, incident, event, redelivered)

    monkeypatch.setattr(Cards, "reply", broken)
    channel = world.channel("incidents")
    for title in ("First", "Second"):
        await world.alice.slash_command("/incident", f"create {title} --sev P3", channel=channel)
    first, second = await world.card("incidents", "INC-1"), await world.card("incidents", "INC-2")
    await world.bob.click(first, "Acknowledge")
    await world.bob.click(second, "Acknowledge")
    await world.reply("incidents", second, "Acknowledged by <@UBOB>")
    told = await world.emu.wait_for(lambda: next(
        (m for m in world.emu.dms("UBOB") if "Beacon hit a fault of its own" in m.text), None),
        timeout=20)
    assert "INC-1" in told.text and "The incident itself is saved" in told.text
    await world.settle()  # set aside, not left pending


FOUR_CHANNELS = STORM_CONFIG.replace(
    'services:\n  payments: {name: Payments, channel: "#payments-oncall"}\n',
    'services:\n  payments: {name: Payments, channel: "#payments-oncall"}\n'
    '  search: {name: Search, channel: "#random"}\n'
    '  db: {name: Database, channel: "#incidents-critical"}\n',
).replace(
    'channels:\n  "#payments-oncall": {min_severity: P4}\n',
    'channels:\n  "#payments-oncall": {min_severity: P4}\n  "#random": {min_severity: P4}\n'
    '  "#incidents-critical": {min_severity: P4}\n',
)


async def test_a_person_paged_from_every_channel_holds_up_no_channel(
    emu: SlackEmulator, redis: Redis, redis_server: RedisProcess, tmp_path: Path,
    clock: FakeClock,
):
    """Bob is paged for 12 incidents in 4 channels at once: his DM channel takes one post a
    second, so his pages need ~10 s. They go out in his own lane; the 4 channels' cards don't
    wait for them (inline, every card after a page waited for Bob's pace)."""
    config = tmp_path / "four.yml"
    config.write_text(FOUR_CHANNELS)
    assert "#random" in FOUR_CHANNELS and "#incidents-critical" in FOUR_CHANNELS
    async with limited(emu, redis, redis_server, config, clock) as (world, api):
        started = clock.now()
        ids = [
            await declare(api, f"{service or 'default'} {n}", **({"service": service} if service
                                                                 else {}))
            for n in range(3) for service in ("", "payments", "search", "db")
        ]

        def cards() -> int:
            text = "\n".join(text_of(emu, world.channel(c)) for c in
                             ("incidents", "payments-oncall", "random", "incidents-critical"))
            return sum(f"*{i}*" in text for i in ids)

        def pages() -> int:
            return sum(1 for m in emu.dms("UBOB") if "You are paged" in m.all_text())

        await emu.wait_for(lambda: cards() == 12, timeout=30)
        all_cards = clock.now() - started
        pages_then = pages()
        await emu.wait_for(lambda: pages() == 12, timeout=60)
        all_pages = clock.now() - started
        assert all_cards <= 5, f"cards waited {all_cards:.1f}s"
        assert pages_then < 12 and all_pages > all_cards + 2, (pages_then, all_pages)
        await world.settle()
        assert pages() == 12  # once each
        assert emu.rate_limits_drawn() == 0
