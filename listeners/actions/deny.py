from __future__ import annotations

from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from listeners.context import beacon_of, user_of
from views.context import ApprovalRef
from views.modals.deny import deny_modal


async def handle_deny_click(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
) -> None:
    await ack()
    ref = ApprovalRef.parse(action.get("value"))
    # Refuse before the modal opens, so a non-approver is not asked for a reason first.
    approval = await beacon_of(context).approvals.check_can_decide(ref.approval_id, user_of(body))
    await client.views_open(trigger_id=body["trigger_id"], view=deny_modal(approval))
