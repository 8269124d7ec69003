"""Approval requests: automation asks named people before a risky operation.

No Slack imports: user groups are expanded through an injected resolver, and the notifier
announces every change from the events the Lua scripts append.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum

from app.clock import Clock
from app.config import BeaconConfig
from app.domain.errors import BeaconError, InvalidInput
from app.domain.incidents import IncidentService, ascii_digits, normalise_id
from app.domain.ports import ApprovalRepository
from app.domain.refusals import Refusal, RefusalCode, RefusalError
from app.domain.results import Refused, Transition


class Risk(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class ApprovalStatus(StrEnum):
    PENDING = "PENDING"
    APPROVED = "APPROVED"
    DENIED = "DENIED"
    EXPIRED = "EXPIRED"


OPERATION_MAX = 500
ROLLBACK_MAX = 2000
REASON_MAX = 500
EXPIRES_MIN_S = 60
EXPIRES_MAX_S = 7 * 86400
USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
GROUP_ID = re.compile(r"^S[A-Z0-9]{2,}$")

# A user group id -> its members' user ids (usergroups.users.list in production).
GroupResolver = Callable[[str], Awaitable[list[str]]]


class ApprovalNotFound(BeaconError):
    def __init__(self, approval_id: str) -> None:
        super().__init__(f"I can't find approval request {approval_id}.")
        self.approval_id = approval_id


class NotApprover(BeaconError):
    def __init__(self, approval_id: str) -> None:
        super().__init__(f"You are not an approver for {approval_id}.")


class SelfApproval(BeaconError):
    def __init__(self, approval_id: str) -> None:
        super().__init__(
            f"You requested {approval_id}, so you can't approve it yourself. Ask another approver."
        )


def _f(raw: dict[str, str], key: str) -> float | None:
    value = raw.get(key)
    return float(value) if value else None


@dataclass(frozen=True)
class Approval:
    id: str
    number: int
    operation: str
    risk: Risk
    rollback: str
    requested_by: str
    approvers: tuple[str, ...]
    created_at: float
    expires_at: float
    status: ApprovalStatus
    incident_id: str | None = None
    approver_group: str | None = None
    decided_by: str | None = None
    decided_at: float | None = None
    reason: str | None = None
    callback_url: str | None = None
    callback_status: str | None = None
    channel: str | None = None
    card_ts: str | None = None
    seq: int = 0

    @property
    def is_pending(self) -> bool:
        return self.status is ApprovalStatus.PENDING

    @classmethod
    def from_redis(cls, raw: dict[str, str], approvers: list[str]) -> Approval:
        return cls(
            id=raw["id"],
            number=int(raw["number"]),
            operation=raw.get("operation", ""),
            risk=Risk(raw.get("risk", "low")),
            rollback=raw.get("rollback", ""),
            requested_by=raw.get("requested_by", ""),
            approvers=tuple(approvers),
            created_at=float(raw["created_at"]),
            expires_at=float(raw["expires_at"]),
            status=ApprovalStatus(raw["status"]),
            incident_id=raw.get("incident_id") or None,
            approver_group=raw.get("approver_group") or None,
            decided_by=raw.get("decided_by") or None,
            decided_at=_f(raw, "decided_at"),
            reason=raw.get("reason") or None,
            callback_url=raw.get("callback_url") or None,
            callback_status=raw.get("callback_status") or None,
            channel=raw.get("channel") or None,
            card_ts=raw.get("card_ts") or None,
            seq=int(raw.get("seq", "0")),
        )

    def public(self) -> dict[str, object]:
        """What the API returns (and the callback posts, in part)."""
        return {
            "id": self.id,
            "status": self.status.value.lower(),
            "operation": self.operation,
            "risk": self.risk.value,
            "rollback": self.rollback,
            "incident_id": self.incident_id,
            "requested_by": self.requested_by,
            "approvers": list(self.approvers),
            "created_at": self.created_at,
            "expires_at": self.expires_at,
            "decided_by": self.decided_by,
            "decided_at": self.decided_at,
            "reason": self.reason,
            "callback_status": self.callback_status,
        }


@dataclass(frozen=True)
class NewApproval:
    operation: str
    risk: Risk
    rollback: str
    requested_by: str
    approvers: tuple[str, ...] = ()
    approver_group: str | None = None
    expires_in: int = 3600
    incident_id: str | None = None
    callback_url: str | None = None


class ApprovalService:
    def __init__(
        self,
        store: ApprovalRepository,
        incidents: IncidentService,
        config: BeaconConfig,
        clock: Clock,
        group_members: GroupResolver,
        *,
        callbacks_enabled: bool = False,
    ) -> None:
        self.store = store
        self.incidents = incidents
        self.config = config
        self.clock = clock
        self.group_members = group_members
        self.callbacks_enabled = callbacks_enabled

    async def _approvers(self, new: NewApproval) -> list[str]:
        people = list(new.approvers)
        for uid in people:
            if not USER_ID.match(uid):
                raise InvalidInput(
                    f"approvers: {uid!r} is not a Slack user id (like U0123ABC).",
                    field="approvers",
                )
        if new.approver_group:
            if not GROUP_ID.match(new.approver_group):
                raise InvalidInput(
                    f"approver_group: {new.approver_group!r} is not a Slack user group id "
                    "(like S0123ABC).",
                    field="approver_group",
                )
            people += await self.group_members(new.approver_group)
        unique = sorted(set(people))
        if not unique:
            raise InvalidInput(
                "Name at least one approver: approvers (user ids) or approver_group (a user "
                "group with members).",
                field="approvers",
            )
        return unique

    async def request(self, new: NewApproval) -> Approval:
        operation, rollback = new.operation.strip(), new.rollback.strip()
        if not operation:
            raise InvalidInput("operation: say what will be done.", field="operation")
        if len(operation) > OPERATION_MAX:
            raise InvalidInput(
                f"operation: keep it to {OPERATION_MAX} characters.", field="operation"
            )
        if len(rollback) > ROLLBACK_MAX:
            raise InvalidInput(f"rollback: keep it to {ROLLBACK_MAX} characters.", field="rollback")
        if not EXPIRES_MIN_S <= new.expires_in <= EXPIRES_MAX_S:
            raise InvalidInput(
                f"expires_in: between {EXPIRES_MIN_S} seconds and 7 days.", field="expires_in"
            )
        if new.callback_url and not self.callbacks_enabled:
            raise InvalidInput(
                "callback_url needs BEACON_CALLBACK_SECRET set on the Beacon server (callbacks "
                "are signed with it); set it or leave callback_url out and poll instead.",
                field="callback_url",
            )
        incident_id = None
        if new.incident_id:
            incident_id = (await self.incidents.get(normalise_id(new.incident_id))).id
        approvers = await self._approvers(new)
        now = self.clock.now()
        fields = {
            "operation": operation,
            "risk": new.risk.value,
            "rollback": rollback,
            "incident_id": incident_id or "",
            "approver_group": new.approver_group or "",
            "callback_url": new.callback_url or "",
        }
        approval_id, outcome = await self.store.create(
            requested_by=new.requested_by,
            approvers=approvers,
            expires_at=now + new.expires_in,
            fields=fields,
            now=now,
        )
        self._check(approval_id, outcome)
        return await self.get(approval_id)

    async def pending(self, limit: int) -> list[Approval]:
        """Approvals still waiting for a decision, soonest to expire first."""
        found = []
        for approval_id in await self.store.pending_ids(limit):
            try:
                found.append(await self.get(approval_id))
            except ApprovalNotFound:  # gone meanwhile: just not listed
                continue
        return found

    async def get(self, approval_id: str) -> Approval:
        found = await self.store.get(normalise_approval_id(approval_id))
        if found is None:
            raise ApprovalNotFound(approval_id)
        return Approval.from_redis(*found)

    async def check_can_decide(self, approval_id: str, actor: str) -> Approval:
        """Refuse early (before a Deny modal opens) with the same words the script would."""
        approval = await self.get(approval_id)
        if not approval.is_pending:
            self._check(approval.id, _refusal_for(approval), actor)
        if self.clock.now() >= approval.expires_at:
            self._check(approval.id, Refused("expired", ("", str(approval.expires_at))), actor)
        if actor not in approval.approvers:
            raise NotApprover(approval.id)
        return approval

    async def approve(self, approval_id: str, actor: str) -> Approval:
        return await self._decide(approval_id, actor, ApprovalStatus.APPROVED, "")

    async def deny(self, approval_id: str, actor: str, reason: str) -> Approval:
        reason = reason.strip()
        if not reason:
            raise InvalidInput("Say why you deny it.", field="reason")
        if len(reason) > REASON_MAX:
            raise InvalidInput(f"Keep the reason to {REASON_MAX} characters.", field="reason")
        return await self._decide(approval_id, actor, ApprovalStatus.DENIED, reason)

    async def _decide(
        self, approval_id: str, actor: str, decision: ApprovalStatus, reason: str
    ) -> Approval:
        approval_id = normalise_approval_id(approval_id)
        outcome = await self.store.decide(
            approval_id,
            actor=actor,
            decision=decision.value,
            reason=reason,
            allow_self=self.config.approvals.allow_self_approval,
            now=self.clock.now(),
        )
        self._check(approval_id, outcome, actor)
        return await self.get(approval_id)

    def _check(
        self, approval_id: str, outcome: Transition | Refused, actor: str | None = None
    ) -> Transition:
        if isinstance(outcome, Transition):
            return outcome
        match outcome.code:
            case "not_found":
                raise ApprovalNotFound(approval_id)
            case "not_approver":
                raise NotApprover(approval_id)
            case "self_approval":
                raise SelfApproval(approval_id)
        code = _REFUSALS.get(outcome.code, RefusalCode.REFUSED)
        value = outcome.code if code is RefusalCode.REFUSED else None
        refusal = Refusal(code, approval_id, actor, by=outcome.by, at=outcome.at, value=value)
        raise RefusalError(refusal)


# The scripts' refusals that a person is told about as such (the others are errors of their own).
_REFUSALS = {
    "approved": RefusalCode.ALREADY_APPROVED,
    "denied": RefusalCode.ALREADY_DENIED,
    "expired": RefusalCode.EXPIRED,
}


def _refusal_for(approval: Approval) -> Refused:
    return Refused(
        approval.status.value.lower(),
        (approval.decided_by or "", str(approval.decided_at or approval.expires_at)),
    )


def normalise_approval_id(raw: str) -> str:
    """Accept 'APR-7', 'apr-7' or '7'."""
    text = raw.strip().upper()
    if ascii_digits(text):
        return f"APR-{int(text)}"
    if text.startswith("APR-") and ascii_digits(text[4:]):
        return f"APR-{int(text[4:])}"
    raise ApprovalNotFound(raw)
