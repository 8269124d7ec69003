"""Publishes App Home tabs: on app_home_opened, on paging, and when incidents change."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from slack_sdk.errors import SlackApiError

from app.domain.oncall import on_call
from views.home import home_view
from views.mrkdwn import date_time, escape

if TYPE_CHECKING:
    from app.container import Beacon

log = logging.getLogger("beacon.home")

VIEWER_WINDOW_S = 24 * 3600
MAX_VIEWERS = 50


class HomePublisher:
    def __init__(self, beacon: Beacon) -> None:
        self.beacon = beacon

    async def _oncall_lines(self) -> list[str]:
        b = self.beacon
        lines = []
        pager = b.notifier_pager()
        for name, schedule in b.config.schedules.items():
            state = on_call(schedule, b.clock.now(), await pager.overrides(name))
            who = f"<@{await b.directory.user_id(state.user)}>" if state.user else "nobody"
            until = f" until {date_time(state.until.timestamp())}" if state.until else ""
            lines.append(f"*{escape(name)}*: {who}{until}")
        return lines

    async def publish(self, user_id: str, page: int | None = None) -> None:
        b = self.beacon
        keys = b.store.keys
        if page is None:
            page = int(await b.redis.hget(keys.home_pages(), user_id) or 0)
        else:
            await b.redis.hset(keys.home_pages(), user_id, page)
        approvals = []
        for approval_id in await b.approvals.store.pending_ids(20):
            try:
                approvals.append(await b.approvals.get(approval_id))
            except Exception:  # an approval that vanished meanwhile: just not shown
                continue
        view = home_view(
            await b.incidents.list_open(), b.config, user_id=user_id, now=b.clock.now(),
            oncall=await self._oncall_lines(), approvals=approvals, page=page,
        )
        await b.client.views_publish(user_id=user_id, view=view)

    async def opened(self, user_id: str) -> None:
        await self.beacon.redis.zadd(self.beacon.store.keys.home_viewers(),
                                     {user_id: self.beacon.clock.now()})
        await self.publish(user_id)

    async def republish_viewers(self) -> None:
        """Keep open Home tabs current after incidents change (once per notifier pass)."""
        b = self.beacon
        key = b.store.keys.home_viewers()
        await b.redis.zremrangebyscore(key, "-inf", b.clock.now() - VIEWER_WINDOW_S)
        for user_id in await b.redis.zrevrange(key, 0, MAX_VIEWERS - 1):
            try:
                await self.publish(user_id)
            except SlackApiError as exc:
                log.warning("home for %s not republished: %s", user_id, exc.response.get("error"))
