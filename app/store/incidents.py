"""Incidents: their transitions, each one Lua script, and every read of them."""

from __future__ import annotations

import uuid
from typing import Any

from app.domain.models import Incident, NewIncident, TimelineEntry
from app.domain.results import Refused, Transition
from app.domain.timers import snooze_id
from app.store.base import RedisStore
from app.store.scripts import outcome_of


class IncidentStore(RedisStore):
    """Implements the domain's IncidentRepository, IntakeRepository and DigestRepository."""

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
            "dedup_key": new.dedup_key or "",
        }
        args: list[Any] = [now, new.reporter]
        for key, value in fields.items():
            args += [key, value]
        keys = [*self._inc3(incident_id), k.incidents_open(), k.incidents_all()]
        if new.dedup_key:
            keys.append(k.dedup(new.dedup_key))
        return incident_id, outcome_of(await self._run("declare", keys, args))

    async def refire(
        self, dedup_key: str, actor: str, now: float
    ) -> tuple[str | None, Transition | Refused]:
        """Count a repeat of `dedup_key` on its open incident; Refused('no_open') if none."""
        dedup = self.keys.dedup(dedup_key)
        incident_id = await self.redis.get(dedup)
        if not incident_id:
            return None, Refused("no_open")
        keys = [*self._inc3(incident_id), self.keys.incidents_open(), dedup]
        return incident_id, outcome_of(await self._run("refire", keys, [now, actor]))

    async def investigation_update(
        self,
        incident_id: str,
        actor: str,
        stage: str,
        text: str,
        confidence: float | None,
        now: float,
    ) -> Transition | Refused:
        args = [now, actor, stage, text, "" if confidence is None else confidence]
        return outcome_of(await self._run("investigation_update", self._inc3(incident_id), args))

    async def acknowledge(
        self, incident_id: str, actor: str, now: float, *, batch: str = "", of: int = 0
    ) -> Transition | Refused:
        args: list[Any] = [now, actor] + ([batch, of] if batch else [])
        return outcome_of(await self._run("acknowledge", self._inc3(incident_id), args))

    async def resolve(
        self, incident_id: str, actor: str, note: str, now: float
    ) -> Transition | Refused:
        keys = [*self._inc3(incident_id), self.keys.incidents_open()]
        dedup_key = await self.redis.hget(self.keys.incident(incident_id), "dedup_key")
        if dedup_key:  # set once at declaration, so reading it first is safe
            keys.append(self.keys.dedup(dedup_key))
        return outcome_of(await self._run("resolve", keys, [now, actor, note]))

    async def snooze(
        self, incident_id: str, actor: str, until: float, now: float
    ) -> Transition | Refused:
        timer_id = snooze_id(incident_id, uuid.uuid4().hex[:8])
        keys = [*self._inc3(incident_id), self.keys.timers(), self.keys.timer(timer_id)]
        return outcome_of(await self._run("snooze", keys, [now, actor, until, timer_id]))

    async def wake(self, incident_id: str, timer_id: str, now: float) -> Transition | Refused:
        keys = [*self._inc3(incident_id), self.keys.timers(), self.keys.timer(timer_id)]
        return outcome_of(await self._run("wake", keys, [now, timer_id]))

    async def assign(
        self, incident_id: str, actor: str, assignee: str, now: float
    ) -> Transition | Refused:
        args = [now, actor, assignee]
        return outcome_of(await self._run("assign", self._inc3(incident_id), args))

    async def set_severity(
        self, incident_id: str, actor: str, severity: str, now: float
    ) -> Transition | Refused:
        args = [now, actor, severity]
        return outcome_of(await self._run("severity", self._inc3(incident_id), args))

    async def add_note(
        self, incident_id: str, actor: str, text: str, now: float
    ) -> Transition | Refused:
        return outcome_of(await self._run("note", self._inc3(incident_id), [now, actor, text]))

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

    async def open_for_dedup(self, dedup_key: str) -> str | None:
        """The open incident declared with this dedup key, if any."""
        incident_id = await self.redis.get(self.keys.dedup(dedup_key))
        if incident_id and await self.redis.zscore(self.keys.incidents_open(), incident_id):
            return incident_id
        return None

    async def list_recent(self, limit: int = 50) -> list[Incident]:
        """Every incident, open or resolved, newest first."""
        ids = await self.redis.zrevrange(self.keys.incidents_all(), 0, limit - 1)
        return await self._many(ids)

    async def get_many(self, ids: list[str]) -> list[Incident]:
        """Several incidents in one round trip, in the order asked (missing ones left out)."""
        return await self._many(ids)

    async def incidents_since(self, start: float) -> list[Incident]:
        ids = await self.redis.zrangebyscore(self.keys.incidents_all(), start, "+inf")
        return await self._many(list(ids))

    async def _many(self, ids: list[str]) -> list[Incident]:
        if not ids:
            return []
        async with self.redis.pipeline(transaction=False) as pipe:
            for incident_id in ids:
                pipe.hgetall(self.keys.incident(incident_id))
            rows = await pipe.execute()
        return [Incident.from_redis(row) for row in rows if row]

    async def rollup_items(self, rollup_id: str) -> list[str]:
        """The incidents a storm rollup lists (kept by the notifier, app/store/rollups.py)."""
        return list(await self.redis.lrange(self.keys.rollup_items(rollup_id), 0, -1))
