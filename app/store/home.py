"""App Home: who opened Beacon's Home tab lately, and the page of open incidents each is on."""

from __future__ import annotations

from app.store.base import RedisStore


class HomeStore(RedisStore):
    async def add_viewer(self, user_id: str, now: float) -> None:
        await self.redis.zadd(self.keys.home_viewers(), {user_id: now})

    async def recent_viewers(self, since: float, limit: int) -> list[str]:
        """The newest `limit` viewers since `since`; older ones are forgotten."""
        await self.redis.zremrangebyscore(self.keys.home_viewers(), "-inf", since)
        return list(await self.redis.zrevrange(self.keys.home_viewers(), 0, limit - 1))

    async def pages(self, user_ids: list[str]) -> list[int]:
        """The page each user is on (0 when none was remembered), in the order asked."""
        rows = await self.redis.hmget(self.keys.home_pages(), user_ids)
        return [int(page or 0) for page in rows]

    async def set_page(self, user_id: str, page: int) -> None:
        await self.redis.hset(self.keys.home_pages(), user_id, page)
