from __future__ import annotations

from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext

from listeners.context import beacon_of, user_of
from views.context import IncidentModalContext


async def handle_escalate_submission(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: AsyncBoltContext
) -> None:
    ctx = IncidentModalContext.parse(view.get("private_metadata"))
    # The notifier pages the next level from the escalation event.
    await beacon_of(context).escalations.escalate_now(ctx.incident_id, user_of(body))
    await ack()
