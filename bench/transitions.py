"""Lua transitions per second on one redis-server, through app.store.IncidentStore.

Each cycle is declare + acknowledge + note + resolve on a fresh incident (4 Lua scripts; declare
also does one INCR). N concurrent clients are N asyncio tasks in this process sharing one
redis-py connection pool; each run lasts a fixed time. Redis is started twice: without
persistence (like the tests), with AOF + appendfsync everysec (most production setups) and with
AOF + appendfsync always (Beacon's embedded default).
`python -m bench.transitions [--clients 1,8,32] [--seconds 5] [--runs 2]`.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import Any

from redis.asyncio import Redis

from app.domain.models import NewIncident
from app.store.incidents import IncidentStore
from app.store.keys import Keys
from bench.common import RedisServer, cpu_seconds, table, write_results

NAME = "transitions"
MAX_CYCLES_PER_CLIENT = 200_000


async def measure(store: IncidentStore, clients: int, seconds: float) -> dict[str, Any]:
    counts = [0] * clients
    refused = 0
    stop_at = time.perf_counter() + seconds

    async def client(c: int) -> None:
        nonlocal refused
        for _ in range(MAX_CYCLES_PER_CLIENT):  # bounded in count and (below) in time
            if time.perf_counter() >= stop_at:
                return
            now = time.time()
            new = NewIncident(title=f"bench {c}", severity="P3", reporter="UALICE")
            incident_id, first = await store.declare(new, now)
            results = [
                first,
                await store.acknowledge(incident_id, "UBOB", now),
                await store.add_note(incident_id, "UBOB", "looking", now),
                await store.resolve(incident_id, "UBOB", "fixed", now),
            ]
            refused += sum(1 for r in results if not hasattr(r, "event_id"))
            counts[c] += 4

    started = time.perf_counter()
    await asyncio.gather(*(client(c) for c in range(clients)))
    elapsed = time.perf_counter() - started
    ops = sum(counts)
    return {
        "clients": clients,
        "transitions": ops,
        "seconds": round(elapsed, 2),
        "ops_per_s": round(ops / elapsed),
        "cycles_per_s": round(ops / 4 / elapsed),
        "refused": refused,
    }


async def one_config(aof: str, clients_list: list[int], seconds: float, runs: int):
    server = RedisServer(appendonly=aof != "off", appendfsync=aof if aof != "off" else "always")
    server.start()
    rows = []
    try:
        redis = Redis.from_url(server.url, decode_responses=True, max_connections=256)
        try:
            for run in range(1, runs + 1):
                for clients in clients_list:
                    await redis.flushall()
                    store = IncidentStore(redis, Keys("bench"))
                    await measure(store, clients, 0.3)  # warm-up: scripts loaded, pool filled
                    await redis.flushall()
                    redis_cpu0 = cpu_seconds(server.proc.pid)  # type: ignore[union-attr]
                    row = await measure(store, clients, seconds)
                    redis_cpu = cpu_seconds(server.proc.pid) - redis_cpu0  # type: ignore[union-attr]
                    row["redis_cpu_pct"] = round(redis_cpu / row["seconds"] * 100)
                    rows.append({"aof": aof, "run": run, **row})
        finally:
            await redis.aclose()
    finally:
        server.stop()
    return rows


async def main_async(clients_list: list[int], seconds: float, runs: int) -> dict[str, Any]:
    rows = []
    for aof in ("off", "everysec", "always"):
        rows += await one_config(aof, clients_list, seconds, runs)
    cols = [
        "aof",
        "run",
        "clients",
        "transitions",
        "seconds",
        "ops_per_s",
        "cycles_per_s",
        "refused",
        "redis_cpu_pct",
    ]
    print("\nLua transitions per second (declare + acknowledge + note + resolve cycles)")
    print(table(rows, cols))
    payload = {
        "params": {"clients": clients_list, "seconds": seconds, "runs": runs},
        "targets": {"ops_per_s_min": 2000},
        "rows": rows,
    }
    path = write_results(NAME, payload)
    print(f"\nwrote {path}")
    return payload


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", default="1,8,32")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    clients = [int(c) for c in args.clients.split(",") if c.strip()]
    asyncio.run(main_async(clients, args.seconds, args.runs))


if __name__ == "__main__":
    main()
