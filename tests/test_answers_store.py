"""The answers stream on a real redis-server (app/store/answers.py, lua/answer_once.lua)."""

from __future__ import annotations

from redis.asyncio import Redis

from app.domain.answers import Answer, ReplyTo
from app.store import Stores
from app.store.keys import Keys


async def test_an_answer_is_read_once_pending_until_done_then_gone(redis: Redis):
    answers = Stores(redis, Keys("t")).answers
    await answers.ensure_group()
    told = Answer(user="U1", text="You acknowledged *INC-1*.", response_url="https://x/1",
                  channel="C1", at=100.0)
    stream_id = await answers.add_answer(told)
    assert await answers.read("me", 10, 0) == [(stream_id, told)]
    assert await answers.read("me", 10, 0) == []  # handed out once
    # Not delivered yet: still mine after a restart, and another instance's once I am idle.
    assert await answers.pending_mine("me", 10) == [(stream_id, told)]
    assert await answers.reclaim("other", 0, 10) == [(stream_id, told)]
    await answers.done(stream_id)
    assert await answers.pending_mine("other", 10) == []
    assert await answers.waiting() == 0  # delivered answers leave the stream


async def test_a_declare_confirmation_is_queued_once_per_incident(redis: Redis):
    stores = Stores(redis, Keys("t"))
    answer = Answer(user="U1", text="Declared INC-1 → <#C2>", channel="C1")
    assert await stores.answers.add_answer_once(answer, "INC-1", "declared") is True
    assert await stores.answers.add_answer_once(answer, "INC-1", "declared") is False  # replay
    assert await stores.answers.waiting() == 1
    assert await stores.messages.message_ref("INC-1", "declared") == ("C1", "answer")
    assert await stores.answers.add_answer_once(answer, "INC-2", "declared") is True


def test_answers_and_reply_to_survive_their_round_trip():
    answer = Answer(user="U1", text="t", blocks=[{"type": "divider"}], replace_original=True,
                    at=5.0)
    assert Answer.load(answer.dump()) == answer
    assert answer.url_alive(6.0) is False  # no response_url
    live = Answer(user="U1", text="t", response_url="https://x", at=0.0)
    assert live.url_alive(28 * 60) and not live.url_alive(30 * 60)
    where = ReplyTo("U1", channel="C1", response_url="https://x", at=3.0)
    assert ReplyTo.load(where.dump()) == where
    assert ReplyTo.load("not json") is None and ReplyTo.load(None) is None
