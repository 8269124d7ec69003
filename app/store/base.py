"""What every store shares: the connection, the key names and the scripts registry."""

from __future__ import annotations

from typing import Any

from redis.asyncio import Redis

from app.store.keys import Keys
from app.store.scripts import Scripts


class RedisStore:
    """Base of every store. Stores built together share one `Scripts` (Stores.open); one
    built alone registers its own."""

    def __init__(self, redis: Redis, keys: Keys, scripts: Scripts | None = None) -> None:
        # redis-py types every reply `bytes | str` whatever decode_responses says; ours are
        # decoded strings, so replies are typed where the store methods return them.
        self.redis: Any = redis
        self.keys = keys
        self.scripts = scripts or Scripts(redis)

    async def _run(self, name: str, keys: list[str], args: list[Any]) -> Any:
        return await self.scripts.run(name, keys, args)

    def _inc3(self, incident_id: str) -> list[str]:
        """The keys every incident transition starts with (lua/_prelude.lua's convention)."""
        k = self.keys
        return [k.incident(incident_id), k.incident_timeline(incident_id), k.events()]
