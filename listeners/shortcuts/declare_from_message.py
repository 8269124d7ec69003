from __future__ import annotations

import logging
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from listeners.context import beacon_of
from views.context import DeclareContext
from views.modals.declare import declare_modal, message_prefill

log = logging.getLogger(__name__)


async def handle_declare_from_message(
    ack: AsyncAck, shortcut: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    await ack()
    channel = (shortcut.get("channel") or {}).get("id")
    message = shortcut.get("message") or {}
    ts = shortcut.get("message_ts") or message.get("ts")
    permalink = None
    try:
        if channel and ts:
            link = await client.chat_getPermalink(channel=channel, message_ts=ts)
            permalink = link["permalink"]
    except SlackApiError as exc:
        log.info("no permalink for %s/%s: %s", channel, ts, exc.response["error"])
    ctx = DeclareContext(
        channel_id=channel, source_channel=channel, source_ts=ts, source_permalink=permalink
    )
    prefill = message_prefill(message.get("text") or "")
    view = declare_modal(beacon_of(context).config, context=ctx, **prefill)
    await client.views_open(trigger_id=shortcut["trigger_id"], view=view)
