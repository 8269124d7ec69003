from __future__ import annotations

from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext

from listeners.context import beacon_of, user_of
from views.context import IncidentRef


async def handle_reopen(
    ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], context: AsyncBoltContext
) -> None:
    await ack()
    ref = IncidentRef.parse(action.get("value"))
    # The notifier re-renders the card and restarts the SLA (and paging) from the event.
    await beacon_of(context).updates.reopen(ref.incident_id, user_of(body))
