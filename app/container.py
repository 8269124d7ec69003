"""Beacon: the long-lived objects of one process, built once and handed to listeners."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from redis.asyncio import Redis
from slack_sdk.web.async_client import AsyncWebClient

from app.approval_callbacks import CallbackSender
from app.clock import Clock
from app.config import BeaconConfig
from app.domain.approvals import ApprovalService
from app.domain.digest import DigestService
from app.domain.incident_record import IncidentRecord
from app.domain.incident_updates import IncidentUpdates
from app.domain.incidents import IncidentService
from app.domain.intake import IntakeService
from app.domain.investigations import InvestigationService
from app.domain.runbooks import RunbookService
from app.home import HomePublisher
from app.notifier import Notifier
from app.notifier.handlers.oncall import Pager
from app.notifier.retention import DeliveryThresholds, StreamRetention
from app.scheduler import Scheduler, TimerWork
from app.slack.channels import ChannelResolver
from app.slack.directory import UserDirectory
from app.slack.usergroups import UserGroups
from app.store import Stores
from app.store.keys import Keys
from app.store.rollups import StormRules

log = logging.getLogger("beacon")


@dataclass
class Beacon:
    config: BeaconConfig
    redis: Redis
    stores: Stores
    incidents: IncidentService
    client: AsyncWebClient  # the notifier's: waits out 429s
    listener_client: AsyncWebClient  # Bolt's: fails fast, a click has 3 s
    directory: UserDirectory
    channels: ChannelResolver
    notifier: Notifier
    scheduler: Scheduler
    clock: Clock
    instance_id: str
    approvals: ApprovalService
    investigations: InvestigationService
    intake: IntakeService
    updates: IncidentUpdates
    record: IncidentRecord
    runbooks: RunbookService
    digest: DigestService | None = None
    retention: StreamRetention | None = None
    # Set by the runtime: whether the Slack connection (Socket Mode) is up right now.
    slack_connected: Callable[[], Awaitable[bool]] | None = None
    _tasks: list[asyncio.Task] = field(default_factory=list)
    _stop: asyncio.Event = field(default_factory=asyncio.Event)

    @classmethod
    def build(
        cls,
        *,
        config: BeaconConfig,
        redis: Redis,
        client: AsyncWebClient,
        clock: Clock,
        listener_client: AsyncWebClient | None = None,
        delivery_client: AsyncWebClient | None = None,
        prefix: str = "beacon",
        instance_id: str = "",
        posts_per_second: int = 1,
        reclaim_idle_ms: int = 30_000,
        storm: StormRules | None = None,
        delivery: DeliveryThresholds | None = None,
        keep_acknowledged: int = 1000,
        callback_secret: str = "",
    ) -> Beacon:
        # Stable across restarts (the notifier resumes its own work under it at once);
        # the notifier adds -2, -3… while another live instance holds the same name.
        instance_id = instance_id or socket.gethostname()
        stores = Stores(redis, Keys(prefix), keep_acknowledged=keep_acknowledged)
        directory = UserDirectory(client, stores.cache)
        channels = ChannelResolver(client)
        incidents = IncidentService(stores.incidents, config, clock)
        approvals = ApprovalService(
            stores.approvals,
            incidents,
            config,
            clock,
            UserGroups(client).members,
            callbacks_enabled=bool(callback_secret),
        )
        investigations = InvestigationService(stores.investigations, incidents, clock)
        digest = DigestService(stores.incidents, stores.timers, config, clock, investigations)
        callbacks = None
        if callback_secret:
            callbacks = CallbackSender(stores.approvals, clock, callback_secret).fire
        record = IncidentRecord(incidents, stores.record)
        runbooks = RunbookService(incidents, stores.runbooks)
        work = TimerWork(
            stores, clock, config, digest=digest, runbooks=runbooks, record=record,
            callbacks=callbacks,
        )
        beacon = cls(
            config=config,
            redis=redis,
            stores=stores,
            incidents=incidents,
            client=client,
            listener_client=listener_client or client,
            directory=directory,
            channels=channels,
            notifier=Notifier(
                stores=stores,
                config=config,
                client=delivery_client or client,
                directory=directory,
                channels=channels,
                clock=clock,
                consumer=instance_id,
                reclaim_idle_ms=reclaim_idle_ms,
                posts_per_second=posts_per_second,
                storm=storm,
            ),
            scheduler=Scheduler(stores.timers, work, clock),
            clock=clock,
            instance_id=instance_id,
            approvals=approvals,
            investigations=investigations,
            intake=IntakeService(incidents, stores.incidents),
            updates=IncidentUpdates(incidents, stores.channels),
            record=record,
            runbooks=runbooks,
            digest=digest,
        )
        # The outbox stream is trimmed only below what every consumer group has acknowledged.
        beacon.retention = StreamRetention(
            stores.outbox, clock, delivery or DeliveryThresholds()
        )
        beacon.notifier.digest = beacon.digest
        beacon.notifier.home = HomePublisher(beacon)
        return beacon

    async def _arm_digest(self) -> None:
        try:
            await self.digest.arm_next()  # type: ignore[union-attr]
        except Exception:
            log.exception("could not arm the daily digest; it is armed again at the next start")

    def notifier_pager(self) -> Pager:
        return Pager(self.notifier)

    def start_workers(self) -> None:
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
        if self.notifier.home is not None:  # App Home republishing, off the notifier's path
            self._tasks.append(
                asyncio.create_task(self.notifier.home.run(self._stop), name="beacon-home")
            )

    async def stop_workers(self) -> None:
        self._stop.set()
        for task in self._tasks:
            task.cancel()
        if self._tasks:
            _, stuck = await asyncio.wait(self._tasks, timeout=5)
            for task in stuck:  # never hold a shutdown: say which worker would not stop
                log.error("worker %s did not stop within 5 s", task.get_name())
        self._tasks = []
