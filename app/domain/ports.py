"""What each domain service needs from storage: small Protocols that app/store satisfies.

The services take their port in the constructor. The store's classes implement these
structurally (they never import this module); every transition answers Transition or Refused,
and the service turns a Refused into the refusal the person or the API caller is shown.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

from app.domain.alerts import AlertNotification, AlertsApplied
from app.domain.answers import Answer
from app.domain.escalation import SeverityPaging
from app.domain.listing import IncidentState, OpenCounts
from app.domain.models import FollowUp, Incident, NewIncident, TimelineEntry
from app.domain.results import Outcome
from app.domain.timers import TimerSpec


class IncidentRepository(Protocol):
    """IncidentService: an incident's life from declaration to resolution."""

    async def declare(self, new: NewIncident, now: float) -> tuple[str, Outcome]: ...
    async def get(self, incident_id: str) -> Incident | None: ...
    async def timeline(self, incident_id: str) -> list[TimelineEntry]: ...
    async def list_open(self, limit: int = ...) -> list[Incident]: ...
    async def open_counts(self, severities: list[str]) -> OpenCounts: ...
    async def page(
        self, state: IncidentState, limit: int, before: int | None = ...
    ) -> tuple[list[Incident], int, int | None]: ...
    async def open_by_severity(
        self, severities: list[str], offset: int, limit: int
    ) -> list[Incident]: ...
    async def assigned_open(self, user: str, limit: int) -> tuple[list[Incident], int]: ...
    async def rollup_items(self, rollup_id: str) -> list[str]: ...
    async def acknowledge(
        self,
        incident_id: str,
        actor: str,
        now: float,
        *,
        batch: str = ...,
        of: int = ...,
        once: str = ...,
        tell: Answer | None = ...,
    ) -> Outcome: ...
    async def resolve(
        self,
        incident_id: str,
        actor: str,
        note: str,
        now: float,
        keep_helpers_s: int = ...,
        *,
        once: str = ...,
    ) -> Outcome: ...
    async def snooze(
        self, incident_id: str, actor: str, until: float, now: float,
        resolve_by: float | None = None,
    ) -> Outcome: ...
    async def assign(
        self, incident_id: str, actor: str, assignee: str, now: float
    ) -> Outcome: ...
    async def set_severity(
        self, incident_id: str, actor: str, severity: str, now: float,
        paging: SeverityPaging | None = None, *, sla: list[TimerSpec] | None = None,
        epoch: str = "",
    ) -> Outcome: ...
    async def add_note(self, incident_id: str, actor: str, text: str, now: float) -> Outcome: ...


class IntakeRepository(Protocol):
    """IntakeService: alerts that fire again, investigators' progress, listing by status."""

    async def declare(self, new: NewIncident, now: float) -> tuple[str, Outcome]: ...
    async def refire(
        self, dedup_key: str, actor: str, now: float
    ) -> tuple[str | None, Outcome]: ...
    async def investigation_update(
        self,
        incident_id: str,
        actor: str,
        stage: str,
        text: str,
        confidence: float | None,
        now: float,
    ) -> Outcome: ...
    async def open_for_dedup(self, dedup_key: str) -> str | None: ...
    async def alerts(self, note: AlertNotification, now: float) -> AlertsApplied: ...


class DigestRepository(Protocol):
    """DigestService: the totals of the last two days' incidents, the open counts."""

    async def stats(self, buckets: list[int]) -> list[dict[str, float]]: ...
    async def open_counts(self, severities: list[str]) -> OpenCounts: ...


class RetentionRepository(Protocol):
    """IncidentRetention: archive and remove what is past retention."""

    async def retire_resolved(self, before: float, limit: int = ...) -> int: ...
    async def drop_archived(self, before: float, limit: int = ...) -> int: ...


class AgedRepository(Protocol):
    """IncidentRetention: approvals and investigation results, removed once old enough."""

    async def remove_before(self, before: float, limit: int = ...) -> int: ...


class DigestTimers(Protocol):
    """DigestService: the next digest's timer, and announcing a day's digest once."""

    async def arm_timer(self, timer_id: str, due: float, fields: dict[str, str]) -> bool: ...
    async def digest_due(self, digest_id: str, timer_id: str, now: float) -> Outcome: ...


class IncidentUpdateRepository(Protocol):
    """IncidentUpdates: status updates, reopening, timeline requests."""

    async def status_update(
        self, incident_id: str, actor: str, text: str, now: float
    ) -> Outcome: ...
    async def reopen(
        self, incident_id: str, actor: str, now: float, esc_start: int = ...
    ) -> Outcome: ...
    async def timeline_request(
        self, incident_id: str, actor: str, channel: str, now: float
    ) -> Outcome: ...


