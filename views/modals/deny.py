"""The Deny modal of an approval request: its builder and the parser of its submission."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from app.domain.approvals import REASON_MAX, Approval
from views.blocks import input_block, modal, plain_text, section
from views.context import ApprovalRef
from views.ids import ActionId, BlockId, CallbackId
from views.modals import state
from views.mrkdwn import escape, truncate


def deny_modal(approval: Approval) -> dict[str, Any]:
    reason = {
        "type": "plain_text_input",
        "action_id": ActionId.DENY_REASON,
        "multiline": True,
        "max_length": REASON_MAX,
        "placeholder": plain_text("Why not? The requester sees this."),
    }
    return modal(
        truncate(f"Deny {approval.id}", 24),
        [
            section(escape(truncate(approval.operation, 2900))),
            input_block(BlockId.DENY_REASON, "Reason", reason),
        ],
        callback_id=CallbackId.DENY_MODAL,
        submit="Deny",
        private_metadata=ApprovalRef(approval_id=approval.id).dump(),
    )


@dataclass(frozen=True)
class DenyForm:
    reason: str

    FIELDS: ClassVar[dict[str, BlockId]] = {"reason": BlockId.DENY_REASON}

    @classmethod
    def from_view(cls, view: dict[str, Any]) -> DenyForm:
        return cls(reason=state.text(view, BlockId.DENY_REASON, ActionId.DENY_REASON))
