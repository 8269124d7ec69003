from __future__ import annotations

from typing import Any

from slack_bolt.context.async_context import AsyncBoltContext

from listeners.context import beacon_of


async def handle_app_home_opened(event: dict[str, Any], context: AsyncBoltContext) -> None:
    if event.get("tab") != "home":
        return
    await beacon_of(context).home.opened(event["user"])
