"""Publishes App Home tabs: on app_home_opened, on paging, and when incidents change.

Changes are not published on the notifier's path: the notifier calls `changed()` (cheap,
synchronous) and `run()`, a task of its own, republishes every recent viewer's tab in passes
that are at most one every `min_interval_s`. A pass reads the open counts, the on-call
lines and the pending approvals once; each viewer's page and assigned incidents are ranges of
the indexes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from slack_sdk.errors import SlackApiError

from app.domain.oncall import on_call
from app.ops.metrics import METRICS
from views.home import MINE_MAX, PAGE_SIZE, OpenSection, home_view, pages_for
from views.mrkdwn import date_time, escape

if TYPE_CHECKING:

    from app.clock import Clock
    from app.config import BeaconConfig
    from app.domain.approvals import Approval, ApprovalService
    from app.domain.incidents import IncidentService
    from app.domain.listing import OpenCounts
    from app.domain.models import Incident
    from app.domain.oncall_service import OnCallService
    from app.notifier.poster import Poster
    from app.slack.directory import UserDirectory
    from app.store.home import HomeStore

log = logging.getLogger("beacon.home")

VIEWER_WINDOW_S = 24 * 3600
MAX_VIEWERS = 50
MIN_INTERVAL_S = 3.0


@dataclass(frozen=True)
class HomeSnapshot:
    """What every viewer's Home is rendered from, read once per pass."""

    counts: OpenCounts
    oncall: list[str]
    approvals: list[Approval]
    now: float


