"""IncidentStore: key names from app.keys, every transition one registered Lua script."""

from __future__ import annotations

import json
import uuid
from functools import cache
from pathlib import Path
from typing import Any

from redis.asyncio import Redis
from redis.commands.core import AsyncScript
from redis.exceptions import RedisError

from app.domain.models import Event, Incident, NewIncident, TimelineEntry
from app.domain.results import Refused, Transition
from app.domain.timers import snooze_id
from app.keys import Keys

_LUA = Path(__file__).with_name("lua")


@cache
def _source(name: str) -> str:
    prelude = (_LUA / "_prelude.lua").read_text()
    return prelude + "\n" + (_LUA / f"{name}.lua").read_text()


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
        "digest_due",  # the daily digest, once across instances
        "arm",  # escalation and SLA timers
        "escalate",
        "sla_breach",
        "refire",  # a repeat alert on its open incident
        "investigation_update",  # an investigator's progress on an incident
        # approvals and investigation feedback (wrapped by app/store/approvals.py)
        "approval_create",
        "approval_decide",
        "approval_expire",
        "approval_callback_result",
        "investigation_create",
        "feedback_vote",
        "incident_channel",  # the incident's dedicated channel, recorded once
        "status_update",  # the incident channel's (wrapped by app/store/incident_channels.py)
        "update_reminder",
        "reopen",
        "channel_archive",
        "timeline_request",
        # runbook runs (wrapped by app/store/runbooks.py)
        "runbook_start",
        "runbook_step_done",
        "runbook_resume",
        "runbook_fail",
        "runbook_retry",
        # follow-ups, retrospective, roles, timeline capture (app/store/incident_record.py)
        "followup_add",
        "followup_done",
        "retro_schedule",
        "role_assign",
        "role_nudge",
        "message_pin",
        "bucket_take",  # the notifier's pacing, shared across instances
        "rollup_admit",  # storm rollups (app/store/rollups.py)
        "event_begin",  # the notifier: may this event be applied now?
        "event_done",
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
            "dedup_key": new.dedup_key or "",
        }
        args: list[Any] = [now, new.reporter]
        for key, value in fields.items():
            args += [key, value]
        keys = [*self._inc3(incident_id), k.incidents_open(), k.incidents_all()]
        if new.dedup_key:
            keys.append(k.dedup(new.dedup_key))
        return incident_id, _result(await self._run("declare", keys, args))

    async def refire(
        self, dedup_key: str, actor: str, now: float
    ) -> tuple[str | None, Transition | Refused]:
        """Count a repeat of `dedup_key` on its open incident; Refused('no_open') if none."""
        dedup = self.keys.dedup(dedup_key)
        incident_id = await self.redis.get(dedup)
        if not incident_id:
            return None, Refused("no_open")
        keys = [*self._inc3(incident_id), self.keys.incidents_open(), dedup]
        return incident_id, _result(await self._run("refire", keys, [now, actor]))

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
        return _result(await self._run("investigation_update", self._inc3(incident_id), args))

    async def acknowledge(
        self, incident_id: str, actor: str, now: float, *, batch: str = "", of: int = 0
    ) -> Transition | Refused:
        args: list[Any] = [now, actor] + ([batch, of] if batch else [])
        return _result(await self._run("acknowledge", self._inc3(incident_id), args))

    async def rollup_items(self, rollup_id: str) -> list[str]:
        """The incidents a storm rollup lists (kept by the notifier, app/store/rollups.py)."""
        return list(await self.redis.lrange(self.keys.rollup_items(rollup_id), 0, -1))

    async def resolve(
        self, incident_id: str, actor: str, note: str, now: float
    ) -> Transition | Refused:
        keys = [*self._inc3(incident_id), self.keys.incidents_open()]
        dedup_key = await self.redis.hget(self.keys.incident(incident_id), "dedup_key")
        if dedup_key:  # set once at declaration, so reading it first is safe
            keys.append(self.keys.dedup(dedup_key))
        return _result(await self._run("resolve", keys, [now, actor, note]))

    async def snooze(
        self, incident_id: str, actor: str, until: float, now: float
    ) -> Transition | Refused:
        timer_id = snooze_id(incident_id, uuid.uuid4().hex[:8])
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

    async def set_incident_channel(self, incident_id: str, channel: str) -> str:
        """Record the dedicated channel once; returns the one recorded ('' if no incident)."""
        keys = [self.keys.incident(incident_id), self.keys.incident_messages(incident_id)]
        keys.append(self.keys.channel_incident(channel))
        return str(await self._run("incident_channel", keys, [channel]))

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

    async def begin_event(
        self, incident_id: str, seq: int, owner: str, ttl_ms: int, *, read: bool = True
    ) -> tuple[str, Incident | None]:
        """('apply', the incident as it is now when `read`) with the lease taken, ('done',
        None) when applied before, or ('wait', None). `incident_id` may name something else
        (an approval, the digest): then `read` is False."""
        keys = [self.keys.notified(incident_id), self.keys.lock(f"incident:{incident_id}")]
        if read:
            keys.append(self.keys.incident(incident_id))
        verdict, *flat = await self._run("event_begin", keys, [seq, owner, ttl_ms])
        raw = dict(zip(flat[::2], flat[1::2], strict=True))
        return str(verdict), Incident.from_redis(raw) if raw else None

    async def finish_event(
        self, incident_id: str, seq: int, group: str, stream_id: str, owner: str
    ) -> None:
        keys = [self.keys.notified(incident_id), self.keys.events(),
                self.keys.lock(f"incident:{incident_id}")]
        await self._run("event_done", keys, [seq, group, stream_id, owner])

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

    # --- on-call: escalation and SLA timers ----------------------------------------------
    async def arm(
        self, incident_id: str, *, fields: dict[str, Any], timers: list[dict[str, Any]]
    ) -> int:
        """Arm timers (deterministic ids: arming twice is a no-op) and set absent fields."""
        keys = [self.keys.incident(incident_id), self.keys.timers()]
        keys += [self.keys.timer(t["id"]) for t in timers]
        spec = {"fields": fields, "timers": timers}
        return int(await self._run("arm", keys, [json.dumps(spec)]))

    async def escalate(
        self, incident_id: str, timer_id: str, *, from_step: tuple[int, int],
        to_step: tuple[int, int] | None, next_timer: tuple[str, float] | None, now: float,
        epoch: str = "",
    ) -> Transition | Refused:
        next_id, next_due = next_timer or ("", 0)
        keys = [*self._inc3(incident_id), self.keys.timers(), self.keys.timer(timer_id),
                self.keys.timer(next_id or timer_id)]
        to_level, to_round = to_step or ("", "")
        args = [now, timer_id, from_step[0], from_step[1], to_level, to_round, next_id, next_due,
                epoch]
        return _result(await self._run("escalate", keys, args))

    async def sla_breach(
        self, incident_id: str, timer_id: str, kind: str, minutes: int, now: float,
        epoch: str = "",
    ) -> Transition | Refused:
        keys = [*self._inc3(incident_id), self.keys.timers(), self.keys.timer(timer_id)]
        args = [now, timer_id, kind, minutes, epoch]
        return _result(await self._run("sla_breach", keys, args))

    async def digest_due(self, digest_id: str, timer_id: str, now: float) -> Transition | Refused:
        keys = [*self._inc3(digest_id), self.keys.timers(), self.keys.timer(timer_id)]
        return _result(await self._run("digest_due", keys, [now, timer_id, digest_id]))

    async def arm_timer(self, timer_id: str, due: float, fields: dict[str, str]) -> bool:
        """Arm a timer that belongs to no incident (ZADD NX: arming twice is a no-op)."""
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.zadd(self.keys.timers(), {timer_id: due}, nx=True)
            pipe.hset(self.keys.timer(timer_id), mapping={**fields, "due": str(due)})
            added, _ = await pipe.execute()
        return bool(added)

    async def incidents_since(self, start: float) -> list[Incident]:
        ids = await self.redis.zrangebyscore(self.keys.incidents_all(), start, "+inf")
        return await self._many(list(ids))

    async def advance_timer(self, timer_id: str, due: float) -> None:
        """Bring an armed timer forward (never back): an empty level escalates at once."""
        await self.redis.zadd(self.keys.timers(), {timer_id: due}, xx=True, lt=True)

    async def add_override(self, schedule: str, override_json: str, end: float) -> None:
        await self.redis.zadd(self.keys.oncall_overrides(schedule), {override_json: end})

    async def overrides(self, schedule: str, now: float) -> list[str]:
        key = self.keys.oncall_overrides(schedule)
        await self.redis.zremrangebyscore(key, "-inf", now)  # ended ones
        return list(await self.redis.zrange(key, 0, -1))

    # --- coordination between instances ----------------------------------------------------
    async def try_lock(self, name: str, owner: str, ttl_ms: int) -> bool:
        return bool(await self._run("lock", [self.keys.lock(name)], [owner, ttl_ms]))

    async def extend_lock(self, name: str, owner: str, ttl_ms: int) -> bool:
        return bool(await self._run("extend_lock", [self.keys.lock(name)], [owner, ttl_ms]))

    async def unlock(self, name: str, owner: str) -> None:
        await self._run("unlock", [self.keys.lock(name)], [owner])

    async def lease_consumer(self, name: str, owner: str, ttl_ms: int, *, renew: bool) -> bool:
        """Take (or renew) the lease on a consumer name; False while someone else holds it."""
        script = "extend_lock" if renew else "lock"
        return bool(await self._run(script, [self.keys.consumer(name)], [owner, ttl_ms]))

    async def release_consumer(self, name: str, owner: str) -> None:
        await self._run("unlock", [self.keys.consumer(name)], [owner])

    async def take_token(self, bucket: str, now: float, rate: float, capacity: float) -> float:
        """Take a token from a shared bucket: 0 when taken, else seconds until one is free."""
        key = self.keys.bucket(bucket)
        return float(await self._run("bucket_take", [key], [repr(now), rate, capacity]))

    # --- misc ----------------------------------------------------------------------------
    async def ping_error(self) -> str | None:
        """None when Redis answers a PING, else what went wrong (for `/incident status`)."""
        try:
            await self.redis.ping()
        except (RedisError, OSError) as exc:
            return str(exc)
        return None

    async def first_seen(self, fingerprint: str, ttl_s: int = 3600) -> bool:
        """True the first time a Slack envelope fingerprint is seen (redelivery guard)."""
        return bool(await self.redis.set(self.keys.envelope(fingerprint), "1", nx=True, ex=ttl_s))

    async def cached_profile(self, user_id: str) -> dict[str, Any] | None:
        raw = await self.redis.get(self.keys.user_profile(user_id))
        return json.loads(raw) if raw else None

    async def cache_profile(self, user_id: str, profile: dict[str, Any], ttl_s: int) -> None:
        await self.redis.set(self.keys.user_profile(user_id), json.dumps(profile), ex=ttl_s)
