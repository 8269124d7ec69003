"""The background tasks of one process: the notifier, the scheduler, outbox and incident
retention and App Home republishing; started together, stopped together."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.domain.digest import DigestService
    from app.domain.retention import IncidentRetention
    from app.home import HomePublisher
    from app.notifier import Notifier
    from app.notifier.retention import StreamRetention
    from app.scheduler import Scheduler

log = logging.getLogger("beacon")

STOP_TIMEOUT_S = 5


class Workers:
    def __init__(
        self,
        *,
        notifier: Notifier,
        scheduler: Scheduler,
        retention: StreamRetention | None = None,
        incident_retention: IncidentRetention | None = None,
        home: HomePublisher | None = None,
        digest: DigestService | None = None,
    ) -> None:
        self.notifier = notifier
        self.scheduler = scheduler
        self.retention = retention
        self.incident_retention = incident_retention
        self.home = home
        self.digest = digest
        self._tasks: list[asyncio.Task] = []
        self._stop = asyncio.Event()

    async def _arm_digest(self) -> None:
        try:
            await self.digest.arm_next()  # type: ignore[union-attr]
        except Exception:
            log.exception("could not arm the daily digest; it is armed again at the next start")

    def start(self) -> None:
        self._stop.clear()
        if self.digest is not None:
            asyncio.get_running_loop().create_task(self._arm_digest())
        self._tasks = [
            asyncio.create_task(self.notifier.run(self._stop), name="beacon-notifier"),
            asyncio.create_task(self.scheduler.run(self._stop), name="beacon-scheduler"),
        ]
        if self.retention is not None:
            self._tasks.append(
                asyncio.create_task(self.retention.run(self._stop), name="beacon-retention")
            )
        if self.incident_retention is not None:  # only when beacon.yml sets resolved_days
            task = self.incident_retention.run(self._stop)
            self._tasks.append(asyncio.create_task(task, name="beacon-incident-retention"))
        if self.home is not None:  # App Home republishing, off the notifier's path
            self._tasks.append(
                asyncio.create_task(self.home.run(self._stop), name="beacon-home")
            )

    async def stop(self) -> None:
        self._stop.set()
        for task in self._tasks:
            task.cancel()
        if self._tasks:
            _, stuck = await asyncio.wait(self._tasks, timeout=STOP_TIMEOUT_S)
            for task in stuck:  # never hold a shutdown: say which worker would not stop
                log.error("worker %s did not stop within %s s", task.get_name(), STOP_TIMEOUT_S)
        self._tasks = []
