"""Read paths and memory at 1k, 10k and 100k incidents, on one redis-server.

The store grows in place (1k, then 9k more, then 90k more), each incident declared through the
same Lua script as in production (declare.lua, many in flight at once), a third of them
acknowledged and half resolved, created over the last two days. At each size every read path
is timed from the same objects Beacon uses: `/incident status` (StatusService's counts and the
text), `/incident list` (first page and its blocks), one viewer's App Home publish
(HomePublisher.publish to a fake client), the daily digest (DigestService.build) and the API's
status filters (IntakeService.page, which GET /api/v1/incidents calls). Ratios are against the
1k size of the same run. Memory: used_memory per incident, the keys a resolved incident keeps
once its helper keys are gone, and an archived incident's entry after a retention sweep.
`python -m bench.scale [--sizes 1000,10000,100000] [--reps 30]`.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from typing import Any

from redis.asyncio import Redis

from app.clock import FakeClock
from app.config import BeaconConfig
from app.domain.approvals import ApprovalService
from app.domain.digest import DigestService
from app.domain.incidents import IncidentService
from app.domain.intake import IntakeService, StatusFilter
from app.domain.listing import IncidentState
from app.domain.models import NewIncident
from app.domain.oncall_service import OnCallService
from app.domain.status import StatusService
from app.home import HomePublisher
from app.store import Stores
from app.store.keys import Keys
from bench.common import RedisServer, summary_ms, table, write_results
from views import incident as card
from views.oncall import status_text

NAME = "scale"
NOW = 1_800_000_000.0
IN_FLIGHT = 400  # declares in flight at once while loading
SEVERITIES = ["P1", "P2", "P3", "P4"]
SERVICES = ["payments", "search", "checkout", "auth", None]
PEOPLE = [f"U{n:03d}" for n in range(40)]


class FakeSlack:
    """Stands in for the listener client: Home is rendered and handed over, not sent."""

    async def views_publish(self, *, user_id: str, view: dict[str, Any]) -> None:
        self.last = view


async def load(stores: Stores, first: int, count: int, rng: random.Random) -> None:
    """Incidents `first`..`first+count-1` through the production scripts."""
    store = stores.incidents

    async def one(n: int) -> None:
        created = NOW - rng.uniform(0, 2 * 86400)
        new = NewIncident(
            title=f"Incident {n}", severity=rng.choice(SEVERITIES), reporter="UALICE",
            service=rng.choice(SERVICES), assignee=rng.choice(PEOPLE),
        )
        incident_id, _ = await store.declare(new, created)
        roll = rng.random()
        if roll < 0.5:
            await store.acknowledge(incident_id, "UBOB", created + 60)
            await store.resolve(incident_id, "UBOB", "fixed", created + 1800)
        elif roll < 0.8:
            await store.acknowledge(incident_id, "UBOB", created + 120)

    for start in range(first, first + count, IN_FLIGHT):
        await asyncio.gather(*(one(n) for n in range(start, min(first + count, start + IN_FLIGHT))))


async def timed(fn: Callable[[], Awaitable[Any]], reps: int) -> dict[str, float]:
    await fn()  # warm: scripts and connections
    times = []
    for _ in range(reps):
        started = time.perf_counter()
        await fn()
        times.append(time.perf_counter() - started)
    return summary_ms(times)


def paths(stores: Stores, config: BeaconConfig, clock: FakeClock) -> dict[str, Callable]:
    incidents = IncidentService(stores.incidents, config, clock)
    intake = IntakeService(incidents, stores.incidents)
    oncall = OnCallService(config, clock, stores.oncall, None)  # type: ignore[arg-type]
    status = StatusService(incidents, oncall, stores, lambda: None)
    digest = DigestService(stores.incidents, stores.timers, config, clock)
    approvals = ApprovalService(stores.approvals, incidents, config, clock, lambda _: [])  # type: ignore[arg-type]
    home = HomePublisher(
        store=stores.home, config=config, clock=clock, incidents=incidents,
        approvals=approvals, oncall=oncall, directory=None,  # type: ignore[arg-type]
        poster=None, listener_client=FakeSlack(),  # type: ignore[arg-type]
    )

    async def status_path() -> str:
        report = await status.report()
        return status_text(report, config)

    async def list_path() -> Any:
        return card.list_blocks(await incidents.page(IncidentState.OPEN, card.LIST_PAGE), config)

    def api(state: StatusFilter) -> Callable[[], Awaitable[Any]]:
        return lambda: intake.page(state, 50)

    return {
        "status": status_path,
        "list": list_path,
        "home_publish": lambda: home.publish(PEOPLE[0], page=3),
        "digest": digest.build,
        "api_open": api(StatusFilter.OPEN),
        "api_acknowledged": api(StatusFilter.ACKNOWLEDGED),
        "api_resolved": api(StatusFilter.RESOLVED),
        "api_all_200": lambda: intake.page(StatusFilter.ALL, 200),
    }


async def memory(stores: Stores, redis: Redis, size: int) -> dict[str, Any]:
    info = await redis.info("memory")
    k = stores.keys
    resolved = await redis.zrange(k.incidents_resolved(), 0, 199)
    kept = []
    for incident_id in resolved:  # what stays once the helper keys have expired
        used = 0
        for key in (k.incident(incident_id), k.incident_timeline(incident_id)):
            used += int(await redis.memory_usage(key, samples=0) or 0)
        kept.append(used)
    return {
        "used_memory_per_incident": round(int(info["used_memory"]) / size),
        "resolved_kept_bytes": round(sum(kept) / max(1, len(kept))),
    }


async def archive_bytes(stores: Stores, redis: Redis) -> dict[str, Any]:
    """A retention sweep of everything resolved: the archive's bytes per incident."""
    before = int((await redis.info("memory"))["used_memory"])
    started = time.perf_counter()
    retired = 0
    while (due := await stores.incidents.retire_resolved(NOW + 86400, 500)) > 0:
        retired += due
    seconds = time.perf_counter() - started
    after = int((await redis.info("memory"))["used_memory"])
    archive = 0
    async for key in redis.scan_iter(match=stores.keys.archive("*")):
        archive += int(await redis.memory_usage(key, samples=0) or 0)
    return {
        "retired": retired,
        "retire_per_s": round(retired / seconds),
        "freed_per_incident": round((before - after) / max(1, retired)),
        "archive_bytes_per_incident": round(archive / max(1, retired)),
    }