class HomePublisher:
    def __init__(
        self,
        *,
        store: HomeStore,
        config: BeaconConfig,
        clock: Clock,
        incidents: IncidentService,
        approvals: ApprovalService,
        oncall: OnCallService,
        directory: UserDirectory,
        poster: Poster,
        min_interval_s: float = MIN_INTERVAL_S,
    ) -> None:
        self.store = store
        self.config = config
        self.clock = clock
        self.incidents = incidents
        self.approvals = approvals
        self.oncall = oncall
        self.directory = directory
        self.poster = poster  # the notifier's: paced and retried like every background write
        self.min_interval_s = min_interval_s
        self.passes = 0  # republish passes run (each reads the snapshot at most once)
        self._dirty = asyncio.Event()
        self._last_pass = -math.inf  # clock time the last pass started
        self._one_by_one: set[asyncio.Task[None]] = set()  # tabs published as opened

    # --- change notification and the publishing loop ------------------------------------
    def changed(self) -> None:
        """Incidents changed: the open Home tabs are republished by the next pass of `run`."""
        self._dirty.set()

    async def republish_viewers(self) -> None:
        """Compatibility for callers not yet switched to `changed()`: schedules a pass."""
        self.changed()

    async def run(self, stop: asyncio.Event) -> None:
        """Republish recent viewers after changes, at most one pass every `min_interval_s`."""
        clock = self.clock
        while not stop.is_set():
            if not await self._wait_dirty(stop):
                return
            # Debounce on Beacon's clock; changes arriving meanwhile fold into this pass.
            # (FakeClock.sleep may return before its deadline: loop on the deadline.)
            while (wait := self._last_pass + self.min_interval_s - clock.now()) > 0:
                if stop.is_set():
                    return
                await clock.sleep(wait)
            if stop.is_set():
                return
            self._dirty.clear()  # changes from here on need the next pass
            self._last_pass = clock.now()
            try:
                await self.publish_viewers()
            except asyncio.CancelledError:
                raise
            except Exception:
                METRICS.worker_errors.labels(worker="home").inc()
                log.exception("App Home republish pass failed; retried at the next pass")
                self._dirty.set()  # not lost: the tabs are still stale

    async def _wait_dirty(self, stop: asyncio.Event) -> bool:
        """Wait for a change or for stop; True when there is a change and no stop."""
        if not self._dirty.is_set() and not stop.is_set():
            dirty = asyncio.ensure_future(self._dirty.wait())
            stopped = asyncio.ensure_future(stop.wait())
            try:
                await asyncio.wait({dirty, stopped}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for waiter in (dirty, stopped):
                    waiter.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await waiter
        return self._dirty.is_set() and not stop.is_set()

    async def publish_viewers(self) -> int:
        """One pass: every recent viewer's Home from one snapshot. Returns tabs published."""
        self.passes += 1
        since = self.clock.now() - VIEWER_WINDOW_S
        viewers = await self.store.recent_viewers(since, MAX_VIEWERS)
        if not viewers:
            return 0
        snapshot = await self._snapshot()
        pages = await self.store.pages(viewers)
        shown: dict[int, list[Incident]] = {}  # viewers on the same page share its read
        published = 0
        for user_id, page in zip(viewers, pages, strict=True):
            try:
                await self._publish_with(user_id, snapshot, page, shown=shown)
                published += 1
            except SlackApiError as exc:  # one viewer's error does not hold the others back
                log.warning("home for %s not republished: %s", user_id, exc.response.get("error"))
        return published

    # --- one viewer -------------------------------------------------------------------------
    async def opened(self, user_id: str) -> None:
        """app_home_opened: remember the viewer; their tab is published at once, off the ack."""
        await self.store.add_viewer(user_id, self.clock.now())
        self._publish_soon(user_id)

    async def publish(self, user_id: str, page: int | None = None) -> None:
        """Publish one user's Home now, off the ack; a given page is remembered."""
        if page is not None:
            await self.store.set_page(user_id, page)
        self._publish_soon(user_id)

    def _publish_soon(self, user_id: str) -> None:
        # The listener has acked by now only if it does not wait for this: views.publish goes
        # through the poster (paced, retried through a Slack outage) on a task of its own.
        task = asyncio.create_task(self._publish_one(user_id))
        self._one_by_one.add(task)
        task.add_done_callback(self._one_by_one.discard)

    async def _publish_one(self, user_id: str) -> None:
        try:
            (page,) = await self.store.pages([user_id])
            await self._publish_with(user_id, await self._snapshot(), page)
        except asyncio.CancelledError:
            raise
        except Exception:
            METRICS.worker_errors.labels(worker="home").inc()
            log.exception("App Home for %s not published; the next pass retries", user_id)
            self._dirty.set()

    async def _publish_with(
        self, user_id: str, snapshot: HomeSnapshot, page: int, *,
        shown: dict[int, list[Incident]] | None = None,
    ) -> None:
        view = home_view(
            await self._open_section(user_id, snapshot, page, {} if shown is None else shown),
            self.config, user_id=user_id, now=snapshot.now, oncall=snapshot.oncall,
            approvals=snapshot.approvals,
        )
        await self._send(user_id, view)

    async def _open_section(
        self, user_id: str, snapshot: HomeSnapshot, page: int, shown: dict[int, list[Incident]]
    ) -> OpenSection:
        """One viewer's part: their page of "All open" and what is assigned to them, each a
        range of an index, so the cost does not grow with the number of incidents."""
        page = min(max(page, 0), pages_for(snapshot.counts.total) - 1)
        if page not in shown:
            shown[page] = await self.incidents.open_by_severity(page * PAGE_SIZE, PAGE_SIZE)
        mine, mine_total = await self.incidents.assigned_open(user_id, MINE_MAX)
        return OpenSection(snapshot.counts, shown[page], page, mine, mine_total)

    async def _send(self, user_id: str, view: dict[str, Any]) -> None:
        """Every tab goes through the notifier's poster like every Slack write (paced,
        retried by the one policy)."""
        await self.poster.call("views_publish", user_id=user_id, view=view)

    # --- data shared by every viewer ------------------------------------------------------
    async def _snapshot(self) -> HomeSnapshot:
        return HomeSnapshot(
            counts=await self.incidents.open_counts(),
            oncall=await self._oncall_lines(),
            approvals=await self._approvals(),
            now=self.clock.now(),
        )

    async def _approvals(self) -> list[Approval]:
        return await self.approvals.pending(20)

    async def _oncall_lines(self) -> list[str]:
        lines = []
        for name, schedule in self.config.schedules.items():
            state = on_call(schedule, self.clock.now(), await self.oncall.overrides(name))
            who = f"<@{await self.directory.user_id(state.user)}>" if state.user else "nobody"
            until = f" until {date_time(state.until.timestamp())}" if state.until else ""
            lines.append(f"*{escape(name)}*: {who}{until}")
        return lines
