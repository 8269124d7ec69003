"""An instance killed with SIGKILL mid-burst: every event still reaches Slack exactly once."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections import Counter
from pathlib import Path

from redis.asyncio import Redis

from slack_emulator import SlackEmulator
from tests.redis_proc import RedisProcess

ROOT = Path(__file__).resolve().parents[2]


async def spawn(
    emu: SlackEmulator, redis_url: str, config: Path, name: str | None, tmp: Path,
    reclaim_idle_ms: str = "1000",
) -> asyncio.subprocess.Process:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "BEACON_", "REDIS_"))}
    env.update(
        SLACK_BOT_TOKEN=emu.bot_token,
        SLACK_APP_TOKEN=emu.app_token,
        SLACK_API_URL=emu.base_url,
        REDIS_URL=redis_url,
        BEACON_CONFIG=str(config),
        BEACON_RECLAIM_IDLE_MS=reclaim_idle_ms,
        BEACON_POSTS_PER_SECOND="0",
        PYTHONPATH=str(ROOT),
        LOG_LEVEL="WARNING",
    )
    if name:
        env["BEACON_INSTANCE_ID"] = name
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "app",
        cwd=tmp,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )


async def test_sigkill_mid_burst_loses_and_doubles_nothing(
    emu: SlackEmulator,
    redis: Redis,
    redis_server: RedisProcess,
    config_path: Path,
    tmp_path: Path,
):
    procs = [
        await spawn(emu, redis_server.url, config_path, f"node-{n}", tmp_path) for n in range(2)
    ]
    try:
        await emu.wait_connected(2, timeout=30)
        alice = emu.user("UALICE")
        channel = emu.channel_by_name("incidents").id

        async def declare(i: int) -> bool:
            try:
                await alice.slash_command("/incident", f"create Kill {i} --sev P3", channel)
                return True
            except AssertionError:
                return False  # its instance died before acking; the user would retry

        burst = [asyncio.create_task(declare(i)) for i in range(40)]
        await emu.wait_for(lambda: len(emu.acks) >= 10, timeout=20)
        procs[0].send_signal(signal.SIGKILL)
        acked = sum(await asyncio.gather(*burst))
        keys = "beacon:v1:incidents:all:zset"
        declared = await redis.zcard(keys)
        assert declared >= acked >= 10

        def cards() -> Counter[str]:
            return Counter(
                m.metadata["event_payload"]["incident_id"]
                for m in emu.messages(channel)
                if m.metadata and m.metadata["event_payload"]["event_id"].endswith("#1")
            )

        # The survivor reclaims what the dead instance had read but not finished.
        await emu.wait_for(lambda: len(cards()) == declared, timeout=30)

        async def pending() -> int:
            groups = await redis.xinfo_groups("beacon:v1:events:stream")
            return groups[0]["pending"] + (groups[0]["lag"] or 0)

        async with asyncio.timeout(20):  # the dead instance's last events are taken over
            while await pending():  # noqa: ASYNC110 - Redis state has no Event
                await asyncio.sleep(0.05)
        counts = cards()
        assert len(counts) == declared and set(counts.values()) == {1}
    finally:
        for proc in procs:
            if proc.returncode is None:
                proc.terminate()
                await proc.wait()


async def test_a_restarted_instance_resumes_its_own_work_at_once(
    emu: SlackEmulator,
    redis: Redis,
    redis_server: RedisProcess,
    config_path: Path,
    tmp_path: Path,
):
    """Killed while Slack held its posts back, restarted on the same host: it takes its own
    pending events at once (not after the reclaim idle time, here 60 s) and every card appears
    once, within 10 s of the restart."""

    async def start() -> asyncio.subprocess.Process:
        # No BEACON_INSTANCE_ID: the host name is the stable identity.
        proc = await spawn(emu, redis_server.url, config_path, None, tmp_path,
                           reclaim_idle_ms="60000")
        await emu.wait_connected(1, timeout=30)
        return proc

    proc = await start()
    try:
        alice = emu.user("UALICE")
        channel = emu.channel_by_name("incidents").id
        emu.rate_limit("chat.postMessage", times=10**6, retry_after=1)  # Slack holds posts
        for i in range(10):
            await alice.slash_command("/incident", f"create Resume {i} --sev P3", channel)

        async def pending() -> int:
            groups = await redis.xinfo_groups("beacon:v1:events:stream")
            return int(groups[0]["pending"]) if groups else 0

        async with asyncio.timeout(20):  # node-0 has read them all and is stuck posting
            while await pending() < 10:  # noqa: ASYNC110 - Redis state has no Event
                await asyncio.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        await proc.wait()
        emu.clear_faults()
        restarted = asyncio.get_running_loop().time()
        proc = await start()

        def cards() -> Counter[str]:
            return Counter(
                m.metadata["event_payload"]["incident_id"]
                for m in emu.messages(channel)
                if m.metadata and m.metadata["event_payload"]["event_id"].endswith("#1")
            )

        await emu.wait_for(lambda: len(cards()) == 10, timeout=30)
        took = asyncio.get_running_loop().time() - restarted
        assert took <= 10, f"cards appeared {took:.1f}s after the restart"
        assert set(cards().values()) == {1}
    finally:
        if proc.returncode is None:
            proc.terminate()
            await proc.wait()
