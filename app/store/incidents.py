"""Incidents: their transitions, each one Lua script, and every read of them."""

from __future__ import annotations

import base64
import json
import uuid
import zlib
from dataclasses import replace
from typing import Any, cast

from app.domain.alert_list import CARD_ALERTS
from app.domain.alerts import AlertAction, AlertNotification, AlertsApplied
from app.domain.answers import Answer
from app.domain.escalation import SeverityPaging
from app.domain.listing import IncidentState, OpenCounts
from app.domain.models import Incident, NewIncident, TimelineEntry
from app.domain.results import Refused, Transition
from app.domain.timers import TimerSpec, snooze_id
from app.store.base import RedisStore
from app.store.cache import ENVELOPE_TTL_S
from app.store.scripts import outcome_of

REOPEN_WINDOW_S = 30 * 86400  # the default of retention.reopen_window_days
ARCHIVE_BUCKET = 1000  # incidents per archive hash, by number: found by id with no index


def pack(entry: dict[str, Any]) -> str:
    """An archive entry: JSON, zlib-compressed (about a third of the size), base64 for the
    connection's decoded strings."""
    raw = json.dumps(entry, separators=(",", ":")).encode()
    return base64.b64encode(zlib.compress(raw, 9)).decode()


def unpack(blob: str) -> dict[str, Any]:
    entry: dict[str, Any] = json.loads(zlib.decompress(base64.b64decode(blob)))
    return entry


def flat_fields(new: NewIncident) -> list[str]:
    """A new incident's fields as field/value pairs for the declaring scripts."""
    fields = {
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
        "reply_to": new.reply_to.dump() if new.reply_to else "",
        "card_channel": new.card_channel or "",
    }
    return [part for pair in fields.items() for part in pair]


def created(raw: list[Any]) -> tuple[str, Transition | Refused]:
    """A declaring script's answer {'ok', event id, incident id} or a refusal naming an id."""
    outcome = outcome_of(raw)
    if isinstance(outcome, Transition):
        return str(raw[2]), outcome
    return (str(outcome.details[0]) if outcome.details else ""), outcome


