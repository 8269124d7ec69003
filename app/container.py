"""The composition root: builds the long-lived objects of one process (stores, services, the
notifier, the scheduler, the background workers) and hands them out. It only wires: the
behaviour lives in what it builds."""

from __future__ import annotations

import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import aiohttp
from slack_sdk.web.async_client import AsyncWebClient

from app.approval_callbacks import CallbackSender
from app.clock import Clock
from app.config import BeaconConfig
from app.domain.answers import AnswerService
from app.domain.approvals import ApprovalService
from app.domain.digest import DigestService
from app.domain.escalations import Escalations
from app.domain.incident_record import IncidentRecord
from app.domain.incident_updates import IncidentUpdates
from app.domain.incidents import IncidentService
from app.domain.intake import IntakeService
from app.domain.investigations import InvestigationService
from app.domain.oncall_service import OnCallService
from app.domain.retention import IncidentRetention
from app.domain.runbooks import RunbookService
from app.domain.status import StatusService
from app.home import HomePublisher
from app.notifier import Notifier
from app.notifier.retention import DeliveryThresholds, StreamRetention
from app.scheduler import Scheduler, TimerWork
from app.settings import Settings
from app.slack.channels import ChannelResolver
from app.slack.client import make_client
from app.slack.directory import UserDirectory
from app.slack.usergroups import UserGroups
from app.store import Stores
from app.store.keys import Keys
from app.store.rollups import StormRules
from app.workers import Workers

if TYPE_CHECKING:
    from app.store.connect import Redis


@dataclass
class Beacon:
    config: BeaconConfig
    clock: Clock
    instance_id: str
    stores: Stores
    client: AsyncWebClient  # the notifier's: waits out 429s
    listener_client: AsyncWebClient  # Bolt's: fails fast, a click has 3 s
    directory: UserDirectory
    channels: ChannelResolver
    incidents: IncidentService
    approvals: ApprovalService
    investigations: InvestigationService
    intake: IntakeService
    updates: IncidentUpdates
    escalations: Escalations
    record: IncidentRecord
    runbooks: RunbookService
    oncall: OnCallService
    answers: AnswerService  # listeners' answers to one person, delivered by the notifier
    notifier: Notifier
    scheduler: Scheduler
    home: HomePublisher
    workers: Workers
    digest: DigestService | None = None
    retention: StreamRetention | None = None
    # Set by the runtime: whether the Slack connection (Socket Mode) is up right now.
    slack_connected: Callable[[], Awaitable[bool]] | None = None
    status: StatusService | None = None  # built last: it reads slack_connected

    @classmethod
    def for_settings(
        cls,
        settings: Settings,
        *,
        config: BeaconConfig,
        redis: Redis,
        clock: Clock,
        session: aiohttp.ClientSession,
        token: str,
        prefix: str,
        team_id: str | None = None,
    ) -> Beacon:
        """One Beacon as the environment sets it up: the whole process in single-workspace
        mode, one workspace's (its token, its key prefix; the team id every call names when
        the token is an org-wide install's) in multi-workspace mode."""
        s = settings
        return cls.build(
            config=config,
            redis=redis,
            clock=clock,
            client=make_client(
                token, s.slack_api_url, clock=clock, session=session, team_id=team_id
            ),
            # The notifier's poster owns retries (one policy): its client retries nothing.
            delivery_client=make_client(
                token, s.slack_api_url, max_retries=0, rate_limit_retries=False, session=session,
                team_id=team_id,
            ),
            listener_client=make_client(
                token, s.slack_api_url, rate_limit_retries=False, session=session,
                team_id=team_id,
            ),
            prefix=prefix,
            instance_id=s.beacon_instance_id,
            posts_per_second=s.beacon_posts_per_second,
            reclaim_idle_ms=s.beacon_reclaim_idle_ms,
            delivery=DeliveryThresholds.from_settings(s),
            keep_acknowledged=s.beacon_outbox_keep_acknowledged,
            storm=StormRules(
                window_s=s.beacon_storm_window_s,
                threshold=s.beacon_storm_threshold,
                settle_s=s.beacon_storm_settle_s,
            ),
            callback_secret=s.beacon_callback_secret,
        )

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
        listener_client = listener_client or client
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
        oncall = OnCallService(config, clock, stores.oncall, directory)
        record = IncidentRecord(incidents, stores.record)
        runbooks = RunbookService(incidents, stores.runbooks)
        callbacks = None
        if callback_secret:
            callbacks = CallbackSender(stores.approvals, clock, callback_secret).fire
        work = TimerWork(
            stores, clock, config, digest=digest, runbooks=runbooks, record=record,
            callbacks=callbacks,
        )
        scheduler = Scheduler(stores.timers, work, clock)
        notifier = Notifier(
            stores=stores,
            config=config,
            client=delivery_client or client,
            directory=directory,
            channels=channels,
            clock=clock,
            consumer=instance_id,
            oncall=oncall,
            digest=digest,
            reclaim_idle_ms=reclaim_idle_ms,
            posts_per_second=posts_per_second,
            storm=storm,
        )
        home = HomePublisher(
            store=stores.home,
            config=config,
            clock=clock,
            incidents=incidents,
            approvals=approvals,
            oncall=oncall,
            directory=directory,
            poster=notifier.poster,
        )
        notifier.home = home  # incidents changed: the open Home tabs are republished
        # The outbox stream is trimmed only below what every consumer group has acknowledged.
        retention = StreamRetention(stores.outbox, clock, delivery or DeliveryThresholds())
        kept = IncidentRetention(stores.incidents, config.retention, clock,
                                 (stores.approvals, stores.investigations))
        beacon = cls(
            config=config,
            clock=clock,
            instance_id=instance_id,
            stores=stores,
            client=client,
            listener_client=listener_client,
            directory=directory,
            channels=channels,
            incidents=incidents,
            approvals=approvals,
            investigations=investigations,
            intake=IntakeService(incidents, stores.incidents),
            updates=IncidentUpdates(incidents, stores.channels),
            escalations=Escalations(incidents, stores.oncall),
            record=record,
            runbooks=runbooks,
            oncall=oncall,
            answers=AnswerService(stores.answers, clock),
            notifier=notifier,
            scheduler=scheduler,
            home=home,
            workers=Workers(
                notifier=notifier,
                scheduler=scheduler,
                retention=retention,
                incident_retention=kept if config.retention.resolved_days else None,
                home=home,
                digest=digest,
            ),
            digest=digest,
            retention=retention,
        )
        beacon.status = StatusService(incidents, oncall, stores, lambda: beacon.slack_connected)
        return beacon
