"""Idempotency-Key records for the intake API: a pending marker, then the first response."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from app.store.base import RedisStore

TTL_S = 24 * 3600
# A request that died mid-way must not block its key for a day: the marker lapses sooner.
PENDING_TTL_S = 60


@dataclass(frozen=True)
class Stored:
    """What an earlier request with the same key left: still running, or its response."""

    fingerprint: str
    pending: bool
    status: int = 0
    body: Any = None


class IdempotencyStore(RedisStore):
    async def begin(self, scope: str, key: str, fingerprint: str) -> Stored | None:
        """Claim the key (None: go ahead) or return what an earlier request left."""
        name = self.keys.idempotency(scope, key)
        marker = json.dumps({"fingerprint": fingerprint, "pending": True})
        if await self.redis.set(name, marker, nx=True, ex=PENDING_TTL_S):
            return None
        raw = await self.redis.get(name)
        if raw is None:  # lapsed between the two calls: claim again
            return await self.begin(scope, key, fingerprint)
        obj = json.loads(raw)
        return Stored(obj["fingerprint"], obj["pending"], obj.get("status", 0), obj.get("body"))

    async def finish(self, scope: str, key: str, fingerprint: str, status: int, body: Any) -> None:
        record = {"fingerprint": fingerprint, "pending": False, "status": status, "body": body}
        await self.redis.set(self.keys.idempotency(scope, key), json.dumps(record), ex=TTL_S)

    async def abandon(self, scope: str, key: str) -> None:
        """The request failed before answering: let a retry with the same key act."""
        await self.redis.delete(self.keys.idempotency(scope, key))
