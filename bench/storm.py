"""Storms and lanes under Slack's rate limits, in real time: API 201 -> incident visible.

The emulator enforces Slack's limits (`enable_rate_limits()`, real monotonic time; 1 post/s
per channel with a burst of 3, 100 posts/min per workspace, a tier per other method) and
Beacon runs in its own process with its default pacing (`BEACON_POSTS_PER_SECOND=1`) and the
intake API on. The config is the delivery tests' (tests/e2e/test_delivery.py): an escalation
policy pages UBOB, so every new incident also costs a DM and a "Paged" reply in its channel's
thread. Incidents are declared with POST /api/v1/incidents (title, severity P3).

Three scenarios, each with a fresh redis-server, emulator and Beacon:

- `storm`: 200 incidents in 10 s (20/s on a fixed schedule), all for #incidents, with the
  default storm settings. Per incident: from its 201 until `*INC-n*` shows in the channel
  (a card, or a row of a rollup message, edits included), polled every 50 ms.
- `cards-only`: the same storm with `BEACON_STORM_THRESHOLD=0` (a card each, paced), watched
  for at most `--cap` s (60) after the first 201: how many were visible by then.
- `lanes`: storms off; 40 incidents for #incidents, then 4 for service payments
  (#payments-oncall): how long each of the 4 takes to be visible.

Every scenario reports `rate_limits_drawn()` (429s Beacon drew; should be 0).
`python -m bench.storm [--runs 2] [--cap 60]`.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp

from bench.common import (
    ROOT,
    AppProcess,
    Periodic,
    RedisServer,
    cpu_seconds,
    free_port,
    percentile,
    source_state,
    start_emulator,
    table,
    write_results,
)
from slack_emulator import SlackEmulator

NAME = "storm"
# The delivery tests' config (tests/e2e/test_delivery.py): one file, so both measure the same.
STORM_CONFIG = (ROOT / "tests" / "e2e" / "delivery.yml").read_text()
TOKEN = "s3cret-bench"
STORM_N = 200
STORM_RATE = 20  # per second: 200 in 10 s
STORM_WAIT_S = 60.0  # after the last 201, at most
LANES_BUSY = 40
LANES_QUIET = 4
LANES_WAIT_S = 60.0
POLL_S = 0.05
ID = re.compile(r"\*(INC-\d+)\*")
# The engine before lanes and rollups posted one card per second in one queue: the 200th card
# of a storm 199 s after the first; the 4 quiet-channel cards behind 40 busy ones 41 s.
OLD_STORM_S = 199
OLD_LANES_S = 41


class Visible(Periodic):
    """When each incident id first shows in some channels (cards, rollups, their edits)."""

    every_s = POLL_S

    def __init__(self, emu: SlackEmulator, channels: list[str]) -> None:
        self.emu = emu
        self.channels = channels
        self.seen: dict[str, float] = {}
        self._parsed: dict[tuple[str, str], str | None] = {}  # message -> edit it was read at

    def tick(self) -> None:
        now = time.perf_counter()
        for channel in self.channels:
            for msg in self.emu.messages(channel):
                if msg.user != self.emu.bot_user_id:
                    continue
                key = (channel, msg.ts)
                version = (msg.edited or {}).get("ts") or "posted"
                if self._parsed.get(key) == version:
                    continue
                self._parsed[key] = version
                for incident_id in ID.findall(msg.all_text()):
                    self.seen.setdefault(incident_id, now)

    async def wait(self, ids: Callable[[], list[str]], until: float) -> bool:
        while time.perf_counter() < until:  # bounded by `until`
            wanted = ids()
            if wanted and all(i in self.seen for i in wanted):
                return True
            await asyncio.sleep(POLL_S)
        wanted = ids()
        return bool(wanted) and all(i in self.seen for i in wanted)


class Api:
    def __init__(self, port: int, session: aiohttp.ClientSession) -> None:
        self.base = f"http://127.0.0.1:{port}/api/v1"
        self.session = session

    async def ready(self, timeout: float = 20.0) -> None:  # noqa: ASYNC109
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:  # bounded
            try:
                async with self.session.get(self.base + "/healthz") as resp:
                    if resp.status < 500:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
        raise RuntimeError("Beacon's intake API did not come up")

    async def declare(self, title: str, **extra: str) -> tuple[str, float]:
        """(incident id, perf_counter() when the 201 was read)."""
        async with self.session.post(
            self.base + "/incidents",
            json={"title": title, "severity": "P3", **extra},
            headers={"Authorization": f"Bearer {TOKEN}"},
        ) as resp:
            body = await resp.json(content_type=None)
            at = time.perf_counter()
            if resp.status != 201:
                raise RuntimeError(f"POST /incidents answered {resp.status}: {body}")
            return str(body["incident"]["id"]), at


class World:
    """Emulator (limits on), redis-server, Beacon with the API, and an HTTP session."""

    def __init__(self, label: str, settings: dict[str, str]) -> None:
        self.label = label
        self.settings = settings

    async def __aenter__(self) -> World:
        self.emu = await start_emulator()
        self.emu.add_user("UCAROL", "carol", "Carol Example", "carol@example.com")
        self.emu.add_channel("payments-oncall", members=["UALICE", "UBOB", "UCAROL"])
        self.redis = RedisServer().start()
        self.config_dir = Path(tempfile.mkdtemp(prefix="beacon-bench-"))
        config = self.config_dir / "beacon.yml"
        config.write_text(STORM_CONFIG)
        port = free_port()
        self.app = AppProcess(
            "beacon",
            self.emu,
            f"{NAME}.{self.label}",
            settings={
                "beacon_posts_per_second": "1",
                "api_port": str(port),
                "beacon_api_token": f"bench:{TOKEN}",
                **self.settings,
            },
            redis_url=self.redis.url,
            config=str(config),
        )
        self.session = aiohttp.ClientSession()
        try:
            await self.app.start()
            # Slack's limits from here on (the socket is connected: its Tier 1 call is behind).
            self.emu.enable_rate_limits()
            self.api = Api(port, self.session)
            await self.api.ready()
        except BaseException:
            await self.__aexit__()
            raise
        self.cpu0 = cpu_seconds(self.app.pid)
        self.first_call = len(self.emu.calls)
        return self

    def facts(self) -> dict[str, Any]:
        calls = Counter(c.method for c in self.emu.calls[self.first_call :])
        return {
            "rate_limits_drawn": self.emu.rate_limits_drawn(),
            "calls": dict(sorted(calls.items())),
            "beacon_cpu_s": round(cpu_seconds(self.app.pid) - self.cpu0, 2),
        }

    async def __aexit__(self, *exc: object) -> None:
        await self.session.close()
        await self.app.stop()
        await self.emu.stop()
        self.redis.stop()
        shutil.rmtree(self.config_dir, ignore_errors=True)


def seconds(values: list[float]) -> dict[str, Any]:
    if not values:
        return {"n": 0}
    return {
        "n": len(values),
        "p50_s": round(percentile(values, 50), 2),
        "p95_s": round(percentile(values, 95), 2),
        "max_s": round(max(values), 2),
    }


async def send_storm(api: Api) -> tuple[list[str | None], dict[str, float], float, float]:
    """200 declares on a fixed schedule (i at t0 + i/20). Returns ids in order, 201 times,
    t0, and the worst lateness of a send."""
    ids: list[str | None] = [None] * STORM_N
    answered: dict[str, float] = {}
    slip = 0.0

    async def one(i: int) -> None:
        incident_id, at = await api.declare(f"Disk full on node {i}")
        ids[i] = incident_id
        answered[incident_id] = at

    tasks = []
    t0 = time.perf_counter() + 0.05
    for i in range(STORM_N):
        target = t0 + i / STORM_RATE
        delay = target - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        slip = max(slip, time.perf_counter() - target)
        tasks.append(asyncio.create_task(one(i)))
    await asyncio.gather(*tasks)
    return ids, answered, t0, slip


async def storm(run: int) -> dict[str, Any]:
    async with World(f"storm.{run}", {}) as w:
        channel = w.emu.channel_by_name("incidents").id
        watch = Visible(w.emu, [channel]).start()
        try:
            ids, answered, t0, slip = await send_storm(w.api)
            last_201 = max(answered.values())
            done = await watch.wait(lambda: [i for i in ids if i], last_201 + STORM_WAIT_S)
        finally:
            await watch.stop()
        delays = [watch.seen[i] - answered[i] for i in answered if i in watch.seen]
        last_id = ids[-1]
        messages = w.emu.messages(channel)
        return {
            "scenario": "storm",
            "run": run,
            "declared": len(answered),
            "visible": sum(1 for i in answered if i in watch.seen),
            "complete": done,
            "delay": seconds(delays),
            "last_declared_delay_s": round(watch.seen[last_id] - answered[last_id], 2)
            if last_id in watch.seen
            else None,
            "all_visible_after_last_201_s": round(max(watch.seen.values()) - last_201, 2)
            if done
            else None,
            "send_span_s": round(last_201 - t0, 2),
            "send_slip_max_ms": round(slip * 1000, 1),
            "rollup_messages": sum("new incidents since" in m.all_text() for m in messages),
            "cards": sum(1 for m in messages if m.attachments),
            **w.facts(),
        }


async def cards_only(run: int, cap: float) -> dict[str, Any]:
    async with World(f"cards-only.{run}", {"beacon_storm_threshold": "0"}) as w:
        channel = w.emu.channel_by_name("incidents").id
        watch = Visible(w.emu, [channel]).start()
        try:
            ids, answered, t0, _ = await send_storm(w.api)
            await watch.wait(lambda: [i for i in ids if i], t0 + cap)
        finally:
            await watch.stop()
        first_201 = min(answered.values())
        seen = [t - first_201 for i, t in watch.seen.items() if i in answered]
        marks = [m for m in (10, 20, 30, 45, 60, cap) if m <= cap]
        visible_by = {f"{m:g}s": sum(1 for s in seen if s <= m) for m in sorted(set(marks))}
        rate = None
        late = sorted(s for s in seen if s >= 10)  # past the opening burst: the steady pace
        if len(late) >= 2:
            rate = round((len(late) - 1) / (late[-1] - late[0]), 2) if late[-1] > late[0] else None
        delays = [watch.seen[i] - answered[i] for i in answered if i in watch.seen]
        return {
            "scenario": "cards-only",
            "run": run,
            "declared": len(answered),
            "cap_s": cap,
            "visible": len(seen),
            "visible_by": visible_by,
            "steady_cards_per_s": rate,
            "all_200_projected_s": round(STORM_N / rate, 0) if rate else None,
            "delay_of_visible": seconds(delays),
            **w.facts(),
        }


async def lanes(run: int) -> dict[str, Any]:
    async with World(f"lanes.{run}", {"beacon_storm_threshold": "0"}) as w:
        busy_ch = w.emu.channel_by_name("incidents").id
        quiet_ch = w.emu.channel_by_name("payments-oncall").id
        watch = Visible(w.emu, [busy_ch, quiet_ch]).start()
        try:
            busy = [(await w.api.declare(f"Busy {n}"))[0] for n in range(LANES_BUSY)]
            started = time.perf_counter()
            quiet: list[tuple[str, float]] = []
            for n in range(LANES_QUIET):
                quiet.append(await w.api.declare(f"Payments {n}", service="payments"))
            done = await watch.wait(lambda: [i for i, _ in quiet], started + LANES_WAIT_S)
            busy_seen_then = sum(1 for i in busy if i in watch.seen)
        finally:
            await watch.stop()
        after_start = [round(watch.seen[i] - started, 2) for i, _ in quiet if i in watch.seen]
        after_201 = [watch.seen[i] - at for i, at in quiet if i in watch.seen]
        return {
            "scenario": "lanes",
            "run": run,
            "busy": LANES_BUSY,
            "quiet": LANES_QUIET,
            "complete": done,
            "quiet_visible_after_start_s": after_start,
            "first_quiet_s": after_start[0] if after_start else None,
            "last_quiet_s": max(after_start) if after_start else None,
            "quiet_after_own_201": seconds(after_201),
            "busy_cards_visible_when_quiet_done": busy_seen_then,
            **w.facts(),
        }


async def main_async(runs: int, cap: float) -> dict[str, Any]:
    source_at_start = source_state()  # others edit the tree: compared with the end
    results: list[dict[str, Any]] = []
    for run in range(1, runs + 1):
        for label in ("storm", "cards-only", "lanes"):
            if label == "cards-only" and cap <= 0:
                continue
            print(f"run {run}: {label} ...", flush=True)
            if label == "storm":
                results.append(await storm(run))
            elif label == "cards-only":
                results.append(await cards_only(run, cap))
            else:
                results.append(await lanes(run))
    storms = [r for r in results if r["scenario"] == "storm"]
    print(
        f"\nstorm: {STORM_N} incidents in {STORM_N // STORM_RATE} s for #incidents, "
        "API 201 -> visible (s); Slack's limits on, pacing 1/s, default storm settings"
    )
    print(
        table(
            [
                {
                    "run": r["run"],
                    **r["delay"],
                    "last": r["last_declared_delay_s"],
                    "all_after_last_201": r["all_visible_after_last_201_s"],
                    "visible": r["visible"],
                    "rollups": r["rollup_messages"],
                    "cards": r["cards"],
                    "429s": r["rate_limits_drawn"],
                    "cpu_s": r["beacon_cpu_s"],
                }
                for r in storms
            ],
            [
                "run",
                "n",
                "p50_s",
                "p95_s",
                "max_s",
                "last",
                "all_after_last_201",
                "visible",
                "rollups",
                "cards",
                "429s",
                "cpu_s",
            ],
        )
    )
    print(f"baseline: one card per second, the 200th card {OLD_STORM_S} s after the first")
    cards = [r for r in results if r["scenario"] == "cards-only"]
    if cards:
        print(f"\ncards-only (BEACON_STORM_THRESHOLD=0), watched {cap:g} s from the first 201")
    print(
        table(
            [
                {
                    "run": r["run"],
                    "visible": r["visible"],
                    "visible_by": r["visible_by"],
                    "cards_per_s": r["steady_cards_per_s"],
                    "all_200_projected_s": r["all_200_projected_s"],
                    "429s": r["rate_limits_drawn"],
                }
                for r in cards
            ],
            ["run", "visible", "visible_by", "cards_per_s", "all_200_projected_s", "429s"],
        )
        if cards
        else "cards-only: skipped (--cap 0)"
    )
    lane_rows = [r for r in results if r["scenario"] == "lanes"]
    print(
        f"\nlanes: {LANES_BUSY} for #incidents, then {LANES_QUIET} for #payments-oncall "
        f"(storms off); seconds from the first quiet declare (old engine: {OLD_LANES_S} s)"
    )
    print(
        table(
            [
                {
                    "run": r["run"],
                    "quiet_visible_s": r["quiet_visible_after_start_s"],
                    "busy_visible_then": r["busy_cards_visible_when_quiet_done"],
                    "429s": r["rate_limits_drawn"],
                }
                for r in lane_rows
            ],
            ["run", "quiet_visible_s", "busy_visible_then", "429s"],
        )
    )
    payload = {
        "source_at_start": source_at_start,
        "params": {
            "runs": runs,
            "storm_n": STORM_N,
            "storm_rate_per_s": STORM_RATE,
            "storm_wait_s": STORM_WAIT_S,
            "cards_only_cap_s": cap,
            "lanes_busy": LANES_BUSY,
            "lanes_quiet": LANES_QUIET,
            "posts_per_second": 1,
            "poll_s": POLL_S,
            "emulator_limits": "defaults: 1 post/s per channel, burst 3, 100 posts/min "
            "workspace, tiers per method",
            "config": STORM_CONFIG,
        },
        "baselines": {"storm_200th_card_s": OLD_STORM_S, "lanes_quiet_cards_s": OLD_LANES_S},
        "targets": {"storm_all_visible_after_last_s_max": 20, "rate_limits_drawn": 0},
        "runs": results,
    }
    path = write_results(NAME, payload)
    print(f"\nwrote {path}")
    return payload


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument(
        "--cap",
        type=float,
        default=60.0,
        help="seconds the cards-only storm is watched (0 skips it)",
    )
    args = parser.parse_args()
    asyncio.run(main_async(args.runs, args.cap))


if __name__ == "__main__":
    main()
