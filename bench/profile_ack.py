"""Where one Beacon process spends its CPU under the ack_burst load (py-spy, sampling).

The same setup as bench.ack_burst (emulator here, Beacon in its own process on a private
redis-server, LOG_LEVEL=INFO), then for each series (`/incident help`, Acknowledge clicks on
cards that are mostly already acknowledged) py-spy samples the Beacon process while `--bursts`
bursts of `--n` envelopes go through. Prints CPU ms per envelope and the share of samples in
each part of the ack path (inclusive: a sample counts for every bucket on its stack), plus the
functions with the most samples of their own. Raw stacks: bench/results/profile_ack.<series>.txt.

`pip install py-spy`, then `python -m bench.profile_ack [--n 1000] [--bursts 3] [--rate 1000]`.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import shutil
import signal
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

from bench.ack_burst import BEACON_SETTINGS, CARDS, click_payload, declare_cards
from bench.common import (
    RESULTS,
    AppProcess,
    RedisServer,
    bench_config_file,
    cpu_seconds,
    send_burst,
    slash_payload,
    start_emulator,
    summary_ms,
    table,
)

# Beacon's parts of the ack path, inclusive: a sample counts for every part on its stack.
PARTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("beacon middleware (all of it)", ("BeaconMiddleware.async_process (",)),
    ("  envelope_fingerprint", ("envelope_fingerprint (",)),
    ("  store.first_seen (SET NX)", ("first_seen (app/store",)),
    ("  observe_envelope (metrics + log line)", ("observe_envelope (",)),
    ("  instrumented(client)", ("instrumented (app/ops/metrics",)),
    ("listener (handle_*)", ("handle_acknowledge (", "handle_incident_command (")),
    ("  domain acknowledge (Lua)", ("acknowledge (app/domain",)),
    ("error path (handle_error)", ("handle_error (listeners/errors",)),
    ("  tell_user (answer queued)", ("tell_user (listeners/errors",)),
    ("bolt kwargs building", ("kwargs_injection/",)),
    ("bolt request + context", ("AsyncBoltRequest.__init__", "_init_context", "to_async_bolt")),
)
# Who owns each sample, exclusive: walking from the leaf up, the first frame in one of these
# files names the owner; asyncio and other plumbing frames are passed through, so the cost of
# e.g. a timer that redis-py schedules is redis-py's. Nothing found: the event loop itself.
OWNERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("logging", ("(logging/",)),
    ("json", ("(json/",)),
    ("prometheus_client", ("(prometheus_client/",)),
    ("redis-py", ("(redis/",)),
    ("aiohttp (websocket + http)", ("(aiohttp/", "(yarl/", "(multidict/")),
    ("beacon: app/", ("(app/",)),
    ("beacon: listeners/ + views/", ("(listeners/", "(views/")),
    ("slack_bolt", ("(slack_bolt/",)),
    ("slack_sdk socket mode", ("(slack_sdk/socket_mode/",)),
    ("slack_sdk other", ("(slack_sdk/",)),
)


def load_stacks(path: Path) -> list[tuple[list[str], int]]:
    """py-spy --format raw: one `frame;frame;... count` line per distinct stack."""
    stacks = []
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            stacks.append((stack.split(";"), int(count)))
    return stacks


def owner(frames: list[str]) -> str:
    for frame in reversed(frames):
        for name, needles in OWNERS:
            if any(n in frame for n in needles):
                return name
    return "asyncio event loop / other"


def breakdown(
    stacks: list[tuple[list[str], int]],
) -> tuple[int, list[dict[str, Any]], list[dict[str, Any]], Counter]:
    total = sum(c for _s, c in stacks) or 1
    inclusive: Counter[str] = Counter()
    owners: Counter[str] = Counter()
    own: Counter[str] = Counter()
    for frames, count in stacks:
        hit = {name for name, needles in PARTS for f in frames if any(n in f for n in needles)}
        for name in hit:
            inclusive[name] += count
        owners[owner(frames)] += count
        own[frames[-1]] += count

    def row(name: str, n: int) -> dict[str, Any]:
        return {"part": name, "samples": n, "share": f"{n / total:.0%}"}

    parts = [row(name, inclusive[name]) for name, _n in PARTS]
    by_owner = [row(name, n) for name, n in owners.most_common()]
    return total, parts, by_owner, own


async def profile_series(
    app: AppProcess, emu: Any, kind: str, make: Any, label: str, args: argparse.Namespace
) -> dict[str, Any]:
    out = RESULTS / f"profile_ack.{label}.txt"
    if args.rate <= 0:  # CPU per envelope only, nothing attached
        return await measure_cpu(app, emu, kind, make, label, args)
    # fmt: off
    spy = await asyncio.create_subprocess_exec(
        shutil.which("py-spy") or "py-spy", "record", "--pid", str(app.pid),
        "--rate", str(args.rate), "--format", "raw", "--output", str(out), "--nonblocking",
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    # fmt: on
    await asyncio.sleep(1.0)  # py-spy attaches
    lat: list[float] = []
    cpu0 = cpu_seconds(app.pid)
    for _ in range(args.bursts):
        got, missing, _wall = await send_burst(emu, kind, make())
        if missing:
            raise RuntimeError(f"{missing} envelopes were not acked")
        lat += got
    cpu = cpu_seconds(app.pid) - cpu0
    spy.send_signal(signal.SIGINT)
    await asyncio.wait_for(spy.wait(), 30)
    total, parts, by_owner, own = breakdown(load_stacks(out))
    envelopes = args.n * args.bursts
    print(f"\n{label}: {envelopes} envelopes, {cpu:.2f} s CPU = {cpu / envelopes * 1000:.3f} ms")
    print(f"ack latency {summary_ms(lat)}; {total} samples")
    print(table(parts, ["part", "samples", "share"]))
    print(table(by_owner, ["part", "samples", "share"]))
    top = [{"own samples": c, "function": f[:110]} for f, c in own.most_common(args.top)]
    print(table(top, ["own samples", "function"]))
    per_env = round(cpu / envelopes * 1000, 3)
    return {"series": label, "cpu_ms_per_env": per_env, "parts": parts, "owners": by_owner}


async def measure_cpu(
    app: AppProcess, emu: Any, kind: str, make: Any, label: str, args: argparse.Namespace
) -> dict[str, Any]:
    cpu0 = cpu_seconds(app.pid)
    lat: list[float] = []
    for _ in range(args.bursts):
        got, _missing, _wall = await send_burst(emu, kind, make())
        lat += got
    per_env = (cpu_seconds(app.pid) - cpu0) / (args.n * args.bursts) * 1000
    print(f"{label}: {per_env:.3f} ms CPU per envelope; ack latency {summary_ms(lat)}")
    return {"series": label, "cpu_ms_per_env": round(per_env, 3)}


async def main_async(args: argparse.Namespace) -> None:
    emu = await start_emulator()
    redis = RedisServer().start()
    channel = emu.channel_by_name("incidents").id
    try:
        config = str(bench_config_file())
        app = await AppProcess(
            "beacon", emu, "profile_ack.beacon", BEACON_SETTINGS, redis_url=redis.url, config=config
        ).start()
        try:
            cards = await declare_cards(emu, channel, CARDS)
            helps = lambda: [  # noqa: E731
                slash_payload(emu, "UALICE", channel, "help") for _ in range(args.n)
            ]
            await send_burst(emu, "slash_commands", helps())  # warm-up, not profiled
            users = ("UALICE", "UBOB")
            # Cards update in place once acknowledged: click copies of them as first seen.
            cards = copy.deepcopy(cards)
            clicks = lambda: [  # noqa: E731
                click_payload(emu, users[i % 2], cards[i % CARDS], "Acknowledge")
                for i in range(args.n)
            ]
            for kind, make, label in (
                ("slash_commands", helps, "help"),
                ("interactive", clicks, "click"),
            ):
                if args.only in ("", label):
                    await profile_series(app, emu, kind, make, label, args)
        finally:
            await app.stop()
    finally:
        await emu.stop()
        redis.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="envelopes per burst")
    parser.add_argument("--bursts", type=int, default=3)
    parser.add_argument("--rate", type=int, default=1000, help="py-spy samples/s; 0: no py-spy")
    parser.add_argument("--top", type=int, default=25, help="functions by own samples")
    parser.add_argument("--only", default="", choices=["", "help", "click"])
    args = parser.parse_args()
    if not shutil.which("py-spy"):
        raise SystemExit("py-spy is not installed: pip install py-spy")
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
