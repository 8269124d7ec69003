from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from listeners.context import beacon_of
from views.context import DeclareContext
from views.modals import declare_modal

log = logging.getLogger(__name__)
_MARKUP = re.compile(r"<([@#!]?)([^>|]+)(?:\|([^>]+))?>")


def plain(text: str) -> str:
    """Slack markup to readable text for a prefilled input: <@U1> -> @U1, <url|x> -> x."""
    return _MARKUP.sub(lambda m: m.group(3) or (m.group(1) + m.group(2)), text).strip()


async def handle_declare_from_message(
    ack: AsyncAck, shortcut: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    await ack()
    channel = (shortcut.get("channel") or {}).get("id")
    message = shortcut.get("message") or {}
    ts = shortcut.get("message_ts") or message.get("ts")
    text = plain(message.get("text") or "")
    permalink = None
    try:
        permalink = (await client.chat_getPermalink(channel=channel, message_ts=ts))["permalink"]
    except SlackApiError as exc:
        log.info("no permalink for %s/%s: %s", channel, ts, exc.response["error"])
    ctx = DeclareContext(
        channel_id=channel, source_channel=channel, source_ts=ts, source_permalink=permalink
    )
    title = text.splitlines()[0] if text else ""
    view = declare_modal(beacon_of(context).config, context=ctx, title=title, description=text)
    await client.views_open(trigger_id=shortcut["trigger_id"], view=view)
