"""Answers to one person, delivered after the listener's ack.

Listeners record an `Answer` (one XADD, app/store/answers.py). Here every instance reads the
answers stream in one consumer group and hands each answer to its person's own lane, the lane
their DMs use: it never waits behind a busy channel nor holds one up. Each goes out through the
poster (pacing, retries honouring Retry-After): through the response_url while Slack still
takes it, else ephemeral where the person acted, else as a DM. An outage is waited out in the
lane, on the injectable clock; the entry leaves the stream only once Slack has the answer.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from slack_sdk.errors import SlackApiError

from app.clock import Clock
from app.domain.answers import Answer
from app.domain.incidents import refusal_error
from app.notifier.lanes import Job, Lanes
from app.notifier.poster import Poster, ResponseUrlRefused, count_refusal, error_code, retryable
from app.ops.metrics import METRICS
from app.store.answers import AnswerStore, Entry
from views.errors import error_text

log = logging.getLogger("beacon.answers")

READ_BLOCK_MS = 1_000
MAX_BACKOFF_S = 10.0
BUG_ATTEMPTS = 3


def refusal(exc: Exception) -> str | None:
    """Slack's code when it refused the answer itself (another try would not help)."""
    if isinstance(exc, SlackApiError) and not retryable(exc):
        return error_code(exc)
    if isinstance(exc, ResponseUrlRefused):
        return exc.code
    return None


def words(answer: Answer) -> str:
    """The answer's text; a refusal a transition script told is worded here, as the error
    path words the same refusal raised (listeners/errors.py)."""
    if answer.refused is None:
        return answer.text
    told = answer.refused
    return error_text(refusal_error(told.subject, told.outcome, answer.user))


class AnswerDesk:
    def __init__(self, store: AnswerStore, poster: Poster, clock: Clock, lanes: Lanes) -> None:
        self.store = store
        self.poster = poster
        self.clock = clock
        self.lanes = lanes
        self._in_flight: set[str] = set()

    async def run(self, stop: asyncio.Event, consumer: str, reclaim_idle_ms: int) -> None:
        """Deliver answers until `stop`, as `consumer` of the group (the notifier's name)."""
        backoff = 0.5
        await self.store.ensure_group()
        # My own undelivered answers first (a restart), then new ones as they come.
        self._dispatch(await self.store.pending_mine(consumer, 1000))
        last_reclaim = time.monotonic()
        while not stop.is_set():
            try:
                self._dispatch(await self.store.read(consumer, 100, READ_BLOCK_MS))
                if time.monotonic() - last_reclaim >= reclaim_idle_ms / 2000:
                    last_reclaim = time.monotonic()
                    self._dispatch(await self.store.reclaim(consumer, reclaim_idle_ms, 100))
                backoff = 0.5
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # Redis away: read again once it is back
                METRICS.worker_errors.labels(worker="notifier").inc()
                log.warning("reading answers failed (%s); retrying in %.1fs", exc, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_S)

    def _dispatch(self, entries: list[Entry]) -> None:
        for stream_id, answer in entries:
            if stream_id in self._in_flight:
                continue
            self._in_flight.add(stream_id)
            done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

            async def work(stream_id: str = stream_id, answer: Answer = answer) -> None:
                try:
                    await self._until_delivered(stream_id, answer)
                finally:
                    self._in_flight.discard(stream_id)

            self.lanes.put(answer.user or "answers", Job(work, done, f"answer to {answer.user}"))

    async def _until_delivered(self, stream_id: str, answer: Answer) -> None:
        """Deliver, waiting out outages on the clock (a test moves it); a refusal, or a fault
        of Beacon's own seen BUG_ATTEMPTS times, is logged and counted and the answer set
        aside. Once Slack has it, only its removal from the stream is tried again."""
        backoff, faults, delivered = 0.5, 0, False
        while True:
            try:
                if not delivered:
                    await self.deliver(answer)
                    delivered = True
                await self.store.done(stream_id)
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                code = refusal(exc)
                if code is None and not retryable(exc):
                    faults += 1
                    if faults >= BUG_ATTEMPTS:
                        code = "internal_error"
                        log.error("answer to %s failed %d times", answer.user, faults,
                                  exc_info=exc)
                if code is not None:
                    count_refusal(code)
                    log.warning("answer to %s not delivered: %s", answer.user, code)
                    await self._set_aside(stream_id)
                    return
                log.warning("answer to %s: %s; retrying in %.1fs", answer.user, exc, backoff)
                await self.clock.sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_S)

    async def _set_aside(self, stream_id: str) -> None:
        try:
            await self.store.done(stream_id)
        except Exception as exc:  # stays pending: tried again after a restart
            log.warning("could not set aside answer %s: %s", stream_id, exc)

    async def deliver(self, answer: Answer) -> None:
        message: dict[str, Any] = {"text": words(answer)}
        if answer.blocks:
            message["blocks"] = answer.blocks
        if answer.response_url and answer.url_alive(self.clock.now()):
            body = {**message, "response_type": "ephemeral",
                    "replace_original": answer.replace_original}
            if await self.poster.respond(answer.response_url, body):
                return
            log.info("response_url of %s expired or used up; answering otherwise", answer.user)
        if answer.channel:
            try:
                await self.poster.call("chat_postEphemeral", channel=answer.channel,
                                       user=answer.user, **message)
                return
            except SlackApiError as exc:
                if retryable(exc):
                    raise
                # Not a member there, or the channel is gone: a DM reaches them anyway.
                log.info("no ephemeral for %s in %s (%s): a DM instead", answer.user,
                         answer.channel, error_code(exc))
        await self.poster.call("chat_postMessage", channel=answer.user, **message)
