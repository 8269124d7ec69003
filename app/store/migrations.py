"""Start-up migrations: each runs once per Redis (remembered in Keys.migrations()) and may be
run again safely, since it rebuilds from the incidents themselves."""

from __future__ import annotations

import logging

from app.store.base import RedisStore

log = logging.getLogger("beacon.store")

INDEXES = "indexes-v1"
BATCH = 500  # incidents per reindex script call: short enough not to hold Redis up


class Migrations(RedisStore):
    async def run_pending(self, now: float) -> list[str]:
        """Every migration not yet done here; returns the names of those run."""
        ran: list[str] = []
        k = self.keys
        if await self.redis.hexists(k.migrations(), INDEXES):
            return ran
        # Instances starting together: one builds, the others serve meanwhile (their reads
        # are short of what the builder has not reached yet, for seconds at most).
        if not await self.redis.set(k.lock("migrations"), str(now), nx=True, ex=600):
            log.info("another instance is building the incident indexes")
            return ran
        try:
            count = await self.build_indexes(now)
        finally:
            await self.redis.delete(k.lock("migrations"))
        log.info("built the incident indexes and digest totals for %d incidents", count)
        ran.append(INDEXES)
        return ran

    async def build_indexes(self, now: float) -> int:
        """Clears the indexes and totals, then builds them from every incident hash with the
        transitions' own Lua helpers (lua/reindex.lua). Run before the process serves, so no
        transition interleaves; interrupted, it starts over at the next start."""
        k = self.keys
        doomed = [
            k.incidents_open(), k.incidents_acknowledged(), k.incidents_resolved(),
            k.incidents_resolved_at(), k.incidents_open_services(),
        ]
        for pattern in (
            k.incidents_open_severity("*"), k.incidents_open_assignee("*"), k.stats("*")
        ):
            doomed += [key async for key in self.redis.scan_iter(match=pattern, count=1000)]
        for start in range(0, len(doomed), BATCH):
            await self.redis.delete(*doomed[start:start + BATCH])
        ids = await self._every_incident()
        done = 0
        for start in range(0, len(ids), BATCH):
            keys = [k.incident(i) for i in ids[start:start + BATCH]]
            done += int(await self._run("reindex", keys, [now, k.index_prefix()]))
        await self.redis.hset(k.migrations(), INDEXES, str(now))
        return done

    async def _every_incident(self) -> list[str]:
        """Every incident id: the all set, and the numbers up to the counter for hashes that
        set missed (it is rebuilt too)."""
        k = self.keys
        ids = set(await self.redis.zrange(k.incidents_all(), 0, -1))
        last = int(await self.redis.get(k.incident_seq()) or 0)
        numbers = [f"INC-{n}" for n in range(1, last + 1)]
        for start in range(0, len(numbers), BATCH * 4):
            chunk = numbers[start:start + BATCH * 4]
            async with self.redis.pipeline(transaction=False) as pipe:
                for incident_id in chunk:
                    pipe.exists(k.incident(incident_id))
                found = await pipe.execute()
            ids.update(i for i, there in zip(chunk, found, strict=True) if there)
        return sorted(ids, key=lambda i: int(i.rsplit("-", 1)[1]))
