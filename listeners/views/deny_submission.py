from __future__ import annotations

from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext

from listeners.context import beacon_of, user_of
from views.context import ApprovalRef
from views.modals.deny import DenyForm


async def handle_deny_submission(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: AsyncBoltContext
) -> None:
    form = DenyForm.from_view(view)
    ref = ApprovalRef.parse(view.get("private_metadata"))
    # Errors (someone decided first, expired) go back onto the modal's reason field.
    await beacon_of(context).approvals.deny(ref.approval_id, user_of(body), form.reason)
    await ack()
