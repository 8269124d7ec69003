from __future__ import annotations

from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from listeners.context import beacon_of
from views.context import DeclareContext
from views.modals.declare import declare_modal, message_prefill


def message_permalink(domain: str | None, channel: str, message: dict[str, Any]) -> str | None:
    """The message's permalink as chat.getPermalink spells it, without asking Slack: the modal
    must open within the trigger's 3 s whatever Slack's other methods are doing."""
    ts = str(message.get("ts") or "")
    if not (domain and ts):
        return None
    link = f"https://{domain}.slack.com/archives/{channel}/p{ts.replace('.', '')}"
    thread_ts = message.get("thread_ts")
    if thread_ts and thread_ts != ts:
        link += f"?thread_ts={thread_ts}&cid={channel}"
    return link


async def handle_declare_from_message(
    ack: AsyncAck, shortcut: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    await ack()
    channel = (shortcut.get("channel") or {}).get("id")
    message = shortcut.get("message") or {}
    ts = shortcut.get("message_ts") or message.get("ts")
    domain = (shortcut.get("team") or {}).get("domain")
    permalink = message_permalink(domain, channel, {**message, "ts": ts}) if channel else None
    ctx = DeclareContext(
        channel_id=channel, source_channel=channel, source_ts=ts, source_permalink=permalink
    )
    prefill = message_prefill(message.get("text") or "")
    view = declare_modal(beacon_of(context).config, context=ctx, **prefill)
    await client.views_open(trigger_id=shortcut["trigger_id"], view=view)