async def main_async(sizes: list[int], reps: int) -> dict[str, Any]:
    server = RedisServer().start()
    rng = random.Random(1)
    rows: list[dict[str, Any]] = []
    mem_rows: list[dict[str, Any]] = []
    try:
        redis = Redis.from_url(server.url, decode_responses=True, max_connections=IN_FLIGHT)
        stores = Stores(redis, Keys("bench"))
        config = BeaconConfig(default_channel="#incidents")
        clock = FakeClock(NOW + 3600)
        measured = paths(stores, config, clock)
        loaded = 0
        for size in sizes:
            started = time.perf_counter()
            await load(stores, loaded + 1, size - loaded, rng)
            load_s = time.perf_counter() - started
            loaded = size
            for name, fn in measured.items():
                rows.append({"incidents": size, "path": name, **await timed(fn, reps)})
            mem_rows.append({"incidents": size, "load_s": round(load_s, 1),
                             **await memory(stores, redis, size)})
        archive = await archive_bytes(stores, redis)
        await redis.aclose()
    finally:
        server.stop()
    base = {r["path"]: r["p50_ms"] for r in rows if r["incidents"] == sizes[0]}
    for r in rows:
        r["ratio_vs_first"] = round(r["p50_ms"] / base[r["path"]], 2) if base[r["path"]] else None
    print("\nRead paths (ms per call; ratio: p50 against the smallest size)")
    print(table(rows, ["incidents", "path", "p50_ms", "p95_ms", "max_ms", "ratio_vs_first"]))
    print("\nMemory")
    print(table(mem_rows, list(mem_rows[0])))
    print("\nRetention sweep of every resolved incident")
    print(table([archive], list(archive)))
    worst = max((r for r in rows if r["incidents"] == sizes[-1]), key=lambda r: r["p95_ms"])
    payload = {
        "params": {"sizes": sizes, "reps": reps, "mix": "50% resolved, 30% acked, 20% open"},
        "targets": {"read_p95_ms_max": 20, "ratio_max": 1.5, "resolved_kept_bytes_max": 1536},
        "worst_at_largest": worst,
        "rows": rows,
        "memory": mem_rows,
        "archive": archive,
    }
    path = write_results(NAME, payload)
    print(f"\nwrote {path}")
    return payload


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--reps", type=int, default=30)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    asyncio.run(main_async(sizes, args.reps))


if __name__ == "__main__":
    main()
