"""Where Beacon's notifier spends its CPU per card with pacing off (py-spy, sampling).

The Beacon side of bench.notifier (N incidents declared into Redis before Beacon starts, 4
channels, pacing and storms off); py-spy attaches once the first card is posted and samples
until the N-th card has its View link. Prints CPU ms per event, the share of samples in each
part of the notifier (inclusive), by owning library (exclusive), and the functions with most
samples of their own. Raw stacks: bench/results/profile_notifier.txt (git-ignored).

`pip install py-spy`, then `python -m bench.profile_notifier [--n 2000] [--rate 500]`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import signal
import subprocess
from collections import Counter
from itertools import pairwise
from typing import Any

from bench.common import RESULTS, RedisServer, cpu_seconds, table
from bench.notifier import NAME, TIME_LIMIT_S, CardWatch, beacon_app, preload, setup
from bench.profile_ack import OWNERS, load_stacks

# Parts of the notifier, inclusive: a sample counts for every part on its stack.
PARTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("consumer: read_events + dispatch (lane_for)", ("_consume (app/notifier",)),
    ("lane work: Notifier.handle (all of it)", ("handle (app/notifier/engine",)),
    (
        "  handle's own Redis: notified_seq, lock, mark, ack",
        (
            "notified_seq (",
            "try_lock (",
            "mark_notified (",
            "ack_event (",
            "unlock (app/store",
            "_renew (",
        ),
    ),
    (
        "  apply_event: the event's handlers, and store.get after each",
        ("apply_event (app/notifier/table",),
    ),
    ("  card: Cards.post_card", ("post_card (app/notifier/handlers/cards",)),
    ("    Slack calls through Poster.call", ("call (app/notifier/poster",)),
    ("    card rendering (views.incident)", ("card_attachments (views/",)),
    ("    Cards.update_card (incl. rollup check)", ("update_card (app/notifier/handlers",)),
    ("    store.record_message", ("record_message (app/store",)),
    ("  paged: Pager.on_triggered (timers)", ("on_triggered (app/notifier/handlers/oncall",)),
    ("  channel: IncidentChannels.apply", ("apply (app/notifier/handlers/channels",)),
    ("  runbook triggers", ("start_matching (app/notifier/handlers/runbooks",)),
    ("  record: RecordNotifier.apply", ("apply (app/notifier/handlers/record",)),
    ("  dm_assignee", ("dm_assignee (app/notifier/handlers/cards",)),
    ("  home.changed / App Home", ("(app/home",)),
    ("store.get (HGETALL + parse)", ("get (app/store/incidents.py",)),
    ("redis-py (inclusive)", ("(redis/",)),
    ("slack_sdk AsyncWebClient (inclusive)", ("(slack_sdk/web/",)),
    ("logging (inclusive)", ("(logging/",)),
    ("metrics (inclusive)", ("(prometheus_client/", "(app/ops/metrics")),
)


# Parts found by a caller -> callee pair on the stack (the callee's cost when called from there).
PAIRS: tuple[tuple[str, str, str], ...] = (
    (
        "  of which apply_event's own store.get calls",
        "apply_event (app/notifier/table",
        "get (app/store/incidents.py",
    ),
)


def breakdown(stacks: list[tuple[list[str], int]]) -> tuple[int, list, list, Counter]:
    total = sum(c for _s, c in stacks) or 1
    inclusive: Counter[str] = Counter()
    owners: Counter[str] = Counter()
    own: Counter[str] = Counter()
    for frames, count in stacks:
        for name, needles in PARTS:
            if any(n in f for f in frames for n in needles):
                inclusive[name] += count
        for name, outer, inner in PAIRS:
            if any(outer in a and inner in b for a, b in pairwise(frames)):
                inclusive[name] += count
        for frame in reversed(frames):
            found = next((o for o, needles in OWNERS if any(n in frame for n in needles)), None)
            if found:
                owners[found] += count
                break
        else:
            owners["asyncio event loop / other"] += count
        own[frames[-1]] += count

    def row(name: str, n: int) -> dict[str, Any]:
        return {"part": name, "samples": n, "share": f"{n / total:.0%}"}

    names = [n for n, _ in PARTS]
    at = names.index("  apply_event: the event's handlers, and store.get after each") + 1
    names[at:at] = [n for n, _o, _i in PAIRS]
    return (
        total,
        [row(n, inclusive[n]) for n in names],
        [row(n, c) for n, c in owners.most_common()],
        own,
    )


async def backlog_run(n: int, **opts: str) -> tuple[int, float, bool]:
    """Beacon working a backlog of n cards (4 channels); (events, CPU seconds, complete)."""
    variant = "4 channels"
    emu, config, channels = await setup(variant)
    redis = RedisServer().start()
    app = None
    try:
        await preload(redis.url, n, variant)
        watch = CardWatch(emu, channels)
        app = beacon_app(emu, f"{NAME}.count", redis.url, config, **opts)
        await app.start()
        cpu0 = cpu_seconds(app.pid)
        complete = await watch.wait(n, TIME_LIMIT_S, app.proc)
        cpu = cpu_seconds(app.pid) - cpu0
    finally:
        if app is not None:
            await app.stop()
        await emu.stop()
        redis.stop()
        shutil.rmtree(config.parent, ignore_errors=True)
    return watch.scan(), cpu, complete


async def count_round_trips(n: int) -> None:
    """Every Redis round trip Beacon makes per card, by command and calling function."""
    out = RESULTS / "profile_notifier.redis.json"
    out.unlink(missing_ok=True)
    _events, _cpu, complete = await backlog_run(n, count_redis=str(out))
    rows = json.loads(out.read_text())
    total = sum(r["calls"] for r in rows)
    print(
        f"\nRedis round trips (a pipeline or a Lua script is one), {n} cards "
        f"(complete: {complete}): {total / n:.1f} per card, start-up included"
    )
    shown = [
        {"per card": round(r["calls"] / n, 2), "command": r["command"], "caller": r["caller"]}
        for r in rows
        if r["calls"] >= n / 10
    ]
    print(table(shown, ["per card", "command", "caller"]))
    by_command: Counter[str] = Counter()
    for r in rows:
        by_command[r["command"].split(" x")[0]] += r["calls"]
    print(
        table(
            [
                {"command": c, "per card": round(k / n, 2)}
                for c, k in by_command.most_common()
                if k >= n / 10
            ],
            ["command", "per card"],
        )
    )


async def main_async(args: argparse.Namespace) -> None:
    if args.count_n:
        await count_round_trips(args.count_n)
    variant = "4 channels"
    emu, config, channels = await setup(variant)
    redis = RedisServer().start()
    out = RESULTS / "profile_notifier.txt"
    app = None
    try:
        await preload(redis.url, args.n, variant)
        watch = CardWatch(emu, channels)
        app = beacon_app(emu, f"{NAME}.profile", redis.url, config)
        await app.start()
        for _ in range(3000):  # the first card follows within seconds; 30 s at most
            if watch.scan() or watch.first_post is not None:
                break
            await asyncio.sleep(0.01)
        # fmt: off
        spy = await asyncio.create_subprocess_exec(
            shutil.which("py-spy") or "py-spy", "record", "--pid", str(app.pid),
            "--rate", str(args.rate), "--format", "raw", "--output", str(out), "--nonblocking",
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        # fmt: on
        await asyncio.sleep(0.5)
        done0, cpu0 = watch.scan(), cpu_seconds(app.pid)
        complete = await watch.wait(args.n, TIME_LIMIT_S, app.proc)
        done1, cpu1 = watch.scan(), cpu_seconds(app.pid)
        spy.send_signal(signal.SIGINT)
        await asyncio.wait_for(spy.wait(), 30)
    finally:
        if app is not None:
            await app.stop()
        await emu.stop()
        redis.stop()
        shutil.rmtree(config.parent, ignore_errors=True)
    events = done1 - done0
    total, parts, owners, own = breakdown(load_stacks(out))
    print(
        f"\n{events} events while sampled (complete: {complete}), "
        f"{(cpu1 - cpu0) / max(events, 1) * 1000:.2f} ms CPU per event; {total} samples"
    )
    print(table(parts, ["part", "samples", "share"]))
    print(table(owners, ["part", "samples", "share"]))
    top = [{"own samples": c, "function": f[:110]} for f, c in own.most_common(args.top)]
    print(table(top, ["own samples", "function"]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--rate", type=int, default=500, help="py-spy samples/s")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument(
        "--count-n",
        type=int,
        default=300,
        help="first count Redis round trips per card over this many (0: skip)",
    )
    args = parser.parse_args()
    if not shutil.which("py-spy"):
        raise SystemExit("py-spy is not installed: pip install py-spy")
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
