"""Approvals and investigation feedback in Redis, each transition one Lua script.

Plain values in and out (field dicts, Transition or Refused): the domain parses them, so this
module imports nothing of the domain but its timer ids and results.
"""

from __future__ import annotations

from typing import Any

from app.domain.results import Refused, Transition
from app.domain.timers import approval_callback_id, approval_expire_id
from app.store.base import RedisStore
from app.store.scripts import outcome_of


class ApprovalStore(RedisStore):
    def _core(self, approval_id: str) -> list[str]:
        k = self.keys
        return [k.approval(approval_id), k.approval_timeline(approval_id), k.events()]

    # --- transitions ---------------------------------------------------------------------
    async def create(
        self,
        *,
        requested_by: str,
        approvers: list[str],
        expires_at: float,
        fields: dict[str, str],
        now: float,
    ) -> tuple[str, Transition | Refused]:
        number = int(await self.redis.incr(self.keys.approval_seq()))
        approval_id = f"APR-{number}"
        timer = approval_expire_id(approval_id)
        k = self.keys
        keys = [
            *self._core(approval_id),
            k.approval_approvers(approval_id),
            k.timers(),
            k.timer(timer),
            k.approvals_pending(),
        ]
        args: list[Any] = [now, requested_by, expires_at, timer, len(approvers), *approvers]
        for key, value in {"id": approval_id, "number": str(number), **fields}.items():
            args += [key, value]
        return approval_id, outcome_of(await self._run("approval_create", keys, args))

    async def decide(
        self,
        approval_id: str,
        *,
        actor: str,
        decision: str,
        reason: str,
        allow_self: bool,
        now: float,
    ) -> Transition | Refused:
        k = self.keys
        expire, callback = approval_expire_id(approval_id), approval_callback_id(approval_id)
        keys = [
            *self._core(approval_id),
            k.approval_approvers(approval_id),
            k.timers(),
            k.timer(expire),
            k.timer(callback),
            k.approvals_pending(),
            k.approvals_decided(),
        ]
        args = [now, actor, decision, reason, "1" if allow_self else "", expire, callback]
        return outcome_of(await self._run("approval_decide", keys, args))

    async def expire(self, approval_id: str, now: float) -> Transition | Refused:
        k = self.keys
        expire, callback = approval_expire_id(approval_id), approval_callback_id(approval_id)
        keys = [
            *self._core(approval_id),
            k.timers(),
            k.timer(expire),
            k.timer(callback),
            k.approvals_pending(),
            k.approvals_decided(),
        ]
        return outcome_of(await self._run("approval_expire", keys, [now, expire, callback]))

    async def callback_result(
        self, approval_id: str, outcome: str, *, next_due: float = 0, attempt: int = 0, detail=""
    ) -> None:
        timer = approval_callback_id(approval_id)
        keys = [self.keys.approval(approval_id), self.keys.timers(), self.keys.timer(timer)]
        await self._run(
            "approval_callback_result", keys, [outcome, timer, next_due, attempt, detail]
        )

    async def remove_before(self, before: float, limit: int = 100) -> int:
        """Removes up to `limit` approvals decided or expired before `before`, oldest first,
        each with all its keys (approval_remove.lua); returns how many were due."""
        k = self.keys
        ids = await self.redis.zrangebyscore(
            k.approvals_decided(), "-inf", f"({before}", start=0, num=limit)
        for approval_id in ids:
            expire, callback = approval_expire_id(approval_id), approval_callback_id(approval_id)
            keys = [
                k.approval(approval_id), k.approval_timeline(approval_id),
                k.approval_approvers(approval_id), k.approval_messages(approval_id),
                k.notified(approval_id), k.timer(expire), k.timer(callback), k.timers(),
                k.approvals_pending(), k.approvals_decided(),
            ]
            await self._run("approval_remove", keys, [approval_id, before, expire, callback])
        return len(ids)

    # --- reads ---------------------------------------------------------------------------
    async def get(self, approval_id: str) -> tuple[dict[str, str], list[str]] | None:
        """The approval's fields and its approvers, or None."""
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.hgetall(self.keys.approval(approval_id))
            pipe.smembers(self.keys.approval_approvers(approval_id))
            raw, approvers = await pipe.execute()
        return (raw, sorted(approvers)) if raw else None

    async def pending_ids(self, limit: int = 100) -> list[str]:
        return list(await self.redis.zrange(self.keys.approvals_pending(), 0, limit - 1))

    # --- Slack message bookkeeping -------------------------------------------------------
    async def record_message(self, approval_id: str, role: str, channel: str, ts: str) -> None:
        keys = [self.keys.approval(approval_id), self.keys.approval_messages(approval_id)]
        await self._run("record_message", keys, [role, channel, ts, "1" if role == "card" else ""])

    async def message_ref(self, approval_id: str, role: str) -> tuple[str, str] | None:
        raw = await self.redis.hget(self.keys.approval_messages(approval_id), role)
        return tuple(raw.split(" ", 1)) if raw else None


