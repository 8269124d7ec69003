"""Redis faults, as users live them: Redis stopped, Redis SIGKILLed mid-burst, Sentinel failover.

Each test owns its redis-server (and sentinel) processes on free ports, so it can stop and kill
them; the session's shared redis_server is never touched.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from redis.asyncio import Redis

from app.clock import FakeClock
from app.domain.errors import DatabaseUnavailable
from app.settings import Settings, StartupError
from app.store import connect as redis_connect
from app.store.connect import make_retry
from slack_emulator import SlackEmulator
from tests.e2e.conftest import World, make_settings, start_runtime
from tests.redis_proc import RedisProcess, SentinelProcess, free_port

UNAVAILABLE = DatabaseUnavailable().user_message
assert UNAVAILABLE.startswith("Beacon can't reach its database right now, so nothing was changed")
DECLARED = re.compile(r"Declared \*(INC-\d+)\*")


def fast(**extra: object) -> dict[str, object]:
    """Post cards without per-channel pacing (when this checkout has it) to keep tests fast."""
    if "beacon_posts_per_second" in Settings.model_fields:
        extra["beacon_posts_per_second"] = 0
    return extra


@asynccontextmanager
async def own_world(
    emu: SlackEmulator, settings: Settings, clock: FakeClock, direct_url: str
) -> AsyncIterator[World]:
    """A Beacon of its own; `direct_url` is where the test itself reads Redis."""
    runtime = await start_runtime(emu, settings, clock)
    # The test's own reads reconnect after a restart, like Beacon's.
    direct = Redis.from_url(direct_url, decode_responses=True, retry=make_retry())
    world = World(
        emu, runtime, clock, direct, emu.user("UALICE"), emu.user("UBOB"), emu.user("UCAROL")
    )
    try:
        await emu.wait_connected(1)
        yield world
    finally:
        await runtime.stop()
        await world.redis.aclose()


@pytest.fixture
def aof_redis() -> Iterator[RedisProcess]:
    server = RedisProcess(appendonly=True).start()  # appendfsync always (see RedisProcess)
    yield server
    server.stop()


async def poll(check, timeout: float = 10.0, what: str = "condition"):  # noqa: ASYNC109
    """Await `check()` until it returns something truthy; Redis state has no event to wait on."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        try:
            result = await check()
        except Exception:  # a process still starting or failing over
            result = None
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"{what} not met within {timeout}s")
        await asyncio.sleep(0.05)


async def idle(world: World) -> None:
    """The notifier has applied every event and let go of its per-incident locks.

    Stopping Redis while the notifier holds a lock leaves the lock behind until its TTL, and
    that incident's updates wait for it; this test is about the clicker, so it stops an idle
    Beacon.
    """
    await world.settle()

    async def no_locks() -> bool:
        return not [k async for k in world.redis.scan_iter(match="*:lock:*")]

    await poll(no_locks, 10, "notifier locks released")


def cards_of(world: World, channel: str, incident_id: str) -> list:
    """Top-level messages in `channel` that are the card of `incident_id`."""
    cid = world.channel(channel)
    return [
        m
        for m in world.emu.messages(cid)
        if f"*{incident_id}*" in m.all_text() and (m.metadata or {}).get("event_type")
    ]


async def test_redis_stopped_then_back_without_restarting_beacon(
    emu: SlackEmulator, aof_redis: RedisProcess, config_path: Path, clock: FakeClock
):
    settings = make_settings(emu, aof_redis.url, config_path, **fast())
    async with own_world(emu, settings, clock, aof_redis.url) as world:
        ch = world.channel("incidents")
        await world.alice.slash_command("/incident", "create Disk full --sev P3", channel=ch)
        card = await world.card("incidents", "INC-1")
        # Open the Declare form while Redis is up: opening it goes through the middleware too.
        await world.bob.slash_command("/incident", "", channel=ch)
        await world.bob.fill({"Title": "Queue stuck", "Severity": "P2 · High (HIGH)"})
        await idle(world)

        aof_redis.stop()

        await world.alice.click(card, "Acknowledge")
        await world.alice.wait_ephemeral(UNAVAILABLE, ch)
        await world.carol.slash_command("/incident", "ack INC-1", channel=ch)
        await world.carol.wait_ephemeral(UNAVAILABLE, ch)
        result = await world.bob.submit()
        assert result.response_action == "errors"
        assert result.errors_by_label == {"Title": UNAVAILABLE}  # on the first input block
        assert world.bob.current_view() is not None  # the form stays open to try again

        aof_redis.start()  # same port, same --dir: the AOF brings INC-1 back

        await world.alice.click(card, "Acknowledge")
        reply = await world.reply("incidents", card, "Acknowledged by")
        assert "<@UALICE>" in reply.text
        assert (await world.bob.submit()).errors == {}
        await world.card("incidents", "INC-2")
        incident = await world.runtime.beacon.incidents.get("INC-1")
        assert incident.status.value == "ACKNOWLEDGED"
        # Nothing was half-done while Redis was away: one ack, no stray replies.
        await world.settle()
        acks = [m for m in emu.thread(card.channel, card.ts) if "Acknowledged by" in m.text]
        assert len(acks) == 1


