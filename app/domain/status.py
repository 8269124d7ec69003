"""`/incident status`: open incidents, who is on call, and whether Redis and Slack are reachable.

Read in one go and returned as data; views/oncall.py words it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from app.domain.incidents import IncidentService
from app.domain.listing import OpenCounts
from app.domain.oncall_service import OnCallService, ScheduleNow
from app.domain.ports import HealthRepository

# The runtime's check of its Slack connection, read when asked: the runtime sets it once
# Socket Mode is connected, after the services are built. None: there is no such connection
# (HTTP mode).
ConnectionCheck = Callable[[], Callable[[], Awaitable[bool]] | None]


@dataclass(frozen=True)
class StatusReport:
    database_error: str | None  # None when the database answers
    open_counts: OpenCounts  # zeros when the database does not answer
    on_call: list[ScheduleNow]
    slack_connected: bool | None  # None: HTTP mode, no connection of Beacon's own


class StatusService:
    def __init__(
        self,
        incidents: IncidentService,
        oncall: OnCallService,
        health: HealthRepository,
        connection: ConnectionCheck,
    ) -> None:
        self.incidents = incidents
        self.oncall = oncall
        self.health = health
        self.connection = connection

    async def report(self) -> StatusReport:
        database_error = await self.health.ping_error()
        if database_error is None:
            open_now = await self.incidents.open_counts()
        else:
            open_now = OpenCounts(total=0, acknowledged=0)
        on_call = [
            await self.oncall.now(name, with_next=False) for name in self.oncall.config.schedules
        ]
        check = self.connection()
        connected = await check() if check else None
        return StatusReport(database_error, open_now, on_call, connected)