class EscalationRepository(Protocol):
    """Escalations: one escalation step, as its timer firing or a person asking makes it."""

    async def escalate(
        self, incident_id: str, timer_id: str, *, from_step: tuple[int, int],
        to_step: tuple[int, int] | None, next_timer: tuple[str, float] | None, now: float,
        epoch: str = ..., actor: str = ...,
    ) -> Outcome: ...


class RecordRepository(Protocol):
    """IncidentRecord: follow-ups, the retrospective, roles, pinned messages."""

    async def add_followup(
        self, incident_id: str, actor: str, text: str, now: float
    ) -> tuple[str, Outcome]: ...
    async def followup(self, followup_id: str) -> FollowUp | None: ...
    async def finish_followup(self, followup_id: str, actor: str, now: float) -> Outcome: ...
    async def followups(self, incident_id: str | None, limit: int = ...) -> list[FollowUp]: ...
    async def schedule_retro(
        self, incident_id: str, actor: str, date: str, owner: str, notes: str, now: float
    ) -> Outcome: ...
    async def assign_role(
        self, incident_id: str, actor: str, role: str, user: str, now: float
    ) -> Outcome: ...
    async def role_nudge(
        self, incident_id: str, timer_id: str, severities: list[str], roles: list[str], now: float
    ) -> Outcome: ...
    async def pin_message(
        self,
        incident_id: str,
        actor: str,
        *,
        channel: str,
        ts: str,
        author: str,
        text: str,
        permalink: str,
        thread_ts: str = ...,
        now: float,
    ) -> Outcome: ...
    async def incident_for_channel(self, channel: str) -> str | None: ...


class MessageDetails(Protocol):
    """A chat message as read back from Slack, for the timeline."""

    @property
    def text(self) -> str: ...
    @property
    def user(self) -> str: ...
    @property
    def permalink(self) -> str: ...
    @property
    def thread_ts(self) -> str | None: ...  # the thread's parent when the message is a reply


# Reads one message by (channel, ts): the Slack client of the request that asks.
MessageReader = Callable[[str, str], Awaitable[MessageDetails]]


class RunbookRepository(Protocol):
    """RunbookService: retrying a failed step, resuming a run when its timer is due."""

    async def retry(
        self, incident_id: str, run_id: str, step: int, actor: str, now: float
    ) -> Outcome: ...
    async def resume(
        self, incident_id: str, run_id: str, step: int, timer_id: str, if_status: str, now: float
    ) -> Outcome: ...


class ApprovalRepository(Protocol):
    """ApprovalService: approval requests and their decisions."""

    async def create(
        self,
        *,
        requested_by: str,
        approvers: list[str],
        expires_at: float,
        fields: dict[str, str],
        now: float,
    ) -> tuple[str, Outcome]: ...
    # The approval's fields and its approvers, or None.
    async def get(self, approval_id: str) -> tuple[dict[str, str], list[str]] | None: ...
    async def pending_ids(self, limit: int = 100) -> list[str]: ...  # soonest to expire first
    async def decide(
        self,
        approval_id: str,
        *,
        actor: str,
        decision: str,
        reason: str,
        allow_self: bool,
        now: float,
    ) -> Outcome: ...


class InvestigationRepository(Protocol):
    """InvestigationService: investigation results and people's votes on them."""

    async def create(
        self, *, actor: str, fields: dict[str, str], now: float
    ) -> tuple[str, Outcome]: ...
    async def get(self, investigation_id: str) -> dict[str, str] | None: ...
    async def vote(
        self, investigation_id: str, *, actor: str, rating: str, today: str, now: float
    ) -> Outcome: ...
    async def totals(self) -> dict[str, int]: ...
    async def days(self, days: list[str]) -> list[dict[str, int]]: ...


class OverrideRepository(Protocol):
    """OnCallService: on-call overrides added from Slack, kept until they end."""

    async def add_override(self, schedule: str, override_json: str, end: float) -> None: ...
    async def overrides(self, schedule: str, now: float) -> list[str]: ...


class UserLookup(Protocol):
    """OnCallService: a config's person (a Slack user id or an email) as a Slack user id."""

    async def user_id(self, ref: str) -> str | None: ...


class HealthRepository(Protocol):
    """StatusService: whether the database answers."""

    async def ping_error(self) -> str | None: ...  # None when it answers, else why not


__all__ = [
    "AgedRepository",
    "ApprovalRepository",
    "DigestRepository",
    "DigestTimers",
    "HealthRepository",
    "IncidentRepository",
    "IncidentUpdateRepository",
    "IntakeRepository",
    "InvestigationRepository",
    "MessageDetails",
    "MessageReader",
    "OverrideRepository",
    "RecordRepository",
    "RetentionRepository",
    "RunbookRepository",
    "UserLookup",
]
