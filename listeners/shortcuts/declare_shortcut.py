from __future__ import annotations

from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from listeners.context import beacon_of
from views.context import DeclareContext
from views.modals.declare import declare_modal


async def handle_declare_shortcut(
    ack: AsyncAck, shortcut: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    await ack()
    view = declare_modal(beacon_of(context).config, context=DeclareContext())
    await client.views_open(trigger_id=shortcut["trigger_id"], view=view)
