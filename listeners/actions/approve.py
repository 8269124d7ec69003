from __future__ import annotations

from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext

from listeners.context import beacon_of, user_of
from views.context import ApprovalRef


async def handle_approve(
    ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], context: AsyncBoltContext
) -> None:
    # High and critical risks carry Slack's confirm dialog on the button: a click that
    # arrives here was already confirmed by the person.
    await ack()
    ref = ApprovalRef.parse(action.get("value"))
    # Refusals (not an approver, own request, already decided) reach the one error path;
    # the notifier updates the card from the event.
    await beacon_of(context).approvals.approve(ref.approval_id, user_of(body))
