from __future__ import annotations

from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext

from app.domain.listing import IncidentState
from listeners.context import answer, beacon_of
from views import incident as card


async def handle_list_next(
    ack: AsyncAck, action: dict[str, Any], body: dict[str, Any], context: AsyncBoltContext
) -> None:
    """`/incident list`'s Next button: the following page replaces the message."""
    await ack()
    shown, cursor = card.parse_list_next(str(action.get("value") or ""))
    beacon = beacon_of(context)
    page = await beacon.incidents.page(IncidentState.OPEN, card.LIST_PAGE, cursor or None)
    text, blocks = card.list_blocks(page, beacon.config, offset=shown)
    await answer(context, body, text, blocks, replace_original=True)
