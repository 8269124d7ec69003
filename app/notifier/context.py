"""What handlers see of the delivery engine: `Delivery`, which `engine.Notifier` implements.

Handlers, rollups and the table import this, never the engine, so the engine is the one module
that knows them all (and no import cycle runs through it).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from app.clock import Clock
from app.config import BeaconConfig
from app.domain.digest import DigestService
from app.domain.models import Event, Incident
from app.domain.oncall_service import OnCallService
from app.notifier.lanes import Lanes
from app.notifier.poster import Poster
from app.slack.channels import ChannelResolver
from app.slack.directory import UserDirectory
from app.store import Stores
from app.store.incidents import IncidentStore
from app.store.messages import MessageStore
from app.store.timers import TimerStore


class CardsPart(Protocol):
    def dm_message(
        self, incident: Incident, lead: str, *, push: str | None = None
    ) -> dict[str, Any]: ...

    def page_message(self, incident: Incident, role: str) -> dict[str, Any]: ...

    async def reply(self, incident: Incident, event: Event, redelivered: bool) -> None: ...


class RollupsPart(Protocol):
    async def take(
        self, incident: Incident, event: Event, channel: str, redelivered: bool
    ) -> bool: ...

    async def bulk_reply(self, incident: Incident, event: Event) -> None: ...

    async def is_member(self, incident_id: str) -> bool: ...

    async def refresh_for(self, incident: Incident) -> bool: ...

    async def page(self, incident: Incident, event: Event, user: str) -> None: ...


class Delivery(Protocol):
    stores: Stores
    incidents: IncidentStore
    messages: MessageStore
    timers: TimerStore
    oncall: OnCallService
    config: BeaconConfig
    clock: Clock
    directory: UserDirectory
    channels: ChannelResolver
    poster: Poster
    client: Any  # the poster's proxy: every Slack write is paced, retried and labelled
    lanes: Lanes
    digest: DigestService | None

    # Read-only here, so the engine's own classes (Cards, Rollups) match structurally.
    @property
    def cards(self) -> CardsPart: ...

    @property
    def rollups(self) -> RollupsPart: ...

    async def aside(
        self, dest: str, work: Callable[[], Awaitable[object]], what: str
    ) -> None: ...

    async def channel_for(self, incident: Incident) -> tuple[str | None, str | None]: ...

    async def already_posted(
        self, incident_id: str, role: str, event: Event, channel: str | None,
        thread_ts: str | None, redelivered: bool,
    ) -> bool: ...

    async def find_by_metadata(
        self, event_id: str, channel: str, thread_ts: str | None
    ) -> str | None: ...

    async def update_card(self, incident: Incident) -> None: ...

    # Timers nothing in this event reads: armed with the event's finish, in one round trip.
    async def arm_later(self, incident_id: str, timers: list[dict[str, Any]]) -> None: ...

    async def report_failure(self, event: Event, code: str) -> None: ...

    def count_refusal(self, code: str) -> None: ...
