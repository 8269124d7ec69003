"""Start-up migrations: each runs once per Redis (remembered in Keys.migrations()) and may be
run again safely, since it rebuilds from the incidents themselves."""

from __future__ import annotations

import logging

from app.store.base import RedisStore

log = logging.getLogger("beacon.store")

INDEXES = "indexes-v1"
KEPT = "retention-index-v1"  # approvals by decision time, investigations by posting time
BATCH = 500  # incidents per reindex script call: short enough not to hold Redis up


class Migrations(RedisStore):
    async def run_pending(self, now: float) -> list[str]:
        """Every migration not yet done here; returns the names of those run."""
        ran: list[str] = []
        k = self.keys
        done = await self.redis.hmget(k.migrations(), [INDEXES, KEPT])
        if all(done):
            return ran
        # Instances starting together: one builds, the others serve meanwhile (their reads
        # are short of what the builder has not reached yet, for seconds at most).
        if not await self.redis.set(k.lock("migrations"), str(now), nx=True, ex=600):
            log.info("another instance is building the incident indexes")
            return ran
        try:
            if not done[0]:
                count = await self.build_indexes(now)
                log.info("built the incident indexes and digest totals for %d incidents", count)
                ran.append(INDEXES)
            if not done[1]:
                count = await self.index_kept(now)
                log.info("indexed %d approvals and investigations for retention", count)
                ran.append(KEPT)
        finally:
            await self.redis.delete(k.lock("migrations"))
        return ran

    async def index_kept(self, now: float) -> int:
        """Fills the retention indexes of approvals (decided or expired) and investigations
        from their hashes, APR-1/INV-1 up to their counters; safe to run again (ZADD)."""
        k = self.keys
        done = 0
        for prefix, seq, key_of, index, field in (
            ("APR", k.approval_seq(), k.approval, k.approvals_decided(), "decided_at"),
            ("INV", k.investigation_seq(), k.investigation, k.investigations_created(),
             "created_at"),
        ):
            last = int(await self.redis.get(seq) or 0)
            for start in range(1, last + 1, BATCH):
                numbers = range(start, min(last, start + BATCH - 1) + 1)
                keys = [key_of(f"{prefix}-{n}") for n in numbers]
                done += int(await self._run("reindex_kept", [index, *keys], [field]))
        await self.redis.hset(k.migrations(), KEPT, str(now))
        return done

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
