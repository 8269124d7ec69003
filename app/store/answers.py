"""Answers waiting for delivery: one stream, read by the notifiers' consumer group.

An entry is added with one XADD and removed (XACK + XDEL) once Slack has it, so the stream only
ever holds answers not delivered yet.
"""

from __future__ import annotations

import json
from dataclasses import replace

from app.domain.answers import Answer, ToldRefusal
from app.domain.results import Refused
from app.store.base import RedisStore

GROUP = "answers"

Entry = tuple[str, Answer]


def _answer(fields: dict[str, str]) -> Answer:
    """An entry's answer; with the refusal a transition script told beside it (lua/_prelude.lua
    `refuse_to`), worded when it is delivered."""
    answer = Answer.load(fields["answer"])
    if "refused" not in fields:
        return answer
    told = json.loads(fields["refused"])
    outcome = Refused(str(told["code"]), (str(told.get("by") or ""), str(told.get("at") or "")))
    return replace(answer, refused=ToldRefusal(str(told["subject"]), outcome))


class AnswerStore(RedisStore):
    async def add_answer(self, answer: Answer) -> str:
        return str(await self.redis.xadd(self.keys.answers(), {"answer": answer.dump()}))

    async def add_answer_once(self, answer: Answer, incident_id: str, role: str) -> bool:
        """Queue an answer standing for one of the incident's messages, unless that role is
        recorded already (one script: a replayed event queues nothing). True when queued."""
        keys = [self.keys.incident_messages(incident_id), self.keys.answers()]
        where = f"{answer.channel or answer.user} answer"
        return bool(await self._run("answer_once", keys, [role, where, answer.dump()]))

    async def ensure_group(self) -> None:
        try:
            await self.redis.xgroup_create(self.keys.answers(), GROUP, id="0", mkstream=True)
        except Exception as exc:  # BUSYGROUP: another instance made it first
            if "BUSYGROUP" not in str(exc):
                raise

    @staticmethod
    def _entries(entries: list[tuple[str, dict[str, str]]]) -> list[Entry]:
        return [(sid, _answer(fields)) for sid, fields in entries
                if fields and fields.get("answer")]

    async def read(self, consumer: str, count: int, block_ms: int) -> list[Entry]:
        reply = await self.redis.xreadgroup(
            GROUP, consumer, {self.keys.answers(): ">"}, count=count, block=block_ms or None)
        return [e for _, entries in reply or [] for e in self._entries(entries)]

    async def pending_mine(self, consumer: str, count: int) -> list[Entry]:
        reply = await self.redis.xreadgroup(
            GROUP, consumer, {self.keys.answers(): "0"}, count=count)
        return [e for _, entries in reply or [] for e in self._entries(entries)]

    async def reclaim(self, consumer: str, min_idle_ms: int, count: int) -> list[Entry]:
        """Answers another instance read but never delivered (it died)."""
        reply = await self.redis.xautoclaim(
            self.keys.answers(), GROUP, consumer, min_idle_time=min_idle_ms, count=count)
        return self._entries(reply[1] if reply else [])

    async def done(self, stream_id: str) -> None:
        pipe = self.redis.pipeline(transaction=True)
        pipe.xack(self.keys.answers(), GROUP, stream_id)
        pipe.xdel(self.keys.answers(), stream_id)
        await pipe.execute()

    async def waiting(self) -> int:
        return int(await self.redis.xlen(self.keys.answers()))