async def test_kill_9_mid_burst_loses_no_declared_incident_and_posts_each_card_once(
    emu: SlackEmulator, aof_redis: RedisProcess, config_path: Path, clock: FakeClock
):
    n = 30
    # A notifier lease caught by the kill outlives it (SET NX with a TTL of the reclaim delay);
    # a short delay keeps that wait, and this test, short.
    settings = make_settings(emu, aof_redis.url, config_path, **fast(beacon_reclaim_idle_ms=1000))
    async with own_world(emu, settings, clock, aof_redis.url) as world:
        ch = world.channel("incidents")
        alice = world.alice

        def declared() -> set[str]:
            return {
                m.group(1) for e in alice.ephemerals(ch) if (m := DECLARED.search(e.all_text()))
            }

        def answered() -> int:
            return len([e for e in alice.ephemerals(ch) if DECLARED.search(e.all_text())]) + len(
                [e for e in alice.ephemerals(ch) if UNAVAILABLE in e.all_text()]
            )

        # Pull the plug from inside the emulator, the moment the n/3-th "Declared" lands, so
        # the rest of the burst is cut wherever it is (between INCR and the Lua script, ...).
        notify = emu.notify

        def notify_and_maybe_kill() -> None:
            if len(declared()) >= n // 3:
                aof_redis.kill()  # SIGKILL: whatever is fsynced is all there is
            notify()

        emu.notify = notify_and_maybe_kill  # type: ignore[method-assign]
        try:
            await asyncio.gather(
                *(
                    alice.slash_command("/incident", f"create Burst {i} --sev P3", channel=ch)
                    for i in range(n)
                )
            )
        finally:
            emu.notify = notify  # type: ignore[method-assign]
        # every command is answered: declared, or "can't reach its database"
        await emu.wait_for(lambda: answered() == n, timeout=10)
        told_declared = declared()
        assert len(told_declared) >= n // 3

        aof_redis.start()  # restart from the AOF in the same --dir

        keys = world.runtime.beacon.stores.keys
        stored = set(await world.redis.zrange(keys.incidents_all(), 0, -1))
        assert told_declared <= stored  # no acknowledged declaration was lost
        triggered = {
            fields["incident_id"]
            for _, fields in await world.redis.xrange(keys.events())
            if fields["type"] == "incident.triggered"
        }
        for incident_id in told_declared:
            assert await world.redis.hget(keys.incident(incident_id), "title"), incident_id
            assert incident_id in triggered, incident_id

        # The notifier recovers by itself: every stored incident gets its card, exactly once.
        await emu.wait_for(lambda: all(cards_of(world, "incidents", i) for i in stored), timeout=30)
        await world.settle()
        doubled = {i: len(cards_of(world, "incidents", i)) for i in stored}
        assert all(count == 1 for count in doubled.values()), doubled
        posted = {
            m.metadata["event_payload"]["incident_id"]
            for m in emu.messages(world.channel("incidents"))
            if (m.metadata or {}).get("event_type")
        }
        assert posted == stored


async def _sentinel_view(sentinel: SentinelProcess) -> dict:
    async with Redis(host="127.0.0.1", port=sentinel.port, decode_responses=True) as client:
        return await client.sentinel_master("mymaster")


