"""CPU of one envelope through Beacon's Bolt app, in-process, for A/B comparisons of the ack path.

ack_burst's CPU per envelope moves by ±30% on a shared 2-core VM, more than most single
changes to the ack path. This runs Beacon (app.main.Runtime, LOG_LEVEL=INFO to a file, a private
redis-server) in this process and hands envelopes to `app.async_dispatch` one after another,
the way the Socket Mode adapter does, measuring `time.process_time()` per batch. The minimum
over `--repeats` batches is reported: interference only ever adds time. Then one batch of each
runs under cProfile for the Python function calls per envelope, which do not depend on load.

What it leaves out: the WebSocket (receiving, JSON-decoding the envelope, sending the ack),
which bare Bolt pays too. What it counts that Beacon does not: for clicks answered "already
acknowledged", the emulator's handling of the response_url post runs in this process too.

Run it in two trees alternately to compare commits:
`python -m bench.ack_path [--n 500] [--repeats 7]`.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import tempfile
import time
from pathlib import Path
from typing import Any

from slack_bolt.request.async_request import AsyncBoltRequest

from bench.ack_burst import BEACON_SETTINGS, CARDS, click_payload, declare_cards
from bench.common import RedisServer, bench_config_file, slash_payload, start_emulator


async def batch_ms(app: Any, payloads: list[dict[str, Any]]) -> float:
    """process_time ms per envelope, dispatching one after another."""
    started = time.process_time()
    for payload in payloads:
        resp = await app.async_dispatch(AsyncBoltRequest(mode="socket_mode", body=payload))
        if resp.status != 200:
            raise RuntimeError(f"dispatch answered {resp.status}: {resp.body}")
    return (time.process_time() - started) / len(payloads) * 1000


async def batch_calls(app: Any, payloads: list[dict[str, Any]]) -> float:
    """Python function calls per envelope (cProfile): a deterministic proxy for CPU."""
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    try:
        await batch_ms(app, payloads)
    finally:
        profiler.disable()
    return pstats.Stats(profiler).total_calls / len(payloads)  # type: ignore[attr-defined]


async def main_async(n: int, repeats: int) -> dict[str, float]:
    from app.main import Runtime
    from app.ops.logs import configure_logging
    from app.settings import Settings

    log_file = Path(tempfile.mkdtemp(prefix="beacon-ack-path-")) / "beacon.log"
    emu = await start_emulator()
    redis = RedisServer().start()
    channel = emu.channel_by_name("incidents").id
    with log_file.open("w") as log:
        configure_logging("INFO", stream=log)  # as `python -m app`: one line per envelope
        runtime = Runtime(
            Settings(
                slack_bot_token=emu.bot_token,
                slack_app_token=emu.app_token,
                slack_api_url=emu.base_url,
                redis_url=redis.url,
                beacon_config=bench_config_file(),
                **BEACON_SETTINGS,  # type: ignore[arg-type]
            )
        )
        try:
            await runtime.start()
            cards = copy.deepcopy(await declare_cards(emu, channel, CARDS))
            users = ("UALICE", "UBOB")
            best = {"help": float("inf"), "click": float("inf")}
            for _ in range(repeats):
                helps = [slash_payload(emu, "UALICE", channel, "help") for _ in range(n)]
                best["help"] = min(best["help"], await batch_ms(runtime.app, helps))
                clicks = [
                    click_payload(emu, users[i % 2], cards[i % CARDS], "Acknowledge")
                    for i in range(n)
                ]
                best["click"] = min(best["click"], await batch_ms(runtime.app, clicks))
            helps = [slash_payload(emu, "UALICE", channel, "help") for _ in range(n)]
            calls = {"help": await batch_calls(runtime.app, helps)}
            clicks = [
                click_payload(emu, users[i % 2], cards[i % CARDS], "Acknowledge") for i in range(n)
            ]
            calls["click"] = await batch_calls(runtime.app, clicks)
        finally:
            await runtime.stop()
            await emu.stop()
            redis.stop()
    print(
        f"CPU ms per envelope (min of {repeats} x {n}): "
        f"help {best['help']:.3f}  click {best['click']:.3f}; Python calls per envelope: "
        f"help {calls['help']:.0f}  click {calls['click']:.0f}"
    )
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=500, help="envelopes per batch")
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    asyncio.run(main_async(args.n, args.repeats))


if __name__ == "__main__":
    main()
