"""Ack latency under a burst: bare Bolt vs Beacon, 1000 envelopes sent at once.

Series (each app in its own process, connected over Socket Mode to the emulator here):
  bare        AsyncApp, default runner (process_before_response=False): no-op /incident and
              Acknowledge listeners that only ack()
  bare-tuned  the same with process_before_response=True (Beacon's setting) and a cached
              authorize (auth.test once before connecting, as Beacon does): the baseline the
              targets are measured against (issue 17)
  beacon      app.main.Runtime on a real redis-server: `/incident help` (ack with text), then
              Acknowledge clicks on real incident cards (most answer "already acknowledged":
              one Lua call, then a response_url post, then the ack)

Latency is the emulator's Ack.latency_s: from the envelope written to the socket to the ack
frame read back. `python -m bench.ack_burst [--n 1000] [--runs 2]`.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import itertools
import statistics
import time
from collections import Counter
from typing import Any

from bench.common import (
    AppProcess,
    RedisServer,
    bench_config_file,
    cpu_seconds,
    send_burst,
    slash_payload,
    start_emulator,
    summary_ms,
    table,
    write_results,
)
from slack_emulator import SlackEmulator
from slack_emulator.models import Message

NAME = "ack_burst"
COLD_PROBE = 50
CARDS = 20
# Beacon runs as `python -m app` would: LOG_LEVEL=INFO (one text line per envelope, to the
# .log file), its own Redis client (a blocking pool since the "Too many connections" fix).
VARIANTS = ("beacon",)
# Storms off: the 20 cards clicked here are declared within a second, which would otherwise
# put them on one storm rollup instead of a card each.
BEACON_SETTINGS = {"beacon_storm_threshold": "0"}
# Bare Bolt baselines: label -> (process_before_response, cached authorize).
BASELINES = {"bare": ("0", "0"), "bare-tuned": ("1", "1")}
TARGET_BASELINE = "bare-tuned"
# Issue 17: p99 of Beacon over the tuned bare app, same run.
TARGET_P99_RATIO = {"help": 2.5, "click": 5.0}


def click_payload(emu: SlackEmulator, user_id: str, card: Message, label: str) -> dict[str, Any]:
    """A block_actions payload for clicking `label` on `card`, as the driver builds it."""
    driver = emu.user(user_id)
    buttons = [(t, b, e) for t, b, e in _buttons(card) if t == label]
    if not buttons:
        raise RuntimeError(f"no {label!r} button on the card")
    _text, block, el = buttons[0]
    action = {
        "action_id": el.get("action_id", ""),
        "block_id": block.get("block_id", ""),
        "text": copy.deepcopy(el.get("text")),
        "type": "button",
        "action_ts": f"{time.time():.6f}",
        "value": el.get("value", ""),
    }
    return driver._block_actions(card, action)


def _buttons(card: Message) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    from slack_emulator.models import find_buttons

    return find_buttons([b for _p, b in card.all_blocks()])


async def cold_probe(emu: SlackEmulator, channel: str, text: str) -> dict[str, Any]:
    """The first envelopes after connecting, all at once: how many auth.test calls do they cost?"""
    before = len(emu.calls_to("auth.test"))
    payloads = [slash_payload(emu, "UALICE", channel, text) for _ in range(COLD_PROBE)]
    lat, missing, _wall = await send_burst(emu, "slash_commands", payloads, timeout=30)
    return {
        "envelopes": COLD_PROBE,
        "auth_test_calls": len(emu.calls_to("auth.test")) - before,
        "missing_acks": missing,
        **summary_ms(lat),
    }


async def burst(
    emu: SlackEmulator, app: AppProcess, kind: str, payloads: list[dict[str, Any]], label: str
) -> dict[str, Any]:
    calls_before = {m: len(emu.calls_to(m)) for m in ("auth.test", "response_url")}
    cpu_before = cpu_seconds(app.pid)
    lat, missing, wall = await send_burst(emu, kind, payloads)
    cpu = cpu_seconds(app.pid) - cpu_before
    # What the response_url posts said (an error path answers there before the ack).
    said = Counter(
        str(c.args.get("text") or "")[:48]
        for c in emu.calls_to("response_url")[calls_before["response_url"] :]
    )
    return {
        "series": label,
        **summary_ms(lat),
        "missing_acks": missing,
        "wall_s": round(wall, 3),
        "app_cpu_s": round(cpu, 2),
        "cpu_ms_per_env": round(cpu / len(payloads) * 1000, 3),
        "auth_test_calls": len(emu.calls_to("auth.test")) - calls_before["auth.test"],
        "response_url_posts": len(emu.calls_to("response_url")) - calls_before["response_url"],
        "response_url_texts": dict(said.most_common(5)),
    }


async def declare_cards(emu: SlackEmulator, channel: str, count: int) -> list[Message]:
    """Declare `count` incidents through Beacon and return their fresh, un-acknowledged cards."""
    before = {m.ts for m in emu.messages(channel)}
    for i in range(count):
        ack = await emu.deliver(
            "slash_commands",
            slash_payload(emu, "UALICE", channel, f"create click target {i} --sev P3"),
            timeout=10,
        )
        if ack is None:
            raise RuntimeError("Beacon did not ack a declare")

    def cards() -> list[Message] | None:
        found = [m for m in emu.messages(channel) if m.ts not in before]
        found = [m for m in found if {"View", "Acknowledge"} <= set(m.buttons())]
        return found if len(found) >= count else None

    return (await emu.wait_for(cards, timeout=60))[:count]


async def one_run(n: int, run: int) -> dict[str, Any]:
    emu = await start_emulator()
    redis = RedisServer().start()
    channel = emu.channel_by_name("incidents").id
    series: list[dict[str, Any]] = []
    cold: dict[str, Any] = {}
    bare_clicks: dict[str, list[dict[str, Any]]] = {}
    try:
        # --- Beacon ------------------------------------------------------------------------
        for prefix in VARIANTS:
            beacon = await AppProcess(
                "beacon",
                emu,
                f"{NAME}.{prefix}.{run}",
                BEACON_SETTINGS,
                redis_url=redis.url,
                config=str(bench_config_file()),
            ).start()
            try:
                cold[prefix] = await cold_probe(emu, channel, "help")
                cards = await declare_cards(emu, channel, CARDS)
                helps = [slash_payload(emu, "UALICE", channel, "help") for _ in range(n)]
                series.append(await burst(emu, beacon, "slash_commands", helps, f"{prefix} help"))
                users = ("UALICE", "UBOB")
                clicks = [
                    click_payload(emu, users[i % 2], cards[i % CARDS], "Acknowledge")
                    for i in range(n)
                ]
                # Built now: the clicks below acknowledge the cards, which update in place.
                for label in BASELINES:
                    bare_clicks.setdefault(
                        label,
                        [
                            click_payload(emu, "UALICE", cards[i % CARDS], "Acknowledge")
                            for i in range(n)
                        ],
                    )
                series.append(await burst(emu, beacon, "interactive", clicks, f"{prefix} click"))
            finally:
                await beacon.stop()
            await emu.wait_for(lambda: emu.connections == 0, timeout=10)
        # --- bare Bolt, both runners ------------------------------------------------------
        for label, (pbr, cached_auth) in BASELINES.items():
            app = await AppProcess(
                "bare", emu, f"{NAME}.{label}.{run}", pbr=pbr, cached_auth=cached_auth
            ).start()
            try:
                cold[label] = await cold_probe(emu, channel, "help")
                payloads = [slash_payload(emu, "UALICE", channel, "help") for _ in range(n)]
                series.append(await burst(emu, app, "slash_commands", payloads, f"{label} cmd"))
                clicks = bare_clicks[label]
                series.append(await burst(emu, app, "interactive", clicks, f"{label} click"))
            finally:
                await app.stop()
            await emu.wait_for(lambda: emu.connections == 0, timeout=10)
    finally:
        await emu.stop()
        redis.stop()
    by = {s["series"]: s for s in series}
    ratios = []
    for prefix, base in itertools.product(VARIANTS, BASELINES):
        for mine, theirs in (
            (f"{prefix} help", f"{base} cmd"),
            (f"{prefix} click", f"{base} click"),
        ):
            a, b = by[mine], by[theirs]
            ratios.append(
                {
                    "beacon": mine,
                    "baseline": theirs,
                    "p50_ratio": round(a["p50_ms"] / b["p50_ms"], 2),
                    "p99_ratio": round(a["p99_ms"] / b["p99_ms"], 2),
                }
            )
    return {"run": run, "series": series, "ratios": ratios, "cold_probe": cold}


def print_run(result: dict[str, Any]) -> None:
    cols = [
        "series",
        "n",
        "p50_ms",
        "p95_ms",
        "p99_ms",
        "max_ms",
        "missing_acks",
        "wall_s",
        "app_cpu_s",
        "cpu_ms_per_env",
        "auth_test_calls",
        "response_url_posts",
    ]
    print(f"\nrun {result['run']}: ack latency, {result['series'][0]['n']} envelopes per burst")
    print(table(result["series"], cols))
    print()
    print(table(result["ratios"], ["beacon", "baseline", "p50_ratio", "p99_ratio"]))
    cold = [{"app": k, **v} for k, v in result["cold_probe"].items()]
    print(f"\ncold start: first {COLD_PROBE} envelopes at once after connecting")
    print(table(cold, ["app", "envelopes", "auth_test_calls", "p50_ms", "p99_ms", "max_ms"]))


def target_summary(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per target series: the p99 ratio over the tuned baseline in every run, min and median."""
    rows = []
    for kind, limit in TARGET_P99_RATIO.items():
        ratios = [
            r["p99_ratio"]
            for result in results
            for r in result["ratios"]
            if r["beacon"] == f"beacon {kind}"
            and r["baseline"] == f"{TARGET_BASELINE} {'cmd' if kind == 'help' else 'click'}"
        ]
        rows.append(
            {
                "series": f"beacon {kind}",
                "baseline": TARGET_BASELINE,
                "p99_ratios": ratios,
                "min": min(ratios),
                "median": round(statistics.median(ratios), 2),
                "target": limit,
                "met_at_median": statistics.median(ratios) <= limit,
            }
        )
    return rows


async def main_async(n: int, runs: int) -> dict[str, Any]:
    results = []
    for run in range(1, runs + 1):
        result = await one_run(n, run)
        print_run(result)
        results.append(result)
    summary = target_summary(results)
    print(f"\np99 ratio over {TARGET_BASELINE}, all runs")
    print(table(summary, ["series", "p99_ratios", "min", "median", "target", "met_at_median"]))
    payload = {
        "params": {"n": n, "runs": runs, "chunk": 100, "cards": CARDS, "cold_probe": COLD_PROBE},
        "targets": {
            "p99_ratio_max_vs": TARGET_BASELINE,
            "p99_ratio_max": TARGET_P99_RATIO,
            "p99_ms_max": 3000,
        },
        "summary": summary,
        "runs": results,
    }
    path = write_results(NAME, payload)
    print(f"\nwrote {path}")
    return payload


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="envelopes per burst")
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    asyncio.run(main_async(args.n, args.runs))


if __name__ == "__main__":
    main()
