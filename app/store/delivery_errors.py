"""Why Slack would not show something Beacon saved (an investigation result's post), kept on
the record itself so the intake API's GET says so. A file of its own: app/store is being split.
"""

from __future__ import annotations

from app.store.store import IncidentStore


class DeliveryErrors:
    def __init__(self, base: IncidentStore) -> None:
        self.redis = base.redis
        self.keys = base.keys

    async def investigation(self, investigation_id: str, error: str) -> None:
        key = self.keys.investigation(investigation_id)
        if await self.redis.exists(key):  # never a stray hash; results are not deleted
            await self.redis.hset(key, "delivery_error", error)
