"""Coordination between instances: named locks, the notifier's consumer-name leases, and the
token buckets that pace Slack writes across instances."""

from __future__ import annotations

from app.store.base import RedisStore


class LeaseStore(RedisStore):
    async def try_lock(self, name: str, owner: str, ttl_ms: int) -> bool:
        return bool(await self._run("lock", [self.keys.lock(name)], [owner, ttl_ms]))

    async def extend_lock(self, name: str, owner: str, ttl_ms: int) -> bool:
        return bool(await self._run("extend_lock", [self.keys.lock(name)], [owner, ttl_ms]))

    async def unlock(self, name: str, owner: str) -> None:
        await self._run("unlock", [self.keys.lock(name)], [owner])

    async def lease_consumer(self, name: str, owner: str, ttl_ms: int, *, renew: bool) -> bool:
        """Take (or renew) the lease on a consumer name; False while someone else holds it."""
        script = "extend_lock" if renew else "lock"
        return bool(await self._run(script, [self.keys.consumer(name)], [owner, ttl_ms]))

    async def release_consumer(self, name: str, owner: str) -> None:
        await self._run("unlock", [self.keys.consumer(name)], [owner])

    async def take_token(self, bucket: str, now: float, rate: float, capacity: float) -> float:
        """Take a token from a shared bucket: 0 when taken, else seconds until one is free."""
        key = self.keys.bucket(bucket)
        return float(await self._run("bucket_take", [key], [repr(now), rate, capacity]))
