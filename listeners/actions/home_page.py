from __future__ import annotations

from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext

from listeners.context import beacon_of, user_of


async def handle_home_page(
    ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], context: AsyncBoltContext
) -> None:
    await ack()
    page = int(action.get("value") or 0)
    await beacon_of(context).home.publish(user_of(body), page=page)
