"""Notifier throughput with pacing off: cards applied per second, Beacon against a bare loop.

Beacon side: N incidents (default 1000) are declared straight into a fresh redis-server with
Beacon's own transition (`IncidentStore.declare`, key prefix "beacon") *before* Beacon starts,
so the outbox stream holds N `triggered` events. Then Beacon starts in its own process
(`BEACON_POSTS_PER_SECOND=0`, `BEACON_STORM_THRESHOLD=0`, a config without escalation
policies) and its notifier works the backlog: per incident chat.postMessage (the card),
chat.getPermalink, chat.update (the card with its View link), plus its Redis bookkeeping.

Baseline: `bench/notifier_bare.py` in its own process makes the same three calls per incident
with the same rendered card, through a plain slack_sdk AsyncWebClient (one shared aiohttp
session), one sequential loop per channel and the channels at once (Beacon's lanes), no Redis.

Both sides are timed the same way, from the emulator's own records: from the first
chat.postMessage to the N-th card's first chat.update (`ApiCall.at`). So process start-up,
imports, the Socket Mode connection and the channel lookup are outside the window. CPU is read
from /proc every 10 ms for the app process and redis-server and interpolated at the window's
ends; the emulator's (this process's) CPU is reported too. Two variants: the incidents spread
over 4 channels (4 lanes), and all in one channel.
`python -m bench.notifier [--n 1000] [--runs 2]`.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from redis.asyncio import Redis

from app.domain.models import NewIncident
from app.store.incidents import IncidentStore
from app.store.keys import Keys
from bench.common import (
    RESULTS,
    ROOT,
    AppProcess,
    Periodic,
    RedisServer,
    cpu_seconds,
    source_state,
    start_emulator,
    table,
    write_results,
)
from slack_emulator import SlackEmulator

NAME = "notifier"
TARGET_RATIO = 0.5
TIME_LIMIT_S = 300.0  # per series: the backlog must be worked through within this
CONFIG = """\
default_channel: "#incidents"
severities:
  P1: {channel: "#incidents-critical"}
services:
  payments: {name: Payments, channel: "#payments-oncall"}
  checkout: {name: Checkout, channel: "#checkout-oncall"}
  search: {name: Search, channel: "#search-oncall"}
"""
EXTRA_CHANNELS = ("payments-oncall", "checkout-oncall", "search-oncall")
# service -> channel name, per the config above
SPREAD = (
    (None, "incidents"),
    ("payments", "payments-oncall"),
    ("checkout", "checkout-oncall"),
    ("search", "search-oncall"),
)
VARIANTS = {"4 channels": SPREAD, "1 channel": SPREAD[:1]}


# --- measuring -------------------------------------------------------------------------------
class CpuSampler(Periodic):
    """(time.time(), CPU seconds) of some processes every 10 ms, to read CPU over any window."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.pids = pids
        self.times: list[float] = []
        self.cpu: dict[str, list[float]] = {name: [] for name in pids}
        self.cpu["emulator"] = []
        self.cpu["app_system"] = []  # of "app": kernel time (socket calls, mostly)

    def tick(self) -> None:
        values = {name: cpu_seconds(pid) for name, pid in self.pids.items()}
        system = system_seconds(self.pids["app"])
        if any(v != v for v in (*values.values(), system)):  # NaN: a process is gone
            return
        self.times.append(time.time())
        for name, value in values.items():
            self.cpu[name].append(value)
        self.cpu["app_system"].append(system)
        self.cpu["emulator"].append(time.process_time())

    def at(self, name: str, t: float) -> float:
        """CPU seconds of `name` at wall time t, interpolated between samples."""
        times, values = self.times, self.cpu[name]
        i = bisect.bisect_left(times, t)
        if i <= 0:
            return values[0]
        if i >= len(times):
            return values[-1]
        t0, t1, v0, v1 = times[i - 1], times[i], values[i - 1], values[i]
        return v0 + (v1 - v0) * ((t - t0) / (t1 - t0) if t1 > t0 else 0)

    def over(self, name: str, start: float, end: float) -> float:
        return self.at(name, end) - self.at(name, start)


