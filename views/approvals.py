"""The approval card, pending and decided (the Deny modal is in views/modals/deny.py)."""

from __future__ import annotations

from typing import Any

from app.config import ApprovalsConfig
from app.domain.approvals import (
    REASON_MAX,
    USER_ID,
    Approval,
    ApprovalStatus,
    Risk,
)
from views.blocks import (
    Block,
    actions,
    button,
    confirm_dialog,
    field,
    header,
    section,
)
from views.context import ApprovalRef
from views.ids import ActionId, BlockId
from views.mrkdwn import date_time, escape, truncate, user

RISK_EMOJI = {Risk.LOW: "🟢", Risk.MEDIUM: "🟡", Risk.HIGH: "🟠", Risk.CRITICAL: "🔴"}
RISK_COLOUR = {
    Risk.LOW: "#2EB67D",
    Risk.MEDIUM: "#ECB22E",
    Risk.HIGH: "#E8912D",
    Risk.CRITICAL: "#E01E5A",
}


def requester(approval: Approval) -> str:
    """A Slack user id shows as a mention; anything else (a bot's name) as escaped text."""
    who = approval.requested_by
    return user(who) if USER_ID.match(who) else escape(who) or "—"


def outcome_text(approval: Approval) -> str | None:
    match approval.status:
        case ApprovalStatus.APPROVED:
            return f"✅ Approved by {user(approval.decided_by)}"
        case ApprovalStatus.DENIED:
            reason = escape(truncate(approval.reason or "", REASON_MAX))
            return f"❌ Denied by {user(approval.decided_by)}: {reason}"
        case ApprovalStatus.EXPIRED:
            return "⌛ Expired: nobody decided in time. Nothing was approved."
    return None


def fallback_text(approval: Approval) -> str:
    head = f"{approval.id} [{approval.risk.value} risk] {escape(truncate(approval.operation, 200))}"
    outcome = outcome_text(approval)
    return f"{head} — {outcome}" if outcome else f"Approval requested: {head}"


def approve_confirm(approval: Approval) -> dict[str, Any]:
    return confirm_dialog(
        truncate(f"Approve {approval.id}?", 100),
        truncate(
            f"This is a *{approval.risk.value}* risk operation:\n"
            f"{escape(approval.operation)}\nApprove it?",
            300,
        ),
        confirm="Approve",
        style="danger",
        emoji=True,
    )


def approval_blocks(approval: Approval, config: ApprovalsConfig, *, now: float) -> list[Block]:
    risk = f"{RISK_EMOJI[approval.risk]} {approval.risk.value.capitalize()}"
    blocks: list[Block] = [
        header(f"🔐 Approval requested · {approval.id}", emoji=True),
        section(
            "*Operation*\n" + escape(truncate(approval.operation, 2900)),
            block_id=BlockId.APPROVAL_SUMMARY,
        ),
    ]
    approvers = truncate(", ".join(user(a) for a in approval.approvers), 1900)
    fields = [
        field("Risk", risk),
        field("Requested by", requester(approval)),
        field("Approvers", approvers),
        (
            field("Expires", date_time(approval.expires_at))
            if approval.is_pending
            else field("Requested", date_time(approval.created_at))
        ),
    ]
    if approval.incident_id:
        fields.append(field("Incident", approval.incident_id))
    blocks.append(section(block_id=BlockId.APPROVAL_FIELDS, fields=fields))
    rollback = escape(truncate(approval.rollback, 2800)) if approval.rollback else None
    blocks.append(
        section(
            f"*Rollback*\n```{rollback}```" if rollback else "*Rollback*\n_none given_",
            block_id=BlockId.APPROVAL_ROLLBACK,
        )
    )
    outcome = outcome_text(approval)
    if outcome:
        blocks.append(section(outcome, block_id=BlockId.APPROVAL_OUTCOME))
        return blocks
    ref = ApprovalRef(approval_id=approval.id).dump()
    confirm = approve_confirm(approval) if approval.risk.value in config.confirm_risks else None
    approve = button(
        "Approve", ActionId.APPROVE, ref, style="primary", confirm=confirm, emoji=True
    )
    deny = button("Deny", ActionId.DENY, ref, style="danger", emoji=True)
    blocks.append(actions([approve, deny], block_id=BlockId.APPROVAL_ACTIONS))
    return blocks


def approval_attachments(
    approval: Approval, config: ApprovalsConfig, *, now: float
) -> list[dict[str, Any]]:
    """The card as one attachment, for the risk colour bar (grey once decided)."""
    colour = RISK_COLOUR[approval.risk] if approval.is_pending else "#9E9EA6"
    return [
        {
            "color": colour,
            "fallback": fallback_text(approval),
            "blocks": approval_blocks(approval, config, now=now),
        }
    ]

