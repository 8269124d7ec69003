"""The timer catalogue: every kind of timer, how its id is built, and which handler runs it.

Timers live in one sorted set. Whoever arms one (a Lua caller in the store, the domain, a
notifier handler) builds its id and fields here; the scheduler claims due timers and dispatches
on their `kind` through HANDLERS. Ids are deterministic, so arming the same timer twice is a
no-op and a replayed event arms nothing new.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from enum import StrEnum
from typing import Any, Protocol

from app.domain.escalation import Step


class TimerKind(StrEnum):
    """The `kind` field of a timer's hash (the Lua scripts that re-arm timers write it too)."""

    SNOOZE_WAKE = "snooze_wake"
    ESCALATE = "escalate"
    SLA = "sla"
    APPROVAL_EXPIRE = "approval_expire"
    APPROVAL_CALLBACK = "approval_callback"
    DIGEST = "digest"
    UPDATE_REMINDER = "update_reminder"
    CHANNEL_ARCHIVE = "channel_archive"
    RUNBOOK_RESUME = "runbook_resume"
    ROLE_NUDGE = "role_nudge"


# A timer as TimerStore.arm takes it: {"id", "due", "fields": {"kind", …}}.
TimerSpec = dict[str, Any]
# A timer's hash as the scheduler reads it back.
TimerFields = dict[str, str]
TimerHandler = Callable[[str, TimerFields], Awaitable[object]]


def _spec(timer_id: str, due: float, kind: TimerKind, **fields: object) -> TimerSpec:
    return {"id": timer_id, "due": due, "fields": {"kind": kind.value, **fields}}


def _epoch_tail(epoch: str) -> str:
    # Timers of a reopened incident's round carry its epoch, so they never clash with (or
    # revive) the timers of an earlier round.
    return f":o{epoch}" if epoch else ""


# --- ids ---------------------------------------------------------------------------------------
def snooze_id(incident_id: str, nonce: str) -> str:
    return f"snooze:{incident_id}:{nonce}"


def escalation_id(incident_id: str, step: Step, *, epoch: str = "", suffix: str = "") -> str:
    return f"esc:{incident_id}:{step.round}:{step.level}{_epoch_tail(epoch)}{suffix}"


def sla_id(incident_id: str, sla: str, *, epoch: str = "") -> str:
    return f"sla:{incident_id}:{sla}{_epoch_tail(epoch)}"


def approval_expire_id(approval_id: str) -> str:
    return f"approval_expire:{approval_id}"


def approval_callback_id(approval_id: str) -> str:
    return f"approval_callback:{approval_id}"


def digest_timer_id(digest_id: str) -> str:
    return f"digest:{digest_id}"


def update_reminder_id(incident_id: str, at: float) -> str:
    return f"update_reminder:{incident_id}:{int(at)}"


def channel_archive_id(incident_id: str, stage: str, resolved_at: float) -> str:
    return f"channel_archive:{incident_id}:{stage}:{int(resolved_at)}"


def runbook_resume_id(incident_id: str, run_id: str, step: int) -> str:
    return f"runbook:{incident_id}:{run_id}:{step}"


def role_nudge_id(incident_id: str, *, seq: int | None = None) -> str:
    # One per incident (the nudge comes once); a severity raised later adds its change's seq.
    return f"role_nudge:{incident_id}" + (f":s{seq}" if seq is not None else "")


# --- timers armed from Python ----------------------------------------------------------------
def escalation_timer(
    incident_id: str, step: Step, due: float, *, suffix: str = "", epoch: str = ""
) -> TimerSpec:
    """Moves on from `step` when due; escalate.lua re-arms the next one with these fields."""
    fields: dict[str, object] = {"incident_id": incident_id, "from_level": step.level,
                                 "from_round": step.round}
    if epoch:
        fields["epoch"] = epoch
    timer_id = escalation_id(incident_id, step, epoch=epoch, suffix=suffix)
    return _spec(timer_id, due, TimerKind.ESCALATE, **fields)


def sla_timer(
    incident_id: str, sla: str, minutes: int, start: float, *, epoch: str = ""
) -> TimerSpec:
    fields: dict[str, object] = {"incident_id": incident_id, "sla": sla, "minutes": minutes}
    if epoch:
        fields["epoch"] = epoch
    timer_id = sla_id(incident_id, sla, epoch=epoch)
    return _spec(timer_id, start + minutes * 60, TimerKind.SLA, **fields)


