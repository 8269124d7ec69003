"""Short-lived things kept for Slack's sake: envelopes already handled (redelivery guard) and
cached users.info profiles."""

from __future__ import annotations

import json
from typing import Any

from app.store.base import RedisStore

# How long a handled envelope's fingerprint is kept: Slack redelivers within minutes.
ENVELOPE_TTL_S = 3600


class CacheStore(RedisStore):
    async def first_seen(self, fingerprint: str, ttl_s: int = ENVELOPE_TTL_S) -> bool:
        """True the first time a Slack envelope fingerprint is seen (redelivery guard)."""
        return bool(await self.redis.set(self.keys.envelope(fingerprint), "1", nx=True, ex=ttl_s))

    async def cached_profile(self, user_id: str) -> dict[str, Any] | None:
        raw = await self.redis.get(self.keys.user_profile(user_id))
        return json.loads(raw) if raw else None

    async def cache_profile(self, user_id: str, profile: dict[str, Any], ttl_s: int) -> None:
        await self.redis.set(self.keys.user_profile(user_id), json.dumps(profile), ex=ttl_s)