class CardWatch:
    """Reads the emulator's call records as they grow: when each card was posted and updated."""

    def __init__(self, emu: SlackEmulator, channels: set[str]) -> None:
        self.emu = emu
        self.channels = channels
        self.first_call = len(emu.calls)
        self._next = self.first_call
        self.first_post: float | None = None
        self.updated: dict[tuple[str, str], float] = {}  # (channel, ts) -> first chat.update

    def scan(self) -> int:
        calls = self.emu.calls
        while self._next < len(calls):
            call = calls[self._next]
            self._next += 1
            channel = str(call.args.get("channel", ""))
            if channel not in self.channels:
                continue
            if call.method == "chat.postMessage" and not call.args.get("thread_ts"):
                if self.first_post is None:
                    self.first_post = call.at
            elif call.method == "chat.update":
                self.updated.setdefault((channel, str(call.args.get("ts"))), call.at)
        return len(self.updated)

    async def wait(self, n: int, timeout: float, proc: subprocess.Popen | None) -> bool:  # noqa: ASYNC109
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:  # bounded; 20 ms polling
            if self.scan() >= n:
                return True
            if proc is not None and proc.poll() is not None:
                return False
            await asyncio.sleep(0.02)
        return self.scan() >= n

    def calls_by_method(self) -> Counter[str]:
        return Counter(c.method for c in self.emu.calls[self.first_call :])


def cards_with_view(emu: SlackEmulator, channels: set[str]) -> int:
    """Top-level bot messages that carry the View button (the card after its update)."""
    count = 0
    for channel in channels:
        for msg in emu.messages(channel):
            if msg.user == emu.bot_user_id and "View" in msg.buttons():
                count += 1
    return count


def system_seconds(pid: int) -> float:
    """System (kernel) CPU seconds of a process (Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return int(fields[12]) / os.sysconf("SC_CLK_TCK")


async def redis_commands(url: str, reset: bool = False) -> Counter[str]:
    """Calls per command since the last CONFIG RESETSTAT (INFO commandstats)."""
    client = Redis.from_url(url, decode_responses=True)
    try:
        if reset:
            await client.config_resetstat()
            return Counter()
        stats = await client.info("commandstats")
    finally:
        await client.aclose()
    return Counter({k.removeprefix("cmdstat_"): int(v["calls"]) for k, v in stats.items()})


def loadavg() -> float:
    try:
        return float(Path("/proc/loadavg").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return float("nan")


# --- the two sides ---------------------------------------------------------------------------
def spec_for(n: int, spread: tuple[tuple[str | None, str], ...]) -> list[dict[str, Any]]:
    return [
        {
            "number": i + 1,
            "title": f"bench notifier {i + 1:05d}",
            "service": spread[i % len(spread)][0],
            "channel_name": spread[i % len(spread)][1],
            "severity": "P3",
        }
        for i in range(n)
    ]


async def setup(variant: str) -> tuple[SlackEmulator, Path, set[str]]:
    emu = await start_emulator()
    for name in EXTRA_CHANNELS:
        emu.add_channel(name, members=["UALICE", "UBOB"])
    config = Path(tempfile.mkdtemp(prefix="beacon-bench-")) / "beacon.yml"
    config.write_text(CONFIG)
    channels = {emu.channel_by_name(name).id for _, name in VARIANTS[variant]}
    return emu, config, channels


def summarise(
    side: str,
    variant: str,
    run: int,
    n: int,
    watch: CardWatch,
    sampler: CpuSampler,
    complete: bool,
    emu: SlackEmulator,
    channels: set[str],
    extra: dict[str, Any],
) -> dict[str, Any]:
    start = watch.first_post or float("nan")
    end = max(watch.updated.values()) if watch.updated else float("nan")
    window = end - start
    done = len(watch.updated)
    calls = watch.calls_by_method()
    row: dict[str, Any] = {
        "side": side,
        "variant": variant,
        "run": run,
        "n": n,
        "cards_updated": done,
        "cards_with_view": cards_with_view(emu, channels),
        "complete": complete,
        "window_s": round(window, 3),
        "events_per_s": round(done / window, 1) if window > 0 else None,
        "app_cpu_ms_per_event": round(sampler.over("app", start, end) / max(done, 1) * 1000, 2),
        "app_cpu_share": round(sampler.over("app", start, end) / window, 2) if window > 0 else None,
        "app_system_share_of_cpu": round(
            sampler.over("app_system", start, end) / sampler.over("app", start, end), 2
        )
        if sampler.over("app", start, end) > 0
        else None,
        "emulator_cpu_ms_per_event": round(
            sampler.over("emulator", start, end) / max(done, 1) * 1000, 2
        ),
        "calls": dict(sorted(calls.items())),
        "calls_per_event": {m: round(c / n, 3) for m, c in sorted(calls.items()) if c >= n / 2},
        **extra,
    }
    if "redis" in sampler.cpu:
        row["redis_cpu_ms_per_event"] = round(
            sampler.over("redis", start, end) / max(done, 1) * 1000, 2
        )
    return row


async def preload(redis_url: str, n: int, variant: str) -> int:
    """The backlog: n incidents declared with Beacon's own transition before Beacon starts.
    Returns the outbox stream's length."""
    client = Redis.from_url(redis_url, decode_responses=True)
    try:
        store = IncidentStore(client, Keys("beacon"))
        for item in spec_for(n, VARIANTS[variant]):
            new = NewIncident(title=item["title"], severity=item["severity"],
                              reporter="UALICE", service=item["service"])
            await store.declare(new, time.time())
        return int(await client.xlen(Keys("beacon").events()))
    finally:
        await client.aclose()


