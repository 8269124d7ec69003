"""IncidentStore: key names from app.keys, every transition one registered Lua script."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from redis.asyncio import Redis
from redis.commands.core import AsyncScript

from app.domain.models import Event, Incident, NewIncident, TimelineEntry
from app.keys import Keys

_LUA = Path(__file__).with_name("lua")


@cache
def _source(name: str) -> str:
    prelude = (_LUA / "_prelude.lua").read_text()
    return prelude + "\n" + (_LUA / f"{name}.lua").read_text()


@dataclass(frozen=True)
class Transition:
    """A transition that happened: the event it appended."""

    event_id: str


@dataclass(frozen=True)
class Refused:
    """A transition the script refused, with why (code) and details (who, when)."""

    code: str
    details: tuple[str, ...] = ()


def _result(raw: list[Any]) -> Transition | Refused:
    if raw[0] == "ok":
        return Transition(event_id=raw[1])
    return Refused(code=raw[1], details=tuple(raw[2:]))


class IncidentStore:
    SCRIPTS = (
        "declare",
        "acknowledge",
        "resolve",
        "snooze",
        "wake",
        "assign",
        "severity",
        "note",
        "claim_timers",
        "record_message",
        "mark_notified",
        "unlock",
        "lock",
        "extend_lock",
    )

    def __init__(self, redis: Redis, keys: Keys) -> None:
        self.redis = redis
        self.keys = keys
        self._scripts: dict[str, AsyncScript] = {
            name: redis.register_script(_source(name)) for name in self.SCRIPTS
        }

    async def _run(self, name: str, keys: list[str], args: list[Any]) -> Any:
        return await self._scripts[name](keys=keys, args=[str(a) for a in args])

    def _inc3(self, incident_id: str) -> list[str]:
        k = self.keys
        return [k.incident(incident_id), k.incident_timeline(incident_id), k.events()]

    async def ping(self) -> None:
        await self.redis.ping()

    # --- transitions ---------------------------------------------------------------------
    async def declare(self, new: NewIncident, now: float) -> tuple[str, Transition | Refused]:
        number = int(await self.redis.incr(self.keys.incident_seq()))
        incident_id = f"INC-{number}"
        k = self.keys
        fields = {
            "id": incident_id,
            "number": number,
            "title": new.title,
            "description": new.description,
            "service": new.service or "",
            "severity": new.severity,
            "assignee": new.assignee or "",
            "source_channel": new.source_channel or "",
            "source_ts": new.source_ts or "",
            "source_permalink": new.source_permalink or "",
            "wants_channel": "1" if new.wants_channel else "",
        }
        args: list[Any] = [now, new.reporter]
        for key, value in fields.items():
            args += [key, value]
        keys = [*self._inc3(incident_id), k.incidents_open(), k.incidents_all()]
        return incident_id, _result(await self._run("declare", keys, args))

    async def acknowledge(self, incident_id: str, actor: str, now: float) -> Transition | Refused:
        return _result(await self._run("acknowledge", self._inc3(incident_id), [now, actor]))

    async def resolve(
        self, incident_id: str, actor: str, note: str, now: float
    ) -> Transition | Refused:
        keys = [*self._inc3(incident_id), self.keys.incidents_open()]
        return _result(await self._run("resolve", keys, [now, actor, note]))

    async def snooze(
        self, incident_id: str, actor: str, until: float, now: float
    ) -> Transition | Refused:
        timer_id = f"snooze:{incident_id}:{uuid.uuid4().hex[:8]}"
        keys = [*self._inc3(incident_id), self.keys.timers(), self.keys.timer(timer_id)]
        return _result(await self._run("snooze", keys, [now, actor, until, timer_id]))

    async def wake(self, incident_id: str, timer_id: str, now: float) -> Transition | Refused:
        keys = [*self._inc3(incident_id), self.keys.timers(), self.keys.timer(timer_id)]
        return _result(await self._run("wake", keys, [now, timer_id]))

    async def assign(
        self, incident_id: str, actor: str, assignee: str, now: float
    ) -> Transition | Refused:
        return _result(await self._run("assign", self._inc3(incident_id), [now, actor, assignee]))

    async def set_severity(
        self, incident_id: str, actor: str, severity: str, now: float
    ) -> Transition | Refused:
        return _result(await self._run("severity", self._inc3(incident_id), [now, actor, severity]))

    async def add_note(
        self, incident_id: str, actor: str, text: str, now: float
    ) -> Transition | Refused:
        return _result(await self._run("note", self._inc3(incident_id), [now, actor, text]))

    # --- reads ---------------------------------------------------------------------------
    async def get(self, incident_id: str) -> Incident | None:
        raw = await self.redis.hgetall(self.keys.incident(incident_id))
        return Incident.from_redis(raw) if raw else None

    async def timeline(self, incident_id: str) -> list[TimelineEntry]:
        rows = await self.redis.lrange(self.keys.incident_timeline(incident_id), 0, -1)
        return [TimelineEntry.from_json(row) for row in rows]

    async def list_open(self, limit: int = 50) -> list[Incident]:
        ids = await self.redis.zrevrange(self.keys.incidents_open(), 0, limit - 1)
        return await self._many(ids)

    async def _many(self, ids: list[str]) -> list[Incident]:
        if not ids:
            return []
        async with self.redis.pipeline(transaction=False) as pipe:
            for incident_id in ids:
                pipe.hgetall(self.keys.incident(incident_id))
            rows = await pipe.execute()
        return [Incident.from_redis(row) for row in rows if row]

    # --- Slack message bookkeeping -------------------------------------------------------
    async def record_message(
        self,
        incident_id: str,
        role: str,
        channel: str,
        ts: str,
        *,
        card: bool = False,
        permalink: str = "",
    ) -> None:
        keys = [self.keys.incident(incident_id), self.keys.incident_messages(incident_id)]
        await self._run("record_message", keys, [role, channel, ts, "1" if card else "", permalink])

    async def message_ref(self, incident_id: str, role: str) -> tuple[str, str] | None:
        raw = await self.redis.hget(self.keys.incident_messages(incident_id), role)
        if not raw:
            return None
        channel, ts = raw.split(" ", 1)
        return channel, ts

    async def messages(self, incident_id: str) -> dict[str, str]:
        return await self.redis.hgetall(self.keys.incident_messages(incident_id))

    async def notified_seq(self, incident_id: str) -> int:
        return int(await self.redis.get(self.keys.notified(incident_id)) or 0)

    async def mark_notified(self, incident_id: str, seq: int) -> None:
        await self._run("mark_notified", [self.keys.notified(incident_id)], [seq])

    # --- events --------------------------------------------------------------------------
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

    # --- timers --------------------------------------------------------------------------
    async def claim_timers(self, now: float, lease: float, limit: int = 50) -> list[str]:
        return list(await self._run("claim_timers", [self.keys.timers()], [now, lease, limit]))

    async def timer(self, timer_id: str) -> dict[str, str]:
        return await self.redis.hgetall(self.keys.timer(timer_id))

    async def drop_timer(self, timer_id: str) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.zrem(self.keys.timers(), timer_id)
            pipe.delete(self.keys.timer(timer_id))
            await pipe.execute()

    async def next_timer_due(self) -> float | None:
        rows = await self.redis.zrange(self.keys.timers(), 0, 0, withscores=True)
        return float(rows[0][1]) if rows else None

    # --- coordination between instances ----------------------------------------------------
    async def try_lock(self, name: str, owner: str, ttl_ms: int) -> bool:
        return bool(await self._run("lock", [self.keys.lock(name)], [owner, ttl_ms]))

    async def extend_lock(self, name: str, owner: str, ttl_ms: int) -> bool:
        return bool(await self._run("extend_lock", [self.keys.lock(name)], [owner, ttl_ms]))

    async def unlock(self, name: str, owner: str) -> None:
        await self._run("unlock", [self.keys.lock(name)], [owner])

    async def take_post_slot(self, channel: str, second: int, per_second: float) -> bool:
        """Count a post in this channel's current second; False when over the budget."""
        key = self.keys.post_pace(channel, second)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.incr(key)
            pipe.expire(key, 5)
            count, _ = await pipe.execute()
        return count <= per_second

    # --- misc ----------------------------------------------------------------------------
    async def first_seen(self, fingerprint: str, ttl_s: int = 3600) -> bool:
        """True the first time a Slack envelope fingerprint is seen (redelivery guard)."""
        return bool(await self.redis.set(self.keys.envelope(fingerprint), "1", nx=True, ex=ttl_s))

    async def cached_profile(self, user_id: str) -> dict[str, Any] | None:
        raw = await self.redis.get(self.keys.user_profile(user_id))
        return json.loads(raw) if raw else None

    async def cache_profile(self, user_id: str, profile: dict[str, Any], ttl_s: int) -> None:
        await self.redis.set(self.keys.user_profile(user_id), json.dumps(profile), ex=ttl_s)
