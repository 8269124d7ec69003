"""Declare-to-card latency: `/incident create <title> --sev P3` at a steady rate, time to card.

Beacon (app.main.Runtime in its own process, real redis-server) receives slash commands paced
on a fixed schedule (send i at t0 + i/rate, not a tight loop). For each one we take
time.perf_counter() just before the envelope is handed to the emulator, and again when the
emulator stores the card (a top-level bot post in #incidents whose text carries the title):
the emulator's post_message is wrapped on this instance to stamp each post.

The emulator does not rate limit; Slack allows about 1 post/s per channel, so 50 cards/s in
one channel is only possible here. Beacon's own per-channel pacing
(BEACON_POSTS_PER_SECOND, default 1) is switched off with --pace 0 (the default here).
`python -m bench.declare_to_card [--rate 50] [--seconds 20] [--runs 2] [--pace 0]`.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import time
from typing import Any

from bench.common import (
    AppProcess,
    RedisServer,
    bench_config_file,
    cpu_seconds,
    slash_payload,
    start_emulator,
    summary_ms,
    table,
    write_results,
)
from slack_emulator import SlackEmulator

NAME = "declare_to_card"
TITLE = re.compile(r"bench-(\d{6})")


def stamp_posts(emu: SlackEmulator, channel: str, seen: dict[int, float]) -> None:
    """Record perf_counter() when each card (top-level post with a bench title) is stored."""
    original = emu.post_message

    def post_message(ch: Any, user: str, text: str = "", *args: Any, **kwargs: Any) -> Any:
        msg = original(ch, user, text, *args, **kwargs)
        if ch.id == channel and not msg.thread_ts and user == emu.bot_user_id:
            match = TITLE.search(msg.text or "") or TITLE.search(msg.all_text())
            if match:
                seen.setdefault(int(match.group(1)), time.perf_counter())
        return msg

    emu.post_message = post_message  # type: ignore[method-assign]


async def wait_until(predicate: Any, timeout: float) -> bool:  # noqa: ASYNC109
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:  # bounded by timeout; 5 ms polling
        if predicate():
            return True
        await asyncio.sleep(0.005)
    return predicate()


async def one_run(rate: int, seconds: int, pace: int, run: int) -> dict[str, Any]:
    emu = await start_emulator()
    redis = RedisServer().start()
    channel = emu.channel_by_name("incidents").id
    seen: dict[int, float] = {}
    stamp_posts(emu, channel, seen)
    total = rate * seconds
    sent: dict[int, float] = {}
    slip: list[float] = []
    acks: list[float] = []
    no_ack = 0
    app = await AppProcess(
        "beacon",
        emu,
        f"{NAME}.beacon.{run}",
        settings={"beacon_posts_per_second": str(pace)},
        redis_url=redis.url,
        config=str(bench_config_file()),
    ).start()
    try:
        # warm-up (not measured): the first declares load scripts, resolve the channel, etc.
        warm = 900_000
        for i in range(5):
            await emu.deliver(
                "slash_commands",
                slash_payload(emu, "UALICE", channel, f"create bench-{warm + i} warm --sev P3"),
                timeout=10,
            )
        await wait_until(lambda: all(warm + i in seen for i in range(5)), 30)

        async def declare(i: int) -> None:
            nonlocal no_ack
            payload = slash_payload(emu, "UALICE", channel, f"create bench-{i:06d} load --sev P3")
            sent[i] = time.perf_counter()
            ack = await emu.deliver("slash_commands", payload, timeout=30)
            if ack is None:
                no_ack += 1
            else:
                acks.append(ack.latency_s)

        tasks: set[asyncio.Task[None]] = set()
        cpu0 = cpu_seconds(app.pid)
        t0 = time.perf_counter() + 0.05
        for i in range(total):
            target = t0 + i / rate
            delay = target - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            slip.append(time.perf_counter() - target)
            task = asyncio.create_task(declare(i))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        send_done = time.perf_counter()
        complete = await wait_until(lambda: all(i in seen for i in range(total)), 120)
        drained = time.perf_counter()
        if tasks:
            await asyncio.wait(tasks, timeout=30)
        cpu = cpu_seconds(app.pid) - cpu0
    finally:
        await app.stop()
        await emu.stop()
        redis.stop()
    lat = [seen[i] - sent[i] for i in range(total) if i in seen and i in sent]
    return {
        "run": run,
        "declared": total,
        "cards": len(lat),
        "complete": complete,
        "card": summary_ms(lat),
        "ack": summary_ms(acks),
        "no_ack": no_ack,
        "schedule_slip": summary_ms(slip),
        "send_span_s": round(send_done - t0, 2),
        "last_card_after_last_send_s": round(drained - send_done, 2) if complete else None,
        "app_cpu_s": round(cpu, 2),
        "app_cpu_per_incident_ms": round(cpu / total * 1000, 2),
    }


async def main_async(rate: int, seconds: int, runs: int, pace: int) -> dict[str, Any]:
    results = []
    for run in range(1, runs + 1):
        results.append(await one_run(rate, seconds, pace, run))
    rows = []
    for r in results:
        for what in ("card", "ack", "schedule_slip"):
            rows.append({"run": r["run"], "measure": what, **r[what]})
    print(f"\ndeclare -> card, {rate}/s for {seconds} s ({rate * seconds} incidents), pace={pace}")
    print(table(rows, ["run", "measure", "n", "p50_ms", "p95_ms", "p99_ms", "max_ms", "mean_ms"]))
    print()
    cols = [
        "run",
        "declared",
        "cards",
        "no_ack",
        "send_span_s",
        "last_card_after_last_send_s",
        "app_cpu_s",
        "app_cpu_per_incident_ms",
    ]
    print(table(results, cols))
    payload = {
        "params": {"rate_per_s": rate, "seconds": seconds, "runs": runs, "posts_per_second": pace},
        "targets": {"card_p99_ms_max": 1000},
        "runs": results,
    }
    path = write_results(NAME, payload)
    print(f"\nwrote {path}")
    return payload


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=int, default=50, help="declares per second")
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument(
        "--pace", type=int, default=0, help="BEACON_POSTS_PER_SECOND for the app (0 = off)"
    )
    args = parser.parse_args()
    asyncio.run(main_async(args.rate, args.seconds, args.runs, args.pace))


if __name__ == "__main__":
    main()