def beacon_app(emu: SlackEmulator, label: str, redis_url: str, config: Path,
               **opts: Any) -> AppProcess:
    """Beacon in its own process with pacing and storms off: every card goes out at once."""
    return AppProcess(
        "beacon",
        emu,
        label,
        settings={"beacon_posts_per_second": "0", "beacon_storm_threshold": "0"},
        redis_url=redis_url,
        config=str(config),
        **opts,
    )


async def beacon_side(variant: str, run: int, n: int) -> dict[str, Any]:
    emu, config, channels = await setup(variant)
    redis = RedisServer().start()
    app: AppProcess | None = None
    sampler: CpuSampler | None = None
    try:
        t0 = time.perf_counter()
        backlog = await preload(redis.url, n, variant)
        declare_s = time.perf_counter() - t0
        await redis_commands(redis.url, reset=True)
        watch = CardWatch(emu, channels)
        load0 = loadavg()
        spawned = time.time()
        app = beacon_app(emu, f"{NAME}.beacon.{run}.{variant.replace(' ', '')}", redis.url, config)
        # Sample from the spawn: the notifier starts before the socket is connected.
        start_task = asyncio.create_task(app.start())
        while app.proc is None:  # noqa: ASYNC110 - the spawn is synchronous inside start()
            await asyncio.sleep(0.001)
        sampler = CpuSampler({"app": app.pid, "redis": redis.proc.pid}).start()  # type: ignore[union-attr]
        await start_task
        connected = time.time()
        complete = await watch.wait(n, TIME_LIMIT_S, app.proc)
        await asyncio.sleep(0.5)  # calls that follow the last update (none expected)
        watch.scan()
        await sampler.stop()
        commands = await redis_commands(redis.url)
        commands.pop("info", None)
        row = summarise(
            "beacon",
            variant,
            run,
            n,
            watch,
            sampler,
            complete,
            emu,
            channels,
            {
                "backlog_events": backlog,
                "declare_s": round(declare_s, 2),
                "first_post_after_spawn_s": round((watch.first_post or spawned) - spawned, 2),
                "connected_after_spawn_s": round(connected - spawned, 2),
                "startup_cpu_s": round(
                    sampler.at("app", watch.first_post or spawned) - sampler.at("app", spawned), 2
                ),
                "load_before": load0,
                "load_after": loadavg(),
                # every command Beacon sent from its start to the end (start-up included)
                "redis_cmds_incl_lua_per_event": round(sum(commands.values()) / n, 2),
                "redis_commands": dict(commands.most_common()),
            },
        )
    finally:
        if app is not None:
            await app.stop()
        await emu.stop()
        redis.stop()
        shutil.rmtree(config.parent, ignore_errors=True)
    return row


