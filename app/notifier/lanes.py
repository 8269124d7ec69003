"""Lanes: one queue per destination channel (DMs included), each worked by its own task.

A channel that is busy or rate-limited only holds up its own lane; every event of one incident
goes to the same lane while any of them is in flight, so they are applied in order. An event's
DMs are `Job`s in the lanes of their DM channels: a person's paced DMs never hold up a channel.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from app.domain.models import Event, EventType

log = logging.getLogger("beacon.lanes")



@dataclass
class Job:
    """Slack writes of one event to another destination (a DM), done in that one's lane; the
    event is finished once `done` is."""

    work: Callable[[], Awaitable[object]]
    done: asyncio.Future[None]
    what: str
    type: EventType | None = None  # not an event


Work = Callable[[str, Event | Job], Awaitable[None]]


@dataclass
class Lane:
    key: str
    queue: asyncio.Queue[Event | Job | None] = field(default_factory=asyncio.Queue)
    task: asyncio.Task[None] | None = None
    # Cards not yet posted for this lane (queued or being worked): the storm signal.
    triggered_waiting: int = 0


class Lanes:
    def __init__(self, work: Work, idle_s: float = 30.0) -> None:
        self.work = work
        self.idle_s = idle_s
        self.lanes: dict[str, Lane] = {}

    def put(self, key: str, event: Event | Job) -> None:
        lane = self.lanes.get(key)
        if lane is None:
            lane = self.lanes[key] = Lane(key)
        if event.type is EventType.TRIGGERED:
            lane.triggered_waiting += 1
        lane.queue.put_nowait(event)
        if lane.task is None or lane.task.done():
            lane.task = asyncio.create_task(self._run(lane), name=f"beacon-lane-{key}")

    def waiting_cards(self, key: str) -> int:
        lane = self.lanes.get(key)
        return lane.triggered_waiting if lane else 0

    def queued(self, key: str) -> int:
        """Items waiting in one lane (not counting the one being worked)."""
        lane = self.lanes.get(key)
        return lane.queue.qsize() if lane else 0

    def depth(self) -> int:
        return sum(lane.queue.qsize() for lane in self.lanes.values())

    async def _run(self, lane: Lane) -> None:
        while True:
            try:
                async with asyncio.timeout(self.idle_s):
                    event = await lane.queue.get()
            except TimeoutError:
                if lane.queue.empty():
                    self.lanes.pop(lane.key, None)
                    return
                continue
            if event is None:  # stop
                return
            try:
                await self.work(lane.key, event)
            except asyncio.CancelledError:
                raise
            except Exception:  # the worker never dies; the event stays pending in Redis
                log.exception("lane %s: %s failed", lane.key,
                              event.what if isinstance(event, Job) else event.event_id)
            finally:
                if event.type is EventType.TRIGGERED:
                    lane.triggered_waiting -= 1

    async def stop(self) -> None:
        tasks = [lane.task for lane in self.lanes.values() if lane.task and not lane.task.done()]
        for lane in self.lanes.values():
            lane.queue.put_nowait(None)  # an idle lane ends on it, a busy one is cancelled
        for task in tasks:
            task.cancel()
        if tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait(tasks, timeout=2)
        self.lanes.clear()
