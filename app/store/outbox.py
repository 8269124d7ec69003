"""The outbox: the events stream every transition appends to, read by consumer groups.

A consumer reads, claims and acknowledges events here, and marks how far each incident's
events are applied (`begin_event`/`finish_event`, one Lua script each).

Transitions append to the stream without any MAXLEN (app/store/lua/_prelude.lua): an entry
may only go once every consumer group on the stream is done with it. `trim_acknowledged` works
out that point from XINFO GROUPS and XPENDING and trims below it; `backlog` reports how far
each group is behind and how old its oldest waiting event is.

Ages come from the entry's `at` field, the time the transition's caller passed in from the
injectable clock (the same clock the caller of `backlog` reads `now` from). The stream id's
millisecond part is Redis's own wall time, which a FakeClock (or another host's clock) does not
share; it is used only for an entry with no readable `at`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import ResponseError

from app.domain.models import Event, Incident
from app.store.base import RedisStore
from app.store.keys import Keys
from app.store.scripts import Call, Scripts

log = logging.getLogger("beacon.outbox")

# Most entries counted with XRANGE when Redis cannot tell a group's lag (XDEL, before 7.0).
LAG_COUNT_LIMIT = 10_000
_MAX_SEQ = (1 << 64) - 1


@dataclass(frozen=True, order=True)
class StreamId:
    ms: int
    seq: int

    @classmethod
    def parse(cls, raw: str) -> StreamId:
        ms, _, seq = raw.partition("-")
        return cls(int(ms), int(seq or 0))

    def next(self) -> StreamId:
        """The smallest id after this one."""
        if self.seq == _MAX_SEQ:
            return StreamId(self.ms + 1, 0)
        return StreamId(self.ms, self.seq + 1)

    def __str__(self) -> str:
        return f"{self.ms}-{self.seq}"


@dataclass(frozen=True)
class GroupBacklog:
    """One consumer group's position in the stream."""

    name: str
    last_delivered_id: str
    lag: int  # entries after last_delivered_id: not delivered to any consumer yet
    lag_exact: bool  # False: too many to count when Redis could not tell; `lag` estimates
    pending: int  # delivered to a consumer, not acknowledged yet
    oldest_pending_id: str | None
    oldest_pending_age_s: float | None
    oldest_undelivered_id: str | None
    oldest_undelivered_age_s: float | None

    @property
    def unacknowledged(self) -> int:
        return self.lag + self.pending


@dataclass(frozen=True)
class Backlog:
    """The stream's length and every consumer group's backlog; the worst group decides."""

    length: int
    groups: tuple[GroupBacklog, ...] = ()

    def group(self, name: str) -> GroupBacklog | None:
        return next((g for g in self.groups if g.name == name), None)

    @property
    def lag(self) -> int:
        return max((g.lag for g in self.groups), default=0)

    @property
    def pending(self) -> int:
        return max((g.pending for g in self.groups), default=0)

    @property
    def unacknowledged(self) -> int:
        return max((g.unacknowledged for g in self.groups), default=0)

    @property
    def oldest_pending_age_s(self) -> float | None:
        ages = [g.oldest_pending_age_s for g in self.groups if g.oldest_pending_age_s is not None]
        return max(ages, default=None)

    @property
    def oldest_undelivered_age_s(self) -> float | None:
        ages = [
            g.oldest_undelivered_age_s
            for g in self.groups
            if g.oldest_undelivered_age_s is not None
        ]
        return max(ages, default=None)