class IncidentStore(RedisStore):
    """Implements the domain's IncidentRepository, IntakeRepository and DigestRepository.

    Reads answer from the indexes the transition scripts keep (lua/_prelude.lua): counts
    are ZCARDs and hash fields, a page is one range of a set plus its incidents."""

    @property
    def _p(self) -> str:
        return self.keys.index_prefix()

    def _open_helpers(self, incident_id: str) -> list[str]:
        """The open set, then the keys that only matter while the incident is open: resolve
        expires them after the reopen window, reopen keeps them again."""
        k = self.keys
        return [
            k.incidents_open(), k.incident_messages(incident_id), k.notified(incident_id),
            k.incident_pinned(incident_id),
        ]

    # --- transitions ---------------------------------------------------------------------
    async def declare(self, new: NewIncident, now: float) -> tuple[str, Transition | Refused]:
        """Declares `new`: (its id, the outcome). The number is taken inside declare.lua after
        the dedup check, so a refused declaration burns none; a duplicate answers the open
        incident's id."""
        k = self.keys
        args: list[Any] = [now, new.reporter, k.index_prefix(), *flat_fields(new)]
        keys = [k.events(), k.incidents_open()]
        if new.dedup_key:
            keys.append(k.dedup(new.dedup_key))
        return created(await self._run("declare", keys, args))

    async def refire(
        self, dedup_key: str, actor: str, now: float
    ) -> tuple[str | None, Transition | Refused]:
        """Count a repeat of `dedup_key` on its open incident; Refused('no_open') if none."""
        dedup = self.keys.dedup(dedup_key)
        incident_id = await self.redis.get(dedup)
        if not incident_id:
            return None, Refused("no_open")
        keys = [*self._inc3(incident_id), self.keys.incidents_open(), dedup]
        return incident_id, outcome_of(await self._run("refire", keys, [now, actor, self._p]))

    async def alerts(self, note: AlertNotification, now: float) -> AlertsApplied:
        """Apply one Alertmanager notification (alerts.lua): declare or update the incident
        open for its dedup key, or nothing when none is open and nothing fires."""
        k = self.keys
        fields = flat_fields(replace(note.new, dedup_key=note.dedup_key))
        alerts = [
            {"f": a.fingerprint, "s": "firing" if a.firing else "resolved", "a": a.starts,
             "t": a.starts_at, "e": a.ends_at, "n": a.name}
            for a in note.alerts
        ]
        args: list[Any] = [
            now, note.new.reporter, k.index_prefix(), CARD_ALERTS, note.not_shown,
            note.truncated, 1 if note.closing else 0, len(fields), *fields, json.dumps(alerts),
        ]
        keys = [k.events(), k.incidents_open(), k.dedup(note.dedup_key)]
        raw = await self._run("alerts", keys, args)
        if raw[0] != "ok":
            if raw[1] == "no_open":
                none: AlertAction = "no_open_incident"
                return AlertsApplied(None, False, (none,) * len(note.alerts))
            raise RuntimeError(f"alerts.lua refused: {raw[1:]}")
        _, _, incident_id, created, firing, resolved, *actions = raw
        done = cast(tuple[AlertAction, ...], tuple(actions))
        return AlertsApplied(str(incident_id), created == 1, done, int(firing), int(resolved))

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
        self,
        incident_id: str,
        actor: str,
        now: float,
        *,
        batch: str = "",
        of: int = 0,
        once: str = "",
        tell: Answer | None = None,
    ) -> Transition | Refused:
        """`once`: a Slack envelope's fingerprint; its redelivery answers REPEATED (the
        redelivery guard in the same round trip as the transition). `tell`: whoever asked,
        told a refusal by the script itself (answers TOLD)."""
        keys = [*self._inc3(incident_id), self.keys.envelope(once) if once else ""]
        args: list[Any] = [now, actor, self._p, batch, of, ENVELOPE_TTL_S]
        if tell is not None:
            keys.append(self.keys.answers())
            args += [tell.dump(), incident_id]
        return outcome_of(await self._run("acknowledge", keys, args))

    async def resolve(
        self, incident_id: str, actor: str, note: str, now: float,
        keep_helpers_s: int = REOPEN_WINDOW_S, *, once: str = "",
    ) -> Transition | Refused:
        """`once`: as in `acknowledge`."""
        keys = [*self._inc3(incident_id), *self._open_helpers(incident_id)]
        dedup_key = await self.redis.hget(self.keys.incident(incident_id), "dedup_key")
        if dedup_key:  # set once at declaration, so reading it first is safe
            keys.append(self.keys.dedup(dedup_key))
        args: list[Any] = [now, actor, note, self._p, keep_helpers_s]
        if once:
            keys.append(self.keys.envelope(once))
            args.append(ENVELOPE_TTL_S)
        return outcome_of(await self._run("resolve", keys, args))

    async def snooze(
        self, incident_id: str, actor: str, until: float, now: float,
        resolve_by: float | None = None,
    ) -> Transition | Refused:
        timer_id = snooze_id(incident_id, uuid.uuid4().hex[:8])
        keys = [*self._inc3(incident_id), self.keys.timers(), self.keys.timer(timer_id)]
        args = [now, actor, until, timer_id, "" if resolve_by is None else resolve_by]
        return outcome_of(await self._run("snooze", keys, args))

    async def record_pages(
        self, incident_id: str, cause_seq: int, pages: list[tuple[str, int]], why: str,
        now: float,
    ) -> Transition | Refused:
        """Who was paged at which level for the event `cause_seq`: an `incident.paged` event in
        the timeline (once per cause)."""
        args = [now, cause_seq, json.dumps(pages), why]
        return outcome_of(await self._run("paged", self._inc3(incident_id), args))

    async def wake(self, incident_id: str, timer_id: str, now: float) -> Transition | Refused:
        keys = [*self._inc3(incident_id), self.keys.timers(), self.keys.timer(timer_id)]
        return outcome_of(await self._run("wake", keys, [now, timer_id]))

    async def assign(
        self, incident_id: str, actor: str, assignee: str, now: float
    ) -> Transition | Refused:
        args = [now, actor, assignee, self._p]
        return outcome_of(await self._run("assign", self._inc3(incident_id), args))

    async def set_severity(
        self, incident_id: str, actor: str, severity: str, now: float,
        paging: SeverityPaging | None = None, *, sla: list[TimerSpec] | None = None,
        epoch: str = "",
    ) -> Transition | Refused:
        """`sla`: the new severity's SLA timers, built for the round `epoch` (the script
        refuses `moved` when the incident was reopened since)."""
        paging = paging or SeverityPaging()
        sla = sla or []
        keys = [*self._inc3(incident_id), self.keys.timers(),
                *(self.keys.timer(str(t["id"])) for t in sla)]
        args = [now, actor, severity, self._p, paging.esc_start, paging.page_start,
                "," + ",".join(paging.paging) + ",", epoch, json.dumps(sla) if sla else ""]
        return outcome_of(await self._run("severity", keys, args))

    async def add_note(
        self, incident_id: str, actor: str, text: str, now: float
    ) -> Transition | Refused:
        return outcome_of(await self._run("note", self._inc3(incident_id), [now, actor, text]))

    # --- reads ---------------------------------------------------------------------------
    async def get(self, incident_id: str) -> Incident | None:
        """The incident, from the archive once retention removed it."""
        raw = await self.redis.hgetall(self.keys.incident(incident_id))
        if not raw and (archived := await self._archived(incident_id)):
            raw = archived["incident"]
        return Incident.from_redis(raw) if raw else None

    async def timeline(self, incident_id: str) -> list[TimelineEntry]:
        rows = await self.redis.lrange(self.keys.incident_timeline(incident_id), 0, -1)
        if not rows and (archived := await self._archived(incident_id)):
            rows = archived["timeline"]
        return [TimelineEntry.from_json(row) for row in rows]

    # --- retention ---------------------------------------------------------------------
    async def retire_resolved(self, before: float, limit: int = 100) -> int:
        """Archives and removes up to `limit` incidents resolved before `before`, oldest
        first; returns how many were due (fewer than `limit`: nothing more is)."""
        k = self.keys
        ids = await self.redis.zrangebyscore(
            k.incidents_resolved_at(), "-inf", before, start=0, num=limit
        )
        for incident_id in ids:  # one that was reopened meanwhile is left alone
            await self._retire(incident_id)
        return len(ids)

    async def drop_archived(self, before: float, limit: int = 100) -> int:
        """Drops up to `limit` archive entries of incidents resolved before `before`, oldest
        first; returns how many (fewer than `limit`: nothing more is due)."""
        ids = await self.redis.zrangebyscore(
            self.keys.incidents_archived_at(), "-inf", before, start=0, num=limit)
        if ids:
            buckets = [self.keys.archive(int(i.rsplit("-", 1)[1]) // ARCHIVE_BUCKET) for i in ids]
            await self._run("archive_drop", [self.keys.incidents_archived_at(), *buckets], ids)
        return len(ids)

    async def _retire(self, incident_id: str) -> int:
        k = self.keys
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.hgetall(k.incident(incident_id))
            pipe.lrange(k.incident_timeline(incident_id), 0, -1)
            pipe.zrange(k.incident_followups(incident_id), 0, -1)
            raw, timeline, followups = await pipe.execute()
        entry = {"incident": raw, "timeline": timeline, "followups": []}
        if followups:
            async with self.redis.pipeline(transaction=False) as pipe:
                for followup_id in followups:
                    pipe.hgetall(k.followup(followup_id))
                entry["followups"] = await pipe.execute()
        doomed = [
            k.incident_messages(incident_id), k.notified(incident_id),
            k.incident_alerts(incident_id), k.incident_alerts_firing(incident_id),
            k.incident_alerts_resolved(incident_id),
            k.incident_pinned(incident_id), k.incident_runbooks(incident_id),
            k.incident_followups(incident_id), *[k.followup(f) for f in followups],
        ]
        if raw.get("incident_channel"):
            doomed.append(k.channel_incident(raw["incident_channel"]))
        number = int(raw.get("number") or incident_id.rsplit("-", 1)[1])
        keys = [
            k.incident(incident_id), k.incident_timeline(incident_id),
            k.archive(number // ARCHIVE_BUCKET), k.followups_open(), *doomed,
        ]
        args = [self._p, incident_id, raw.get("resolved_at", ""), pack(entry), *followups]
        return int(await self._run("retire", keys, args))

    async def _archived(self, incident_id: str) -> dict[str, Any] | None:
        number = incident_id.rsplit("-", 1)[-1]
        if not number.isdigit():
            return None
        blob = await self.redis.hget(self.keys.archive(int(number) // ARCHIVE_BUCKET), incident_id)
        return unpack(blob) if blob else None

    async def archive_size(self) -> int:
        """How many incidents the archive holds."""
        total = 0
        async for key in self.redis.scan_iter(match=self.keys.archive("*"), count=1000):
            total += int(await self.redis.hlen(key))
        return total

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

    def _state_key(self, state: IncidentState) -> str:
        k = self.keys
        return {
            IncidentState.OPEN: k.incidents_open(),
            IncidentState.ACKNOWLEDGED: k.incidents_acknowledged(),
            IncidentState.RESOLVED: k.incidents_resolved(),
            IncidentState.ALL: k.incidents_all(),
        }[state]

    async def page(
        self, state: IncidentState, limit: int, before: int | None = None
    ) -> tuple[list[Incident], int, int | None]:
        """Newest first, numbers below `before` (all when None): (incidents, the list's
        total, the number to continue below or None at the end). New incidents have higher
        numbers, so they never shift a page already handed out."""
        key = self._state_key(state)
        top = f"({before}" if before is not None else "+inf"
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.zrevrangebyscore(key, top, "-inf", start=0, num=limit + 1, withscores=True)
            pipe.zcard(key)
            rows, total = await pipe.execute()
        more = len(rows) > limit
        rows = rows[:limit]
        incidents = await self._many([member for member, _ in rows])
        return incidents, int(total), int(rows[-1][1]) if more else None

    async def open_counts(self, severities: list[str]) -> OpenCounts:
        k = self.keys
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.zcard(k.incidents_open())
            pipe.zcard(k.incidents_acknowledged())
            pipe.hgetall(k.incidents_open_services())
            for sev in severities:
                pipe.zcard(k.incidents_open_severity(sev))
            total, acked, services, *per_sev = await pipe.execute()
        return OpenCounts(
            total=int(total),
            acknowledged=int(acked),
            by_severity={sev: int(n) for sev, n in zip(severities, per_sev, strict=True)},
            by_service={svc: int(n) for svc, n in services.items() if int(n) > 0},
        )

    async def open_by_severity(
        self, severities: list[str], offset: int, limit: int
    ) -> list[Incident]:
        """The open incidents ordered by severity (the order given), then newest first:
        `limit` of them from `offset`, reading only the sets the window touches."""
        k = self.keys
        async with self.redis.pipeline(transaction=False) as pipe:
            for sev in severities:
                pipe.zcard(k.incidents_open_severity(sev))
            sizes = await pipe.execute()
        ids: list[str] = []
        for sev, size in zip(severities, sizes, strict=True):
            if len(ids) >= limit:
                break
            if offset >= size:
                offset -= size
                continue
            want = limit - len(ids)
            key = k.incidents_open_severity(sev)
            ids += await self.redis.zrevrange(key, offset, offset + want - 1)
            offset = 0
        return await self._many(ids)

    async def assigned_open(self, user: str, limit: int) -> tuple[list[Incident], int]:
        """The newest `limit` open incidents assigned to `user`, and how many there are."""
        key = self.keys.incidents_open_assignee(user)
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.zrevrange(key, 0, limit - 1)
            pipe.zcard(key)
            ids, count = await pipe.execute()
        return await self._many(ids), int(count)

    async def stats(self, buckets: list[int]) -> list[dict[str, float]]:
        """The digest's totals of each 15-minute creation bucket, in order ({} if none)."""
        async with self.redis.pipeline(transaction=False) as pipe:
            for bucket in buckets:
                pipe.hgetall(self.keys.stats(bucket))
            rows = await pipe.execute()
        return [{f: float(v) for f, v in row.items()} for row in rows]

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
