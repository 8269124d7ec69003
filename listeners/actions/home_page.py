from __future__ import annotations

from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext

from app.home import HomePublisher
from listeners.context import beacon_of, user_of


async def handle_home_page(
    ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], context: AsyncBoltContext
) -> None:
    await ack()
    page = int(action.get("value") or 0)
    await HomePublisher(beacon_of(context)).publish(user_of(body), page=page)
