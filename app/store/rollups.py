"""Storm rollups in Redis: which incidents a channel's rollup message lists, where that message
is, who is paged for what in a storm, and which rollup messages need re-rendering."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from app.store.base import RedisStore

# Rollups only matter while people work a storm; a fortnight bounds them (incidents keep their
# own record).
TTL_S = 14 * 86400


@dataclass(frozen=True)
class Admission(RedisStore):
    rid: str  # the rollup message this incident is listed on
    storm: str  # the storm (its first rollup's id): one page DM per person per storm
    new_message: bool  # this incident opened the rollup message: post it
    started: float


@dataclass(frozen=True)
class StormRules(RedisStore):
    window_s: float = 10.0
    threshold: int = 5  # more than this many new incidents in the window: a storm
    settle_s: float = 60.0  # a storm ends after this long without a new incident
    max_items: int = 40  # rows per rollup message (Slack: 50 blocks per message)


class RollupStore(RedisStore):
    async def admit(
        self, channel: str, incident_id: str, now: float, waiting: int, rules: StormRules
    ) -> Admission | None:
        """None: post a card as usual. Else the incident is on the channel's rollup."""
        k = self.keys
        raw = await self._run(
            "rollup_admit",
            [k.rollup_arrivals(channel), k.rollup_current(channel)],
            [repr(now), incident_id, rules.window_s, rules.threshold, rules.settle_s, waiting,
             rules.max_items, f"R{uuid.uuid4().hex[:10]}", k.rollup_prefix()],
        )
        if raw[0] != "rollup":
            return None
        rid = str(raw[1])
        async with self.redis.pipeline(transaction=False) as pipe:
            for key in (k.rollup_items(rid), k.rollup(rid), k.rollup_current(channel)):
                pipe.expire(key, TTL_S)
            await pipe.execute()
        return Admission(rid, str(raw[2]), bool(int(raw[3])), float(raw[4]))

    async def set_incident_rollup(self, incident_id: str, rid: str) -> None:
        await self.redis.hset(self.keys.incident_messages(incident_id), "rollup_id", rid)

    async def incident_rollup(self, incident_id: str) -> str | None:
        rid = await self.redis.hget(self.keys.incident_messages(incident_id), "rollup_id")
        return str(rid) if rid else None

    async def message(self, rid: str) -> dict[str, str]:
        return await self.redis.hgetall(self.keys.rollup(rid))

    async def set_message(self, rid: str, channel: str, ts: str, permalink: str) -> None:
        await self.redis.hset(
            self.keys.rollup(rid), mapping={"channel": channel, "ts": ts, "permalink": permalink}
        )

    async def items(self, rid: str) -> list[str]:
        return list(await self.redis.lrange(self.keys.rollup_items(rid), 0, -1))

    async def page(self, storm: str, user: str, incident_id: str, now: float) -> None:
        key = self.keys.storm_pages(storm, user)
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.zadd(key, {incident_id: now}, nx=True)
            pipe.expire(key, TTL_S)
            await pipe.execute()

    async def paged_for(self, storm: str, user: str) -> list[str]:
        return list(await self.redis.zrange(self.keys.storm_pages(storm, user), 0, -1))

    async def page_dm(self, storm: str, user: str) -> tuple[str, str] | None:
        raw = await self.redis.hget(self.keys.rollup(storm), f"dm:{user}")
        if not raw:
            return None
        channel, ts = raw.split(" ", 1)
        return channel, ts

    async def set_page_dm(self, storm: str, user: str, channel: str, ts: str) -> None:
        await self.redis.hset(self.keys.rollup(storm), f"dm:{user}", f"{channel} {ts}")

    async def claim_bulk(self, rid: str, batch: str, event_id: str) -> tuple[bool, str | None]:
        """(whether `event_id` is the one event of a bulk action that says it in the rollup's
        thread, where that reply is if already posted). The claim names the event, so the
        same event tried again (a crash, Slack down) still posts it."""
        key = self.keys.rollup(rid)
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.hsetnx(key, f"bulk:{batch}", event_id)
            pipe.hget(key, f"bulk:{batch}")
            pipe.hget(key, f"bulk:{batch}:ts")
            _, owner, ts = await pipe.execute()
        return owner == event_id, ts

    async def bulk_posted(self, rid: str, batch: str, ts: str) -> None:
        await self.redis.hset(self.keys.rollup(rid), f"bulk:{batch}:ts", ts)

    async def mark_dirty(self, *names: str) -> None:
        if names:
            await self.redis.sadd(self.keys.rollups_dirty(), *names)

    async def take_dirty(self, count: int = 50) -> list[str]:
        return list(await self.redis.spop(self.keys.rollups_dirty(), count) or [])
