"""The delivery engine: one consumer of the outbox stream, lanes per destination, one poster.

Every instance runs one consumer in the same group, so each event is applied by one of them.
The consumer hands each event to the lane of the channel it shows up in; lanes run at once,
each in order. Handlers (looked up in `table.EVENT_HANDLERS`) say what Slack should show and
write only through the poster, which paces, retries and labels every write with the event id,
so an event applied twice (a crash after Slack answered) is recognised instead of posted again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import time
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from app.clock import Clock
from app.config import BeaconConfig
from app.domain.models import Event, EventType, Incident
from app.domain.routing import route
from app.home import HomePublisher
from app.notifier.answers import AnswerDesk
from app.notifier.handlers.cards import Cards
from app.notifier.lanes import Job, Lanes
from app.notifier.pacing import Pacer
from app.notifier.poster import METADATA_TYPE, Poster, count_refusal, is_transient, retryable
from app.notifier.rollup import Rollups
from app.ops.metrics import METRICS
from app.slack.channels import ChannelNotFound, ChannelResolver
from app.slack.directory import UserDirectory
from app.store import Stores
from app.store.rollups import StormRules
from app.store.scripts import Call

if TYPE_CHECKING:
    from app.domain.digest import DigestService
    from app.domain.oncall_service import OnCallService

log = logging.getLogger("beacon.notifier")

GROUP = "notifier"
MAX_QUEUED = 5_000  # events held in lanes before the consumer stops reading more
PENDING_EVERY_S = 1.0  # deferred events (waiting on another instance) are looked at again
IDENTITY_TTL_MS = 3_000
# The digest's "notified" mark: each DIGEST-<day> has exactly one event, so after a week
# (its hash and timeline go after 8 days, digest_due.lua) nothing can wait on it.
DIGEST_MARK_TTL_S = 7 * 86400
BUG_ATTEMPTS = 3  # an error that is neither Slack's nor Redis's: tried this often, then set aside

__all__ = ["GROUP", "METADATA_TYPE", "Notifier"]

# The DM jobs the event being applied has handed to other lanes (None: outside an event).
_SIDES: ContextVar[list[asyncio.Future[None]] | None] = ContextVar("beacon_sides", default=None)
# Redis writes of the event being applied that nothing reads before it ends (timers to arm):
# sent with its finish, in one round trip.
_LATER: ContextVar[list[Call] | None] = ContextVar("beacon_later", default=None)


class Notifier:
    def __init__(
        self,
        *,
        stores: Stores,
        config: BeaconConfig,
        client: AsyncWebClient,
        directory: UserDirectory,
        channels: ChannelResolver,
        clock: Clock,
        consumer: str,
        oncall: OnCallService,
        digest: DigestService | None = None,
        reclaim_idle_ms: int = 30_000,
        posts_per_second: float = 1.0,
        storm: StormRules | None = None,
    ) -> None:
        # The stores the notifier and its handlers use (handlers take them from here).
        self.stores = stores
        self.incidents = stores.incidents
        self.messages = stores.messages
        self.outbox = stores.outbox
        self.timers = stores.timers
        self.leases = stores.leases
        self.oncall = oncall  # the overrides added from Slack, for paging
        self.config = config
        self.directory = directory
        self.channels = channels
        self.clock = clock
        self.base_consumer = consumer
        self.consumer = consumer
        self.reclaim_idle_ms = reclaim_idle_ms
        self.applied = 0
        self.digest = digest
        self.home: HomePublisher | None = None  # set by the container (it needs the poster)
        self.pacer = Pacer(stores.leases, clock, posts_per_second)
        self.poster = Poster(client, self.pacer, clock)
        self.client: Any = self.poster.api  # handlers' Slack calls, all through the poster
        self.cards = Cards(self)
        # Storms only exist where Slack's pace is kept (with pacing off, every card goes out).
        rules = storm or StormRules()
        self.rollups = Rollups(self, rules if self.pacer.enabled else replace(rules, threshold=0))
        self.lanes = Lanes(self._work)
        # Listeners' answers to one person each, delivered in that person's lane.
        self.answers = AnswerDesk(stores.answers, self.poster, clock, self.lanes)
        self._in_flight: set[str] = set()  # stream ids handed to a lane, not done yet
        self._lane_of: dict[str, list[Any]] = {}  # incident id -> [lane, events in flight]
        self._redelivered: set[str] = set()
        self._renewals: dict[str, asyncio.Task[None]] = {}
        # incident id -> the task finishing its latest event (waiting on its DMs); the
        # incident's next event follows it, off the lane.
        self._finishing: dict[str, asyncio.Task[None]] = {}
        # lane -> the finish of its last event (and what it armed), sent with the lane's next
        # begin in one round trip while the lane has more to do; the events stay in flight.
        self._deferred: dict[str, tuple[list[Call], list[Event]]] = {}

    # --- identity ------------------------------------------------------------------------
    async def claim_identity(self) -> str:
        """A stable consumer name, so a restarted instance takes its own pending events at
        once: BEACON_INSTANCE_ID or the host name; `-2`, `-3`… while another live instance
        holds it (a lease renewed every second; a killed one's lapses within 3 s)."""
        base = self.base_consumer or socket.gethostname()
        token = f"{socket.gethostname()}:{id(self)}:{time.time()}"
        for n in range(1, 50):
            name = base if n == 1 else f"{base}-{n}"
            deadline = time.monotonic() + IDENTITY_TTL_MS / 1000 + 0.5
            while True:
                if await self.leases.lease_consumer(name, token, IDENTITY_TTL_MS, renew=False):
                    self.consumer, self._token = name, token
                    log.info("notifier consumer %s", name)
                    return name
                if n > 1 or time.monotonic() > deadline:
                    break
                await asyncio.sleep(0.25)  # a restart after a kill: its lease lapses soon
        raise RuntimeError("no free consumer name")

    async def _keep_identity(self) -> None:
        while True:
            await asyncio.sleep(IDENTITY_TTL_MS / 3000)
            try:
                await self.leases.lease_consumer(self.consumer, self._token, IDENTITY_TTL_MS,
                                                renew=True)
            except Exception as exc:  # Redis away: retried; the lease may lapse meanwhile
                log.warning("could not renew consumer lease: %s", exc)

    # --- the consumer --------------------------------------------------------------------
    async def run(self, stop: asyncio.Event) -> None:
        await self.outbox.ensure_group(GROUP)
        await self.claim_identity()
        keeper = asyncio.create_task(self._keep_identity())
        rollups = asyncio.create_task(self.rollups.run(stop), name="beacon-rollups")
        answers = asyncio.create_task(
            self.answers.run(stop, self.consumer, self.reclaim_idle_ms), name="beacon-answers")
        try:
            await self._consume(stop)
        finally:
            keeper.cancel()
            rollups.cancel()
            answers.cancel()
            for task in self._finishing.values():
                task.cancel()
            self._finishing.clear()
            await self.lanes.stop()
            for lane in list(self._deferred):
                with contextlib.suppress(Exception):  # else: pending, replayed (idempotent)
                    await self._flush(lane)
            self._in_flight.clear()
            self._lane_of.clear()
            try:
                await self.leases.release_consumer(self.consumer, self._token)
            except Exception:  # Redis away at shutdown: the lease lapses by itself
                pass

    async def _consume(self, stop: asyncio.Event) -> None:
        backoff = 0.5
        await self._take_pending()  # my own unfinished work first, at once
        last_pending = last_reclaim = time.monotonic()
        while not stop.is_set():
            try:
                if self.lanes.depth() < MAX_QUEUED:
                    await self.dispatch_many(
                        await self.outbox.read_events(GROUP, self.consumer, 200, 200))
                else:
                    await asyncio.sleep(0.05)
                # Housekeeping on real time: Redis measures idleness in real time too.
                now = time.monotonic()
                # Deferred events (another instance held their incident) come round again;
                # rarely while lanes are busy: re-reading a long pending list costs CPU.
                every = PENDING_EVERY_S if self.lanes.depth() < 100 else 10 * PENDING_EVERY_S
                if now - last_pending >= every:
                    last_pending = now
                    await self._take_pending()
                if now - last_reclaim >= self.reclaim_idle_ms / 2000:
                    last_reclaim = now
                    await self.dispatch_many(await self.outbox.reclaim_events(
                        GROUP, self.consumer, self.reclaim_idle_ms, 200
                    ), redelivered=True)
                backoff = 0.5
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                METRICS.worker_errors.labels(worker="notifier").inc()
                log.warning("notifier pass failed (%s); retrying in %.1fs", exc, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 10)

    async def _take_pending(self) -> None:
        await self.dispatch_many(
            await self.outbox.pending_mine(GROUP, self.consumer, 1000), redelivered=True)

    @staticmethod
    def _mark_ttl(event: Event) -> int:
        """Seconds the event's "notified" mark lives: only the digest's expires (one event per
        id); an approval's or investigation's goes when it is removed (retention), an
        incident's as resolve.lua says."""
        return DIGEST_MARK_TTL_S if event.type is EventType.DIGEST_DUE else 0

    @staticmethod
    def _fixed_lane(event: Event) -> str | None:
        """The lane of an event that is not about an incident's channel."""
        if event.type is EventType.DIGEST_DUE:
            return "digest"
        if event.type.startswith(("approval.", "investigation.")):
            return event.type.split(".", 1)[0]
        return None

    async def dispatch_many(self, events: list[Event], *, redelivered: bool = False) -> None:
        """Dispatch a batch, reading the incidents their lanes depend on in one round trip."""
        wanted = sorted({
            e.incident_id for e in events
            if e.stream_id not in self._in_flight and e.incident_id not in self._lane_of
            and self._fixed_lane(e) is None
        })
        known = {i.id: i for i in await self.incidents.get_many(wanted)} if wanted else {}
        for event in events:
            await self.dispatch(event, redelivered=redelivered,
                                incident=known.get(event.incident_id))

    async def lane_for(self, event: Event, incident: Incident | None = None) -> str:
        pinned = self._lane_of.get(event.incident_id)
        if pinned is not None:
            return str(pinned[0])
        fixed = self._fixed_lane(event)
        if fixed is not None:
            return fixed
        if incident is None:
            incident = await self.incidents.get(event.incident_id)
        if incident is None:
            return "default"
        if incident.channel:
            return incident.channel
        try:
            _, channel = await self.channel_for(incident)
        except ChannelNotFound:
            return "default"
        return channel or "default"

    async def dispatch(
        self, event: Event, *, redelivered: bool = False, incident: Incident | None = None
    ) -> None:
        if event.stream_id in self._in_flight:
            return
        lane = await self.lane_for(event, incident)
        self._in_flight.add(event.stream_id)
        if redelivered:
            self._redelivered.add(event.stream_id)
        self._lane_of.setdefault(event.incident_id, [lane, 0])[1] += 1
        self.lanes.put(lane, event)

    def _done(self, event: Event) -> None:
        self._in_flight.discard(event.stream_id)
        self._redelivered.discard(event.stream_id)
        pinned = self._lane_of.get(event.incident_id)
        if pinned is not None:
            pinned[1] -= 1
            if pinned[1] <= 0:
                del self._lane_of[event.incident_id]

    async def _work(self, lane: str, item: Event | Job) -> None:
        if isinstance(item, Job):
            await self._flush(lane)
            await self._run_job(lane, item)
            return
        prev = self._finishing.get(item.incident_id)
        if prev is not None and not prev.done():
            await self._flush(lane)
            # The incident's previous event still has DMs going out: this one follows it,
            # off the lane, so the channel's other incidents go on meanwhile.
            self._pin_finisher(item.incident_id, asyncio.create_task(
                self._after(prev, lane, item), name=f"beacon-after-{item.event_id}"))
            return
        await self._apply(lane, item, detach=True, in_lane=True)

    async def _flush(self, lane: str) -> None:
        """Send the lane's deferred finish now (before work that will not begin an event)."""
        deferred = self._deferred.pop(lane, None)
        if deferred is None:
            return
        calls, events = deferred
        try:
            await self.outbox.run_calls(calls)
        except BaseException:
            self._deferred[lane] = deferred
            raise
        for event in events:
            self._done(event)

    def _pin_finisher(self, incident_id: str, task: asyncio.Task[None]) -> None:
        self._finishing[incident_id] = task

        def unpin(t: asyncio.Task[None]) -> None:
            if self._finishing.get(incident_id) is t:
                del self._finishing[incident_id]
            if not t.cancelled() and t.exception() is not None:  # it stays pending: replayed
                log.warning("%s: finishing an event failed: %s", incident_id, t.exception())

        task.add_done_callback(unpin)

    async def _after(self, prev: asyncio.Task[None], lane: str, event: Event) -> None:
        with contextlib.suppress(Exception):
            await asyncio.shield(prev)
        await self._apply(lane, event, detach=False)

    async def _retrying(
        self, lane: str, what: str, attempt: Callable[[], Awaitable[None]],
        give_up: Callable[[Exception], Awaitable[None]],
    ) -> None:
        """The lanes' one retry rule: an outage (Slack or Redis away) is waited out in the
        lane, keeping the order; anything else is a bug, tried BUG_ATTEMPTS times, then
        `give_up` (never holding the lane)."""
        backoff = 0.5
        faults = 0
        while True:
            try:
                await attempt()
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                METRICS.worker_errors.labels(worker="notifier").inc()
                if not retryable(exc):
                    faults += 1
                    if faults >= BUG_ATTEMPTS:
                        await give_up(exc)
                        return
                log.warning("lane %s: %s failed (%s); retrying in %.1fs", lane, what, exc,
                            backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 10)

    async def _apply(
        self, lane: str, event: Event, *, detach: bool, in_lane: bool = False
    ) -> None:
        """Apply one event. With `detach`, its DMs may still be going out when this returns
        (a finisher waits for them). `in_lane`: run by the lane's own task, so its begin may
        carry the lane's deferred finish, and its own finish may be deferred."""
        detached = False

        async def attempt() -> None:
            nonlocal detached
            try:
                _, finisher = await self._handle(
                    event, redelivered=event.stream_id in self._redelivered, detach=detach,
                    lane=lane if in_lane else None)
                if lane in self._deferred and self._deferred[lane][1][-1] is event:
                    detached = True  # in flight until the deferred finish is sent
            except Exception:
                self._redelivered.add(event.stream_id)  # the retry looks for earlier copies
                raise
            if finisher is not None:
                detached = True
                self._pin_finisher(event.incident_id, finisher)

        async def give_up(exc: Exception) -> None:
            await self._give_up(event, exc)

        try:
            await self._retrying(lane, event.event_id, attempt, give_up)
        finally:
            if not detached:
                self._done(event)

    async def _run_job(self, lane: str, job: Job) -> None:
        """One event's writes to a DM, in the DM's lane; a refusal is counted and logged (the
        event's other messages go on)."""

        async def attempt() -> None:
            try:
                await job.work()
            except SlackApiError as exc:
                if is_transient(exc):
                    raise
                count_refusal(str(exc.response.get("error", "") or "unknown_error"))
                log.warning("%s refused: %s", job.what, exc.response.get("error"))

        async def give_up(exc: Exception) -> None:
            log.error("%s failed %d times; giving up on it", job.what, BUG_ATTEMPTS,
                      exc_info=exc)
            count_refusal("internal_error")

        try:
            await self._retrying(lane, job.what, attempt, give_up)
        finally:
            if not job.done.done():
                job.done.set_result(None)

    async def aside(self, dest: str, work: Callable[[], Awaitable[object]], what: str) -> None:
        """Do `work` (writes to the DM `dest`) in that DM's own lane; the event being applied
        finishes once it is done. Outside an event (tools, tests), at once."""
        sides = _SIDES.get()
        if sides is None:
            await work()
            return
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        sides.append(done)
        self.lanes.put(dest, Job(work, done, what))

    async def _give_up(self, event: Event, exc: Exception) -> None:
        """Beacon itself failed on this event (not Slack, not Redis): logged with its
        traceback, counted, told to the person behind it, and acknowledged so the lane goes on
        (the incident's state is safe in Redis; only this announcement is missing)."""
        log.error("event %s failed %d times; giving up on it", event.event_id, BUG_ATTEMPTS,
                  exc_info=exc)
        count_refusal("internal_error")
        try:
            await self.report_failure(event, "internal_error")
            await self.outbox.mark_notified(
                event.incident_id, event.seq, ttl=self._mark_ttl(event))
            await self.outbox.ack_event(GROUP, event.stream_id)
        except Exception:
            log.exception("could not set aside %s; it stays pending", event.event_id)

    async def drain(self, block_ms: int = 0) -> int:
        """Apply every event there is now, in this task (tests, tools). Returns events applied."""
        await self.outbox.ensure_group(GROUP)
        done = 0
        events = await self.outbox.pending_mine(GROUP, self.consumer, 1000)
        events += await self.outbox.read_events(GROUP, self.consumer, 1000, block_ms)
        for event in events:
            done += await self.handle(event, redelivered=True)
        return done

    async def handle(self, event: Event, *, redelivered: bool) -> int:
        """Apply one event if it is the incident's next; 1 when applied, 0 when deferred."""
        applied, _ = await self._handle(event, redelivered=redelivered, detach=False)
        return applied

    async def _handle(
        self, event: Event, *, redelivered: bool, detach: bool, lane: str | None = None
    ) -> tuple[int, asyncio.Task[None] | None]:
        """(1 applied / 0 deferred, the task finishing it when `detach` and DMs are still
        going out in their lanes)."""
        # One instance at a time per incident, so a slow apply is never doubled by a reclaim.
        ttl = self.reclaim_idle_ms
        before, done_before = self._deferred.pop(lane, ([], [])) if lane else ([], [])
        try:
            verdict, incident = await self.outbox.begin_event(
                event.incident_id, event.seq, self.consumer, ttl,
                read=self._fixed_lane(event) is None, after=before)
        except BaseException:
            if lane and before:
                self._deferred[lane] = (before, done_before)
            raise
        for earlier in done_before:
            self._done(earlier)
        if verdict == "done":
            await self.outbox.ack_event(GROUP, event.stream_id)  # applied before (redelivery)
            return 0, None
        if verdict == "wait":
            return 0, None  # stays pending; applied once the earlier event lands
        lock = f"incident:{event.incident_id}"
        renew = asyncio.get_running_loop().call_later(ttl / 3000, self._renew_soon, lock, ttl)
        sides: list[asyncio.Future[None]] = []
        later: list[Call] = []
        token, later_token = _SIDES.set(sides), _LATER.set(later)
        try:
            try:
                await self.apply(event, redelivered=redelivered, incident=incident)
            except SlackApiError as exc:
                if is_transient(exc):
                    raise  # Slack stayed down through the poster's retries: replayed later
                code = str(exc.response.get("error", "") or "unknown_error")
                log.error("event %s could not be posted: %s", event.event_id, code)
                count_refusal(code)
                await self.report_failure(event, code)
            finally:
                _SIDES.reset(token)
                _LATER.reset(later_token)
        except BaseException:
            if sides:  # a retry must see what its DMs recorded, or it would send them again
                with contextlib.suppress(Exception):
                    await asyncio.gather(*sides)
            self._end_lease(renew, lock)
            await self._release(lock)
            raise
        calls = [*later, self.outbox.finish_call(
            event.incident_id, event.seq, GROUP, event.stream_id, self.consumer,
            ttl=self._mark_ttl(event))]
        if sides and detach:
            finisher = asyncio.create_task(
                self._finish(event, sides, calls, renew, lock, done=True),
                name=f"beacon-finish-{event.event_id}")
            return 1, finisher
        if lane is not None and not sides and self.lanes.queued(lane):
            # The lane's next event begins at once: its begin carries this finish.
            self._deferred[lane] = (calls, [event])
            self._end_lease(renew, lock)
            self._applied(event)
            return 1, None
        await self._finish(event, sides, calls, renew, lock, done=False)
        return 1, None

    def _applied(self, event: Event) -> None:
        self.applied += 1
        METRICS.transitions.labels(type=event.type.value).inc()
        if self.home is not None:
            self.home.changed()

    async def arm_later(self, incident_id: str, timers: list[dict[str, Any]]) -> None:
        """Arm timers with the event's finish (one round trip); outside an event, at once."""
        later = _LATER.get()
        if later is None:
            await self.timers.arm(incident_id, fields={}, timers=timers)
        else:
            later.append(self.timers.arm_call(incident_id, fields={}, timers=timers))

    async def _finish(
        self, event: Event, sides: list[asyncio.Future[None]], calls: list[Call],
        renew: asyncio.TimerHandle, lock: str, *, done: bool,
    ) -> None:
        """Once the event's DMs are out: arm what it armed, raise its mark, acknowledge it,
        release the lease. `done`: this runs on its own (the lane went on), so it also retries
        and unpins."""
        try:
            if sides:
                await asyncio.gather(*sides)
            backoff = 0.5
            while True:
                try:
                    await self.outbox.run_calls(calls)
                    break
                except Exception as exc:
                    if not done or not retryable(exc):
                        raise
                    log.warning("could not finish %s (%s); retrying in %.1fs",
                                event.event_id, exc, backoff)
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, 10)
        except BaseException:
            if not done:
                await self._release(lock)
            raise  # detached: the lease lapses and the event is replayed (idempotent)
        finally:
            self._end_lease(renew, lock)
            if done:
                self._done(event)
        self._applied(event)

    def _end_lease(self, renew: asyncio.TimerHandle, lock: str) -> None:
        renew.cancel()
        task = self._renewals.pop(lock, None)
        if task is not None:
            task.cancel()

    async def _release(self, lock: str) -> None:
        try:
            await self.leases.unlock(lock, self.consumer)
        except Exception as exc:  # Redis away: the lease lapses by itself
            log.warning("could not release %s: %s", lock, exc)

    def _renew_soon(self, lock: str, ttl_ms: int) -> None:
        """A slow apply (Slack waiting) keeps its lease: renewed every third of it."""
        self._renewals[lock] = asyncio.create_task(self._renew(lock, ttl_ms))

    async def _renew(self, lock: str, ttl_ms: int) -> None:
        while await self.leases.extend_lock(lock, self.consumer, ttl_ms):  # noqa: ASYNC110
            await asyncio.sleep(ttl_ms / 3000)  # a lease in Redis: nothing to wait on here

    async def apply(
        self, event: Event, *, redelivered: bool, incident: Incident | None = None
    ) -> None:
        from app.notifier.table import apply_event

        await apply_event(self, event, redelivered, incident)

    # --- shared by handlers --------------------------------------------------------------
    async def channel_for(self, incident: Incident) -> tuple[str | None, str | None]:
        """(configured ref, resolved id) of the incident's routed channel, or of the one its
        declaration asked for (a workflow step's `channel`)."""
        if incident.card_channel:
            return incident.card_channel, await self.channels.resolve(incident.card_channel)
        chosen = route(self.config, service=incident.service, severity=incident.severity)
        if chosen.channel is None:
            return None, None
        return chosen.channel, await self.channels.resolve(chosen.channel)

    async def already_posted(
        self, incident_id: str, role: str, event: Event, channel: str | None,
        thread_ts: str | None, redelivered: bool,
    ) -> bool:
        if await self.messages.message_ref(incident_id, role):
            return True
        if not redelivered or channel is None:
            return False
        found = await self.poster.find(event.event_id, channel, thread_ts)
        if found:
            await self.messages.record_message(
                incident_id, role, channel, found, card=role == "card"
            )
        return found is not None

    async def find_by_metadata(
        self, event_id: str, channel: str, thread_ts: str | None
    ) -> str | None:
        return await self.poster.find(event_id, channel, thread_ts)

    async def update_card(self, incident: Incident) -> None:
        await self.cards.update_card(incident)

    @staticmethod
    def count_refusal(code: str) -> None:
        count_refusal(code)

    async def report_failure(self, event: Event, code: str) -> None:
        """Tell the person behind the event, in plain words, why Slack refused the post."""
        incident = await self.incidents.get(event.incident_id)
        target = event.actor if event.actor and event.actor != "beacon" else None
        if incident is None or target is None:
            return
        fix = {
            "channel_not_found": "check the channel in the config, and for a private channel "
            "invite the bot with `/invite @Beacon`",
            "not_in_channel": "invite the bot with `/invite @Beacon`",
            "is_archived": "unarchive the channel or route to another one in the config",
            "missing_scope": "reinstall the app from manifest.yml so it has every scope",
            "internal_error": "this is a fault in Beacon; its log has the details",
        }.get(code.split(" ")[0], "see the Beacon logs for details")
        why = "Beacon hit a fault of its own" if code == "internal_error" else (
            f"Slack said `{code}`")
        try:
            await self.client.chat_postMessage(
                channel=target,
                text=f"⚠️ I couldn't post the update for {incident.id} to Slack "
                f"({why}): {fix}. The incident itself is saved.",
            )
        except SlackApiError as exc:
            if is_transient(exc):
                raise
            log.error("could not tell %s that %s failed: %s", target, event.event_id,
                      exc.response.get("error"))
