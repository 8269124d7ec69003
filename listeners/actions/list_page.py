from __future__ import annotations

from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.context.respond.async_respond import AsyncRespond

from app.domain.listing import IncidentState
from listeners.context import beacon_of
from views import incident as card


async def handle_list_next(
    ack: AsyncAck, action: dict[str, Any], respond: AsyncRespond, context: AsyncBoltContext
) -> None:
    """`/incident list`'s Next button: the following page replaces the message."""
    await ack()
    shown, cursor = card.parse_list_next(str(action.get("value") or ""))
    beacon = beacon_of(context)
    page = await beacon.incidents.page(IncidentState.OPEN, card.LIST_PAGE, cursor or None)
    text, blocks = card.list_blocks(page, beacon.config, offset=shown)
    await respond(text=text, blocks=blocks, replace_original=True, response_type="ephemeral")