async def test_sentinel_failover_keeps_both_incidents_once(
    emu: SlackEmulator, config_path: Path, clock: FakeClock, tmp_path: Path
):
    master = RedisProcess(appendonly=True).start()
    replica = RedisProcess(appendonly=True, replicaof=master.port).start()
    sentinels: list[SentinelProcess] = []
    try:

        async def replica_in_sync() -> bool:
            async with Redis(host="127.0.0.1", port=replica.port) as r:
                return (await r.info("replication"))["master_link_status"] == "up"

        await poll(replica_in_sync, 10, "the replica syncing from the master")
        sentinels = [SentinelProcess(master.port, tmp_path).start() for _ in range(3)]

        # A failover needs the sentinels to know the replica and each other (hello messages).
        async def topology_known() -> bool:
            views = [await _sentinel_view(s) for s in sentinels]
            return all(v["num-other-sentinels"] == 2 and v["num-slaves"] == 1 for v in views)

        await poll(topology_known, 15, "sentinels discovering each other and the replica")

        nodes = ",".join(f"127.0.0.1:{s.port}" for s in sentinels)
        settings = make_settings(emu, None, config_path, redis_sentinels=nodes, **fast())
        async with own_world(emu, settings, clock, master.url) as world:
            ch = world.channel("incidents")
            await world.alice.slash_command("/incident", "create Primary --sev P3", channel=ch)
            await world.alice.wait_ephemeral("Declared *INC-1*", ch)
            await world.card("incidents", "INC-1")
            await world.settle()  # the card's ts and the stream ack are written too
            # Replication is asynchronous: a master that dies right after a write can take it
            # along, and Sentinel promotes a replica without it. That is Redis's documented
            # trade-off (WAIT narrows it, it does not make it synchronous); here we make sure
            # the replica has everything before pulling the plug.
            assert await world.redis.wait(1, 2000) == 1

            master.kill()

            async def promoted() -> bool:
                async with Redis(
                    host="127.0.0.1", port=sentinels[0].port, decode_responses=True
                ) as s:
                    addr = await s.sentinel_get_master_addr_by_name("mymaster")
                return addr is not None and int(addr[1]) == replica.port

            await poll(promoted, 20, "a sentinel promoting the replica")

            await world.alice.slash_command("/incident", "create Secondary --sev P3", channel=ch)
            await world.alice.wait_ephemeral("Declared *INC-2*", ch, timeout=10)
            await world.card("incidents", "INC-2")

            async with Redis(
                host="127.0.0.1", port=replica.port, decode_responses=True
            ) as new_master:
                role = await new_master.role()
                assert role[0] == "master"
                keys = world.runtime.beacon.stores.keys
                assert await new_master.zrange(keys.incidents_all(), 0, -1) == ["INC-1", "INC-2"]
                assert await new_master.get(keys.incident_seq()) == "2"
                for incident_id, title in (("INC-1", "Primary"), ("INC-2", "Secondary")):
                    assert await new_master.hget(keys.incident(incident_id), "title") == title
                # the test's own reads follow the new master from here
                await world.redis.aclose()
                world.redis = Redis(host="127.0.0.1", port=replica.port, decode_responses=True)
                await world.settle()
            for incident_id in ("INC-1", "INC-2"):
                assert len(cards_of(world, "incidents", incident_id)) == 1, incident_id
            declared = [e for e in world.alice.ephemerals(ch) if DECLARED.search(e.all_text())]
            assert len(declared) == 2
    finally:
        for sentinel in sentinels:
            sentinel.stop()
        replica.stop()
        master.stop()


# --- start-up: one line that says what is wrong ------------------------------------------


async def test_url_and_sentinels_both_set_is_one_clear_line():
    settings = Settings(redis_url="redis://127.0.0.1:1/0", redis_sentinels="127.0.0.1:2")
    with pytest.raises(StartupError) as err:
        await redis_connect.connect(settings, settings.redis_url)
    line = str(err.value)
    assert "\n" not in line
    assert "REDIS_URL and REDIS_SENTINELS are both set" in line


async def test_unreachable_sentinels_name_sentinels_and_master():
    ports = [free_port(), free_port()]  # nothing listens there
    nodes = ",".join(f"127.0.0.1:{p}" for p in ports)
    settings = Settings(redis_sentinels=nodes, redis_sentinel_master="beacon-main")
    with pytest.raises(StartupError) as err:
        await redis_connect.connect(settings, None)
    line = str(err.value)
    assert "\n" not in line
    assert f"Redis master 'beacon-main' via the sentinels at {nodes} is unreachable" in line
    assert "REDIS_SENTINELS" in line  # says what to fix


def test_malformed_sentinel_entry_is_named():
    with pytest.raises(StartupError, match="REDIS_SENTINELS entry 'sentinel-a' is not host:port"):
        redis_connect.parse_sentinels("10.0.0.1:26379, sentinel-a")
    assert redis_connect.parse_sentinels(" a:1 ,b:2,") == [("a", 1), ("b", 2)]
