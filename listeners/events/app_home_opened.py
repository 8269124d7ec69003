from __future__ import annotations

from typing import Any

from slack_bolt.context.async_context import AsyncBoltContext

from app.home import HomePublisher
from listeners.context import beacon_of


async def handle_app_home_opened(event: dict[str, Any], context: AsyncBoltContext) -> None:
    if event.get("tab") != "home":
        return
    await HomePublisher(beacon_of(context)).opened(event["user"])