async def bare_side(variant: str, run: int, n: int) -> dict[str, Any]:
    emu, config, channels = await setup(variant)
    spec = spec_for(n, VARIANTS[variant])
    for item in spec:
        item["channel"] = emu.channel_by_name(item["channel_name"]).id
    spec_path = config.with_name("spec.json")
    spec_path.write_text(json.dumps(spec))
    RESULTS.mkdir(parents=True, exist_ok=True)
    log = (RESULTS / f"{NAME}.bare.{run}.{variant.replace(' ', '')}.log").open("w")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "BEACON_"))}
    watch = CardWatch(emu, channels)
    load0 = loadavg()
    proc = subprocess.Popen(  # noqa: ASYNC220 - spawning is quick; it runs on its own
        [
            sys.executable,
            "-m",
            "bench.notifier_bare",
            "--api-url",
            emu.base_url,
            "--bot-token",
            emu.bot_token,
            "--config",
            str(config),
            "--spec",
            str(spec_path),
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=log,
    )
    sampler = CpuSampler({"app": proc.pid}).start()
    try:
        complete = await watch.wait(n, TIME_LIMIT_S, proc)
        await asyncio.sleep(0.5)
        watch.scan()
        await sampler.stop()
        row = summarise(
            "bare",
            variant,
            run,
            n,
            watch,
            sampler,
            complete,
            emu,
            channels,
            {
                "load_before": load0,
                "load_after": loadavg(),
            },
        )
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        log.close()
        await emu.stop()
        shutil.rmtree(config.parent, ignore_errors=True)
    return row


# --- main ------------------------------------------------------------------------------------
async def main_async(n: int, runs: int) -> dict[str, Any]:
    source_at_start = source_state()  # others edit the tree: compared with the end
    rows: list[dict[str, Any]] = []
    for run in range(1, runs + 1):
        for variant in VARIANTS:
            # alternate which side goes first, so neither always gets the quieter moment
            sides = (bare_side, beacon_side) if run % 2 else (beacon_side, bare_side)
            for side in sides:
                row = await side(variant, run, n)
                rows.append(row)
                print(
                    f"run {run} {variant:10} {row['side']:6} {row['events_per_s']}/s "
                    f"cpu {row['app_cpu_ms_per_event']} ms/event",
                    flush=True,
                )
    ratios = []
    for run in range(1, runs + 1):
        for variant in VARIANTS:
            pair = {r["side"]: r for r in rows if r["run"] == run and r["variant"] == variant}
            b, x = pair["beacon"], pair["bare"]
            ratios.append(
                {
                    "run": run,
                    "variant": variant,
                    "beacon_per_s": b["events_per_s"],
                    "bare_per_s": x["events_per_s"],
                    "ratio": round(b["events_per_s"] / x["events_per_s"], 2)
                    if b["events_per_s"] and x["events_per_s"]
                    else None,
                    "beacon_cpu_ms": b["app_cpu_ms_per_event"],
                    "bare_cpu_ms": x["app_cpu_ms_per_event"],
                    "cpu_ratio": round(b["app_cpu_ms_per_event"] / x["app_cpu_ms_per_event"], 2),
                    "redis_cpu_ms": b.get("redis_cpu_ms_per_event"),
                }
            )
    cols = [
        "run",
        "variant",
        "side",
        "cards_updated",
        "cards_with_view",
        "window_s",
        "events_per_s",
        "app_cpu_ms_per_event",
        "app_cpu_share",
        "app_system_share_of_cpu",
        "redis_cpu_ms_per_event",
        "redis_cmds_incl_lua_per_event",
        "emulator_cpu_ms_per_event",
        "load_before",
        "load_after",
    ]
    print(f"\nnotifier, {n} cards per series, pacing off, storms off")
    print(table(rows, cols))
    print("\nSlack calls per event (methods called at least n/2 times; full counts in the JSON)")
    print(
        table(
            [
                {
                    "run": r["run"],
                    "variant": r["variant"],
                    "side": r["side"],
                    "calls_per_event": r["calls_per_event"],
                }
                for r in rows
            ],
            ["run", "variant", "side", "calls_per_event"],
        )
    )
    print(f"\nBeacon / bare (target ratio >= {TARGET_RATIO})")
    print(
        table(
            ratios,
            [
                "run",
                "variant",
                "beacon_per_s",
                "bare_per_s",
                "ratio",
                "beacon_cpu_ms",
                "bare_cpu_ms",
                "cpu_ratio",
                "redis_cpu_ms",
            ],
        )
    )
    payload = {
        "source_at_start": source_at_start,
        "params": {
            "n": n,
            "runs": runs,
            "posts_per_second": 0,
            "storm_threshold": 0,
            "variants": {k: [c for _, c in v] for k, v in VARIANTS.items()},
            "bare_concurrency": "one sequential loop per channel, channels concurrently",
            "config": CONFIG,
        },
        "targets": {"ratio_min": TARGET_RATIO},
        "runs": rows,
        "ratios": ratios,
    }
    path = write_results(NAME, payload)
    print(f"\nwrote {path}")
    return payload


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="incidents (cards) per series")
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    asyncio.run(main_async(args.n, args.runs))


if __name__ == "__main__":
    main()
