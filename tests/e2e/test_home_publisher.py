"""App Home is republished by its own debounced task, not on the notifier's path."""

from __future__ import annotations

import asyncio

from app.domain.models import NewIncident
from app.home import HomePublisher
from tests.e2e.conftest import World

VIEWERS = ("UALICE", "UBOB", "UCAROL")


def home_of(world: World) -> HomePublisher:
    beacon = world.runtime.beacon
    assert beacon is not None and beacon.notifier.home is not None
    return beacon.notifier.home


def publishes(world: World, user_id: str) -> int:
    return sum(1 for c in world.emu.calls_to("views.publish") if c.args.get("user_id") == user_id)


def shows(world: World, user_id: str, *texts: str) -> bool:
    view = world.emu.home_views.get(user_id)
    return view is not None and all(t in view.all_text() for t in texts)


async def open_homes(world: World) -> None:
    for user in (world.alice, world.bob, world.carol):
        await user.open_app_home()
        await world.emu.wait_for(user.home_view, timeout=10)


async def until(predicate, timeout: float = 10.0) -> None:  # noqa: ASYNC109
    """Poll state the emulator is not told about (the publisher's own counters)."""
    async with asyncio.timeout(timeout):
        while not predicate():  # noqa: ASYNC110 - plain attributes have no Event
            await asyncio.sleep(0.005)


async def past_debounce(world: World) -> None:
    await world.clock.advance(home_of(world).min_interval_s + 0.1)


async def test_burst_of_changes_is_published_in_few_passes(world: World):
    beacon = world.runtime.beacon
    home = home_of(world)
    await open_homes(world)
    reads = 0
    open_counts = beacon.incidents.open_counts

    async def counting_open_counts(*args, **kwargs):
        nonlocal reads
        reads += 1
        return await open_counts(*args, **kwargs)

    beacon.incidents.open_counts = counting_open_counts  # type: ignore[method-assign]
    before = {u: publishes(world, u) for u in VIEWERS}
    passes = home.passes

    for n in range(20):
        await beacon.incidents.declare(NewIncident(
            title=f"Burst {n}", severity="P2", reporter="UBOB",
            assignee="UALICE" if n == 19 else None))
    await world.settle()
    await past_debounce(world)
    for user_id in VIEWERS:
        await world.emu.wait_for(
            lambda u=user_id: shows(world, u, "*All open incidents (20)*", "Burst 19"),
            timeout=10)
    assert shows(world, "UALICE", "*Assigned to you (1)*")
    assert shows(world, "UBOB", "*Assigned to you (0)*")
    await asyncio.sleep(0.2)  # a pass still under way would add its publishes now

    ran = home.passes - passes
    assert 1 <= ran <= 3, ran  # the clock moved past one debounce: a leading and a trailing pass
    for user_id in VIEWERS:
        assert publishes(world, user_id) - before[user_id] <= ran, user_id  # not one per change
    assert reads <= ran  # the open counts are read once per pass, not once per viewer


async def test_changes_during_the_debounce_wait_for_it(world: World):
    beacon = world.runtime.beacon
    home = home_of(world)
    await open_homes(world)
    await beacon.incidents.declare(NewIncident(title="First", severity="P2", reporter="UBOB"))
    await world.settle()
    # the first change after a quiet spell is published at once
    await world.emu.wait_for(lambda: shows(world, "UBOB", "First"), timeout=10)
    passes, published = home.passes, publishes(world, "UBOB")

    for title in ("Second", "Third"):
        await beacon.incidents.declare(NewIncident(title=title, severity="P2", reporter="UBOB"))
    await world.settle()
    await asyncio.sleep(0.3)  # real time passes, Beacon's clock does not: still debouncing
    assert home.passes == passes and publishes(world, "UBOB") == published
    assert not shows(world, "UBOB", "Third")

    await past_debounce(world)
    await world.emu.wait_for(lambda: shows(world, "UBOB", "Second", "Third"), timeout=10)
    await asyncio.sleep(0.2)
    assert home.passes == passes + 1  # both changes folded into one pass
    assert publishes(world, "UBOB") == published + 1


async def test_opening_home_publishes_at_once_while_debouncing(world: World):
    beacon = world.runtime.beacon
    await world.alice.open_app_home()
    await world.emu.wait_for(world.alice.home_view, timeout=10)
    await beacon.incidents.declare(NewIncident(title="Early", severity="P2", reporter="UBOB"))
    await world.settle()
    await world.emu.wait_for(lambda: shows(world, "UALICE", "Early"), timeout=10)
    await beacon.incidents.declare(NewIncident(title="Late", severity="P2", reporter="UBOB"))
    await world.settle()
    # the publisher waits out its debounce, but someone opening the tab sees it now
    await world.bob.open_app_home()
    await world.emu.wait_for(lambda: shows(world, "UBOB", "Early", "Late"), timeout=10)
    assert await world.redis.zscore(beacon.stores.keys.home_viewers(), "UBOB") is not None


async def test_failures_are_logged_and_the_loop_goes_on(world: World):
    beacon = world.runtime.beacon
    home = home_of(world)
    await open_homes(world)
    # a viewer Slack does not know: views.publish fails for them only
    await world.redis.zadd(beacon.stores.keys.home_viewers(), {"UGHOST": world.clock.now() + 1})
    await beacon.incidents.declare(NewIncident(title="One", severity="P2", reporter="UBOB"))
    await world.settle()
    for user_id in VIEWERS:
        await world.emu.wait_for(lambda u=user_id: shows(world, u, "One"), timeout=10)
    assert "UGHOST" not in world.emu.home_views

    # a whole pass fails (say Redis is away): the change is kept for the next pass
    snapshot = home._snapshot
    failures = 0

    async def failing_snapshot():
        nonlocal failures
        failures += 1
        if failures == 1:
            raise ConnectionError("redis away")
        return await snapshot()

    home._snapshot = failing_snapshot  # type: ignore[method-assign]
    await beacon.incidents.declare(NewIncident(title="Two", severity="P2", reporter="UBOB"))
    await world.settle()
    await past_debounce(world)
    await until(lambda: failures >= 1)
    assert not shows(world, "UALICE", "Two")
    await past_debounce(world)  # no new change: the failed pass is retried all the same
    for user_id in VIEWERS:
        await world.emu.wait_for(lambda u=user_id: shows(world, u, "Two"), timeout=10)
    assert failures == 2
