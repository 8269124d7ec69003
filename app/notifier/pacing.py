"""Token buckets shaped like Slack's rate limits, shared by every instance through Redis.

Slack allows about one `chat.postMessage` per second per channel with short bursts, and every
other method a per-workspace budget by tier (https://docs.slack.dev/apis/web-api/rate-limits).
Beacon stays a little under each, so a paced write is never refused with a 429.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.clock import Clock
from app.store.leases import LeaseStore


@dataclass(frozen=True)
class Limit:
    rate: float  # tokens per second
    capacity: float  # the burst


def _per_minute(n: int) -> Limit:
    # 90 % of the tier: several instances and clock skew never add up to a 429.
    return Limit(rate=n * 0.9 / 60, capacity=max(1.0, n * 0.9))


TIERS = {1: _per_minute(1), 2: _per_minute(20), 3: _per_minute(50), 4: _per_minute(100)}
# Methods a notifier calls, by Slack's tier (each method's page on docs.slack.dev).
METHOD_TIER = {
    "chat.update": 3,
    "chat.delete": 3,
    "chat.postEphemeral": 4,
    "chat.getPermalink": 4,  # "special", hundreds a minute: Tier 4 is well inside it
    "conversations.history": 3,
    "conversations.replies": 3,
    "conversations.create": 2,
    "conversations.invite": 3,
    "conversations.setTopic": 2,
    "conversations.setPurpose": 2,
    "conversations.archive": 2,
    "conversations.members": 4,
    "conversations.list": 2,
    "conversations.open": 3,
    "users.info": 4,
    "usergroups.users.list": 2,
    "views.publish": 4,
    "bookmarks.add": 2,
    "pins.add": 2,
    "files.getUploadURLExternal": 4,
    "files.completeUploadExternal": 4,
}
# One message per second per channel; a burst of 2 keeps under Slack's (undocumented) burst.
POST_BURST = 2.0


class Pacer:
    def __init__(self, store: LeaseStore, clock: Clock, posts_per_second: float) -> None:
        self.store = store
        self.clock = clock
        self.enabled = posts_per_second > 0
        self.post = Limit(rate=posts_per_second, capacity=POST_BURST)

    def bucket(self, method: str, channel: str | None) -> tuple[str, Limit] | None:
        if method == "chat.postMessage":
            return (f"post:{channel}", self.post) if channel else None
        tier = METHOD_TIER.get(method)
        return (f"method:{method}", TIERS[tier]) if tier else None

    async def wait(self, method: str, channel: str | None = None) -> None:
        """Return once this write may go out (at once, while the bucket has a token)."""
        if not self.enabled:
            return
        found = self.bucket(method, channel)
        if found is None:
            return
        name, limit = found
        while True:
            wait = await self.store.take_token(name, self.clock.now(), limit.rate, limit.capacity)
            if wait <= 0:
                return
            await self.clock.sleep(wait)