class InvestigationStore(RedisStore):
    def _core(self, investigation_id: str) -> list[str]:
        k = self.keys
        return [
            k.investigation(investigation_id),
            k.investigation_timeline(investigation_id),
            k.events(),
        ]

    async def set_delivery_error(self, investigation_id: str, error: str) -> None:
        """Why Slack would not show a saved result, kept on it so the intake API's GET says so."""
        key = self.keys.investigation(investigation_id)
        if await self.redis.exists(key):  # never a stray hash (or one retention removed)
            await self.redis.hset(key, "delivery_error", error)

    async def create(
        self, *, actor: str, fields: dict[str, str], now: float
    ) -> tuple[str, Transition | Refused]:
        number = int(await self.redis.incr(self.keys.investigation_seq()))
        investigation_id = f"INV-{number}"
        args: list[Any] = [now, actor]
        for key, value in {"id": investigation_id, "number": str(number), **fields}.items():
            args += [key, value]
        keys = [*self._core(investigation_id), self.keys.investigations_created()]
        outcome = await self._run("investigation_create", keys, args)
        return investigation_id, outcome_of(outcome)

    async def vote(
        self, investigation_id: str, *, actor: str, rating: str, today: str, now: float
    ) -> Transition | Refused:
        k = self.keys
        for _ in range(5):  # 'stale': the person changed their vote between read and script
            old = await self.redis.hget(k.investigation_votes(investigation_id), actor)
            seen_day = old.split(" ", 1)[1] if old else ""
            keys = [
                *self._core(investigation_id),
                k.investigation_votes(investigation_id),
                k.feedback_totals(),
                k.feedback_day(today),
                k.feedback_day(seen_day or today),
            ]
            outcome = outcome_of(
                await self._run("feedback_vote", keys, [now, actor, rating, today, seen_day])
            )
            if not (isinstance(outcome, Refused) and outcome.code == "stale"):
                return outcome
        return outcome

    async def remove_before(self, before: float, limit: int = 100) -> int:
        """Removes up to `limit` results posted before `before`, oldest first, each with all
        its keys (investigation_remove.lua); returns how many were due."""
        k = self.keys
        ids = await self.redis.zrangebyscore(
            k.investigations_created(), "-inf", f"({before}", start=0, num=limit)
        for investigation_id in ids:
            keys = [
                k.investigation(investigation_id), k.investigation_timeline(investigation_id),
                k.investigation_votes(investigation_id),
                k.investigation_messages(investigation_id), k.notified(investigation_id),
                k.investigations_created(),
            ]
            await self._run("investigation_remove", keys, [investigation_id, before])
        return len(ids)

    async def get(self, investigation_id: str) -> dict[str, str] | None:
        raw = await self.redis.hgetall(self.keys.investigation(investigation_id))
        return raw or None

    async def totals(self) -> dict[str, int]:
        raw = await self.redis.hgetall(self.keys.feedback_totals())
        return {rating: int(count) for rating, count in raw.items()}

    async def days(self, days: list[str]) -> list[dict[str, int]]:
        async with self.redis.pipeline(transaction=False) as pipe:
            for day in days:
                pipe.hgetall(self.keys.feedback_day(day))
            rows = await pipe.execute()
        return [{r: int(c) for r, c in row.items()} for row in rows]

    async def record_message(self, investigation_id: str, role: str, channel: str, ts: str) -> None:
        keys = [
            self.keys.investigation(investigation_id),
            self.keys.investigation_messages(investigation_id),
        ]
        await self._run(
            "record_message", keys, [role, channel, ts, "1" if role == "card" else ""]
        )

    async def message_ref(self, investigation_id: str, role: str) -> tuple[str, str] | None:
        raw = await self.redis.hget(self.keys.investigation_messages(investigation_id), role)
        return tuple(raw.split(" ", 1)) if raw else None