class OutboxStore(RedisStore):
    """The events stream (`keys.events()`): consuming it, its retention and its backlog."""

    def __init__(
        self,
        redis: Redis,
        keys: Keys,
        scripts: Scripts | None = None,
        *,
        keep_acknowledged: int = 1000,
    ) -> None:
        super().__init__(redis, keys, scripts)
        # The newest acknowledged entries left in place for debugging (XREVRANGE shows what
        # happened lately); entries some group still needs are kept whatever this says.
        self.keep_acknowledged = max(0, keep_acknowledged)

    @property
    def stream(self) -> str:
        return self.keys.events()

    # --- consuming ---------------------------------------------------------------------------
    async def ensure_group(self, group: str) -> None:
        try:
            await self.redis.xgroup_create(self.keys.events(), group, id="0", mkstream=True)
        except Exception as exc:  # BUSYGROUP: another instance made it first
            if "BUSYGROUP" not in str(exc):
                raise

    async def read_events(
        self, group: str, consumer: str, count: int, block_ms: int
    ) -> list[Event]:
        reply = await self.redis.xreadgroup(
            group, consumer, {self.keys.events(): ">"}, count=count, block=block_ms
        )
        return [
            Event.from_stream(sid, fields) for _, entries in reply or [] for sid, fields in entries
        ]

    async def reclaim_events(
        self, group: str, consumer: str, min_idle_ms: int, count: int
    ) -> list[Event]:
        """Take over events another consumer read but never acknowledged (it died)."""
        reply = await self.redis.xautoclaim(
            self.keys.events(), group, consumer, min_idle_time=min_idle_ms, count=count
        )
        entries = reply[1] if reply else []
        return [Event.from_stream(sid, fields) for sid, fields in entries if fields]

    async def pending_mine(self, group: str, consumer: str, count: int) -> list[Event]:
        reply = await self.redis.xreadgroup(group, consumer, {self.keys.events(): "0"}, count=count)
        return [
            Event.from_stream(sid, fields)
            for _, entries in reply or []
            for sid, fields in entries
            if fields
        ]

    async def ack_event(self, group: str, stream_id: str) -> None:
        await self.redis.xack(self.keys.events(), group, stream_id)

    async def begin_event(
        self, incident_id: str, seq: int, owner: str, ttl_ms: int, *, read: bool = True,
        after: Sequence[Call] = (),
    ) -> tuple[str, Incident | None]:
        """('apply', the incident as it is now when `read`) with the lease taken, ('done',
        None) when applied before, or ('wait', None). `incident_id` may name something else
        (an approval, the digest): then `read` is False. `after`: calls that must run first
        (the previous event's finish), sent in the same round trip."""
        keys = [self.keys.notified(incident_id), self.keys.lock(f"incident:{incident_id}")]
        if read:
            keys.append(self.keys.incident(incident_id))
        begin = Call("event_begin", keys, [seq, owner, ttl_ms])
        if after:
            reply = (await self.scripts.run_many([*after, begin]))[-1]
        else:
            reply = await self._run(begin.name, begin.keys, begin.args)
        verdict, *flat = reply
        raw = dict(zip(flat[::2], flat[1::2], strict=True))
        return str(verdict), Incident.from_redis(raw) if raw else None

    def finish_call(
        self, incident_id: str, seq: int, group: str, stream_id: str, owner: str,
        *, ttl: int = 0,
    ) -> Call:
        """Raise the incident's mark, acknowledge the entry, release the lease (event_done).
        `ttl` > 0: the mark expires then (only for ids that have exactly one event)."""
        keys = [self.keys.notified(incident_id), self.keys.events(),
                self.keys.lock(f"incident:{incident_id}")]
        return Call("event_done", keys, [seq, group, stream_id, owner, ttl or ""])

    async def finish_event(
        self, incident_id: str, seq: int, group: str, stream_id: str, owner: str
    ) -> None:
        await self.run_calls([self.finish_call(incident_id, seq, group, stream_id, owner)])

    async def run_calls(self, calls: Sequence[Call]) -> None:
        if len(calls) == 1:
            await self._run(calls[0].name, calls[0].keys, calls[0].args)
        elif calls:
            await self.scripts.run_many(calls)

    async def mark_notified(self, incident_id: str, seq: int, *, ttl: int = 0) -> None:
        await self._run("mark_notified", [self.keys.notified(incident_id)], [seq, ttl or ""])

    async def notified_seq(self, incident_id: str) -> int:
        return int(await self.redis.get(self.keys.notified(incident_id)) or 0)

    # --- retention and backlog -----------------------------------------------------------------
    async def groups(self) -> list[dict[str, Any]]:
        """XINFO GROUPS of the stream ([] while it does not exist)."""
        try:
            return list(await self.redis.xinfo_groups(self.stream))
        except ResponseError as exc:
            if "no such key" in str(exc).lower():
                return []
            raise

    async def _group_floor(self, group: dict[str, Any]) -> StreamId:
        """The oldest entry this group may still need: its oldest pending entry, or else the
        first entry it has not been delivered."""
        floor = StreamId.parse(str(group["last-delivered-id"])).next()
        if int(group.get("pending") or 0):
            summary = await self.redis.xpending(self.stream, group["name"])
            if summary.get("min"):
                floor = min(floor, StreamId.parse(str(summary["min"])))
        return floor

    async def trim_acknowledged(self) -> int:
        """Remove the entries every consumer group has acknowledged, but the newest
        `keep_acknowledged` of them; return how many went. No group: nothing goes."""
        groups = await self.groups()
        if not groups:
            return 0
        floor = min([await self._group_floor(g) for g in groups])
        if self.keep_acknowledged:
            rows = await self.redis.xrevrange(
                self.stream, max=f"({floor}", min="-", count=self.keep_acknowledged
            )
            if len(rows) < self.keep_acknowledged:
                return 0  # no more acknowledged entries than we keep anyway
            floor = StreamId.parse(rows[-1][0])
        # Exact, not `~`: this runs once a pass (30 s), not on every XADD, so deleting inside
        # a listpack node costs little; and the floor and the count returned are exact. (`~`
        # would be safe too, it only ever removes less, whole nodes below the floor.)
        removed = int(await self.redis.xtrim(self.stream, minid=str(floor), approximate=False))
        if removed:
            log.debug("outbox: trimmed %d acknowledged entries below %s", removed, floor)
        return removed

    async def backlog(self, now: float) -> Backlog:
        """Each group's lag, pending count, and the age at `now` (the injectable clock's) of
        its oldest pending and oldest undelivered event."""
        groups = await self.groups()
        length = int(await self.redis.xlen(self.stream))
        if not groups:
            return Backlog(length=length)
        stream_info: dict[str, Any] | None = None
        out: list[GroupBacklog] = []
        for g in groups:
            name = str(g["name"])
            last = StreamId.parse(str(g["last-delivered-id"]))
            pending = int(g.get("pending") or 0)
            oldest_pending_id = None
            oldest_pending_age = None
            if pending:
                summary = await self.redis.xpending(self.stream, name)
                if summary.get("min"):
                    oldest_pending_id = str(summary["min"])
                    oldest_pending_age = await self._age(oldest_pending_id, now)
            first_undelivered = await self.redis.xrange(
                self.stream, min=str(last.next()), max="+", count=1
            )
            oldest_undelivered_id = None
            oldest_undelivered_age = None
            if first_undelivered:
                oldest_undelivered_id, fields = first_undelivered[0]
                oldest_undelivered_age = _age(oldest_undelivered_id, fields, now)
            lag, exact = g.get("lag"), True
            if lag is None and oldest_undelivered_id is None:
                lag = 0
            elif lag is None:
                # Redis has no lag when entries were deleted (XDEL) in the group's range, or
                # before 7.0: count them, up to LAG_COUNT_LIMIT.
                lag, exact = await self._count_after(last)
                if not exact and g.get("entries-read") is not None:
                    # Too many to count: entries-added minus entries-read counts every
                    # undelivered entry (and any deleted ones), an estimate from above.
                    if stream_info is None:
                        stream_info = await self.redis.xinfo_stream(self.stream)
                    added = stream_info.get("entries-added")
                    if added is not None:
                        lag = max(lag, int(added) - int(g["entries-read"]))
            out.append(
                GroupBacklog(
                    name=name,
                    last_delivered_id=str(last),
                    lag=int(lag),
                    lag_exact=exact,
                    pending=pending,
                    oldest_pending_id=oldest_pending_id,
                    oldest_pending_age_s=oldest_pending_age,
                    oldest_undelivered_id=oldest_undelivered_id,
                    oldest_undelivered_age_s=oldest_undelivered_age,
                )
            )
        return Backlog(length=length, groups=tuple(out))

    async def _count_after(self, last: StreamId) -> tuple[int, bool]:
        """Entries after `last`, counted up to LAG_COUNT_LIMIT; (count, whether exact)."""
        rows = await self.redis.xrange(
            self.stream, min=str(last.next()), max="+", count=LAG_COUNT_LIMIT + 1
        )
        if len(rows) > LAG_COUNT_LIMIT:
            return LAG_COUNT_LIMIT, False
        return len(rows), True

    async def _age(self, stream_id: str, now: float) -> float:
        rows = await self.redis.xrange(self.stream, min=stream_id, max=stream_id, count=1)
        return _age(stream_id, rows[0][1] if rows else None, now)


def _age(stream_id: str, fields: dict[str, str] | None, now: float) -> float:
    """Seconds from the entry's `at` (or, without one, its id's milliseconds) to `now`."""
    try:
        at = float((fields or {})["at"])
    except (KeyError, TypeError, ValueError):
        at = StreamId.parse(stream_id).ms / 1000
    return max(0.0, now - at)
