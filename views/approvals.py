"""The approval card (pending and decided) and the Deny modal."""

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
from views.context import ApprovalRef
from views.ids import ActionId, BlockId, CallbackId
from views.mrkdwn import date_time, escape, truncate, user

RISK_EMOJI = {Risk.LOW: "🟢", Risk.MEDIUM: "🟡", Risk.HIGH: "🟠", Risk.CRITICAL: "🔴"}
RISK_COLOUR = {
    Risk.LOW: "#2EB67D",
    Risk.MEDIUM: "#ECB22E",
    Risk.HIGH: "#E8912D",
    Risk.CRITICAL: "#E01E5A",
}


def _pt(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": True}


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


def confirm_dialog(approval: Approval) -> dict[str, Any]:
    return {
        "title": _pt(truncate(f"Approve {approval.id}?", 100)),
        "text": {
            "type": "mrkdwn",
            "text": truncate(
                f"This is a *{approval.risk.value}* risk operation:\n"
                f"{escape(approval.operation)}\nApprove it?",
                300,
            ),
        },
        "confirm": _pt("Approve"),
        "deny": _pt("Cancel"),
        "style": "danger",
    }


def approval_blocks(
    approval: Approval, config: ApprovalsConfig, *, now: float
) -> list[dict[str, Any]]:
    risk = f"{RISK_EMOJI[approval.risk]} {approval.risk.value.capitalize()}"
    blocks: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": _pt(f"🔐 Approval requested · {approval.id}"),
        },
        {
            "type": "section",
            "block_id": BlockId.APPROVAL_SUMMARY,
            "text": {
                "type": "mrkdwn",
                "text": "*Operation*\n" + escape(truncate(approval.operation, 2900)),
            },
        },
    ]
    approvers = truncate(", ".join(user(a) for a in approval.approvers), 1900)
    fields = [
        {"type": "mrkdwn", "text": f"*Risk*\n{risk}"},
        {"type": "mrkdwn", "text": f"*Requested by*\n{requester(approval)}"},
        {
            "type": "mrkdwn",
            "text": f"*Approvers*\n{approvers}",
        },
        {
            "type": "mrkdwn",
            "text": (
                f"*Expires*\n{date_time(approval.expires_at)}"
                if approval.is_pending
                else f"*Requested*\n{date_time(approval.created_at)}"
            ),
        },
    ]
    if approval.incident_id:
        fields.append({"type": "mrkdwn", "text": f"*Incident*\n{approval.incident_id}"})
    blocks.append({"type": "section", "block_id": BlockId.APPROVAL_FIELDS, "fields": fields})
    rollback = escape(truncate(approval.rollback, 2800)) if approval.rollback else None
    blocks.append(
        {
            "type": "section",
            "block_id": BlockId.APPROVAL_ROLLBACK,
            "text": {
                "type": "mrkdwn",
                "text": f"*Rollback*\n```{rollback}```" if rollback else "*Rollback*\n_none given_",
            },
        }
    )
    outcome = outcome_text(approval)
    if outcome:
        blocks.append(
            {
                "type": "section",
                "block_id": BlockId.APPROVAL_OUTCOME,
                "text": {"type": "mrkdwn", "text": outcome},
            }
        )
        return blocks
    ref = ApprovalRef(approval_id=approval.id).dump()
    approve: dict[str, Any] = {
        "type": "button",
        "text": _pt("Approve"),
        "action_id": ActionId.APPROVE,
        "value": ref,
        "style": "primary",
    }
    if approval.risk.value in config.confirm_risks:
        approve["confirm"] = confirm_dialog(approval)
    deny = {
        "type": "button",
        "text": _pt("Deny"),
        "action_id": ActionId.DENY,
        "value": ref,
        "style": "danger",
    }
    blocks.append(
        {"type": "actions", "block_id": BlockId.APPROVAL_ACTIONS, "elements": [approve, deny]}
    )
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


def deny_modal(approval: Approval) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": CallbackId.DENY_MODAL,
        "title": {"type": "plain_text", "text": truncate(f"Deny {approval.id}", 24)},
        "submit": {"type": "plain_text", "text": "Deny"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "private_metadata": ApprovalRef(approval_id=approval.id).dump(),
        "blocks": [
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": escape(truncate(approval.operation, 2900))},
            },
            {
                "type": "input",
                "block_id": BlockId.DENY_REASON,
                "label": {"type": "plain_text", "text": "Reason"},
                "element": {
                    "type": "plain_text_input",
                    "action_id": ActionId.DENY_REASON,
                    "multiline": True,
                    "max_length": REASON_MAX,
                    "placeholder": {
                        "type": "plain_text",
                        "text": "Why not? The requester sees this.",
                    },
                },
            },
        ],
    }
