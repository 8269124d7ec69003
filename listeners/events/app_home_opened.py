from __future__ import annotations

from typing import Any

from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from listeners.context import beacon_of
from views.home import home_view


async def handle_app_home_opened(
    event: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    if event.get("tab") != "home":
        return
    beacon = beacon_of(context)
    incidents = await beacon.incidents.list_open()
    view = home_view(incidents, beacon.config, user_id=event["user"], now=beacon.clock.now())
    await client.views_publish(user_id=event["user"], view=view)
