"""Refusals: a change that did not happen because the state stood in its way, kept as data
(what was refused, who changed it first, when, and why) with no Slack markup.

`describe` words a refusal once, in a notation: plain text here (the API, logs), Slack mrkdwn in
views/refusals.py, so the sentence reads the same everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Protocol

from app.config.roles import role_title
from app.domain.errors import AlreadyDone
from app.domain.models import is_api_actor


class RefusalCode(StrEnum):
    """Why: the API's `code`, and which sentence `describe` says."""

    ALREADY_ACKNOWLEDGED = "already_acknowledged"
    ALREADY_RESOLVED = "already_resolved"
    UNCHANGED = "unchanged"
    NOT_RESOLVED = "not_resolved"
    NOT_ACKNOWLEDGED = "not_acknowledged"  # a snooze needs someone to own the incident
    ALREADY_APPROVED = "already_approved"
    ALREADY_DENIED = "already_denied"
    EXPIRED = "expired"
    FOLLOWUP_DONE = "followup_done"
    ROLE_HELD = "role_held"
    STEP_NOT_FAILED = "step_not_failed"
    ALREADY_RATED = "already_rated"
    REFUSED = "refused"  # any other refusal; `value` has the transition's own reason


@dataclass(frozen=True)
class Refusal:
    code: RefusalCode
    subject: str  # what was refused: an incident, approval, follow-up or investigation id
    actor: str | None = None  # who asked
    by: str | None = None  # who made the change in the way: a user id, 'api:<name>', 'beacon'
    at: float | None = None  # when they made it (epoch seconds)
    value: str | None = None  # the current value or state: assignee, role, rating, run status
    step: int | None = None  # a runbook step (0-based)


class RefusalError(AlreadyDone):
    """Raised with a Refusal; its user_message is the plain-text wording."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(describe(refusal))
        self.refusal = refusal


class Notation(Protocol):
    """How people, times and emphasis are written."""

    def mention(self, user_id: str) -> str: ...
    def time(self, at: float) -> str: ...
    def date_time(self, at: float) -> str: ...
    def emphasis(self, text: str) -> str: ...
    def command(self, text: str) -> str: ...


class PlainText:
    def mention(self, user_id: str) -> str:
        return user_id

    def time(self, at: float) -> str:
        return datetime.fromtimestamp(int(at), UTC).strftime("%H:%M UTC")

    def date_time(self, at: float) -> str:
        return datetime.fromtimestamp(int(at), UTC).strftime("%Y-%m-%d %H:%M UTC")

    def emphasis(self, text: str) -> str:
        return text

    def command(self, text: str) -> str:
        return text


PLAIN = PlainText()


def actor_name(user: str | None, notation: Notation) -> str:
    """API callers by token name, people by mention, Beacon itself by name."""
    if user and is_api_actor(user):
        return f"{user.partition(':')[2] or 'the API'} (API)"
    return notation.mention(user) if user and user != "beacon" else "Beacon"


def describe(refusal: Refusal, notation: Notation = PLAIN) -> str:
    r, n = refusal, notation
    who = actor_name(r.by, n)
    at = f" at {n.time(r.at)}" if r.at else ""
    on = f" at {n.date_time(r.at)}" if r.at else ""
    match r.code:
        case RefusalCode.ALREADY_ACKNOWLEDGED:
            return f"{r.subject} was already acknowledged by {who}{at}."
        case RefusalCode.ALREADY_RESOLVED:
            return f"{r.subject} is already resolved (by {who}{at}); nothing was changed."
        case RefusalCode.UNCHANGED:
            return f"{r.subject} already has that value ({r.value}); nothing changed."
        case RefusalCode.NOT_ACKNOWLEDGED:
            return (
                f"{r.subject} isn't acknowledged yet: a snooze stops the pages, so someone must "
                f"own the incident first. Acknowledge it (the Acknowledge button, or "
                f"{n.command(f'/incident ack {r.subject}')}), then snooze."
            )
        case RefusalCode.NOT_RESOLVED:
            return f"{r.subject} is not resolved, so there is nothing to reopen."
        case RefusalCode.ALREADY_APPROVED:
            return f"{r.subject} was already approved by {who}{on}."
        case RefusalCode.ALREADY_DENIED:
            return f"{r.subject} was already denied by {who}{on}."
        case RefusalCode.EXPIRED:
            return (
                f"{r.subject} expired{on} and can't be decided any more; ask the requester for "
                "a new approval."
            )
        case RefusalCode.FOLLOWUP_DONE:
            return f"{r.subject} was already done (by {who})."
        case RefusalCode.ROLE_HELD:
            holder = "You are" if r.by == r.actor else f"{actor_name(r.by, n)} is"
            return f"{holder} already {role_title(r.value or '')} for {r.subject}."
        case RefusalCode.STEP_NOT_FAILED:
            step = (r.step or 0) + 1
            return (
                f"Step {step} of that runbook is not waiting for a retry any more (the run is "
                f"{r.value}): someone retried it already."
            )
        case RefusalCode.ALREADY_RATED:
            return f"You already rated {r.subject} {n.emphasis(r.value or '')}."
    return f"{r.subject} could not be changed ({r.value})."