def sla_start(created_at: float, reopened_at: float | None) -> float:
    """Where an incident's SLA clocks start: the trigger, or the last reopen (on_reopened
    re-arms them from there). The card's deadlines are computed from the same start."""
    return reopened_at or created_at


def sla_rearm(
    incident_id: str, ack_minutes: int, resolve_minutes: int, start: float, *, epoch: str = ""
) -> list[TimerSpec]:
    """Both SLA timers for a severity, from `start`; severity.lua moves the armed ones to these
    (same ids, new deadlines) so the deadline the card shows is the one enforced."""
    return [sla_timer(incident_id, "ack", ack_minutes, start, epoch=epoch),
            sla_timer(incident_id, "resolve", resolve_minutes, start, epoch=epoch)]


def update_reminder_timer(incident_id: str, since: float, minutes: int) -> TimerSpec:
    return _spec(
        update_reminder_id(incident_id, since),
        since + minutes * 60,
        TimerKind.UPDATE_REMINDER,
        incident_id=incident_id,
        minutes=minutes,
    )


def channel_archive_timer(
    incident_id: str, stage: str, due: float, resolved_at: float
) -> TimerSpec:
    return _spec(
        channel_archive_id(incident_id, stage, resolved_at),
        due,
        TimerKind.CHANNEL_ARCHIVE,
        incident_id=incident_id,
        stage=stage,
        resolved_at=repr(resolved_at),
    )


def role_nudge_timer(incident_id: str, due: float, *, seq: int | None = None) -> TimerSpec:
    return _spec(
        role_nudge_id(incident_id, seq=seq), due, TimerKind.ROLE_NUDGE, incident_id=incident_id
    )


def digest_timer(digest_id: str, due: float) -> TimerSpec:
    return _spec(digest_timer_id(digest_id), due, TimerKind.DIGEST, digest_id=digest_id)


# --- who runs each kind ------------------------------------------------------------------------
class TimerHandlers(Protocol):
    """What runs due timers: one method a kind, as HANDLERS says (app/scheduler.py has it)."""

    async def wake(self, timer_id: str, timer: TimerFields) -> object: ...
    async def escalate(self, timer_id: str, timer: TimerFields) -> object: ...
    async def breach_sla(self, timer_id: str, timer: TimerFields) -> object: ...
    async def expire_approval(self, timer_id: str, timer: TimerFields) -> object: ...
    async def send_approval_callback(self, timer_id: str, timer: TimerFields) -> object: ...
    async def announce_digest(self, timer_id: str, timer: TimerFields) -> object: ...
    async def remind_update(self, timer_id: str, timer: TimerFields) -> object: ...
    async def archive_channel(self, timer_id: str, timer: TimerFields) -> object: ...
    async def resume_runbook(self, timer_id: str, timer: TimerFields) -> object: ...
    async def nudge_roles(self, timer_id: str, timer: TimerFields) -> object: ...


HANDLERS: dict[TimerKind, Callable[[TimerHandlers], TimerHandler]] = {
    TimerKind.SNOOZE_WAKE: lambda h: h.wake,
    TimerKind.ESCALATE: lambda h: h.escalate,
    TimerKind.SLA: lambda h: h.breach_sla,
    TimerKind.APPROVAL_EXPIRE: lambda h: h.expire_approval,
    TimerKind.APPROVAL_CALLBACK: lambda h: h.send_approval_callback,
    TimerKind.DIGEST: lambda h: h.announce_digest,
    TimerKind.UPDATE_REMINDER: lambda h: h.remind_update,
    TimerKind.CHANNEL_ARCHIVE: lambda h: h.archive_channel,
    TimerKind.RUNBOOK_RESUME: lambda h: h.resume_runbook,
    TimerKind.ROLE_NUDGE: lambda h: h.nudge_roles,
}


def handler_for(kind: str, handlers: TimerHandlers) -> TimerHandler | None:
    """The handler for a timer's `kind` field, or None when it is no kind Beacon knows."""
    try:
        return HANDLERS[TimerKind(kind)](handlers)
    except ValueError:
        return None
