"""A 📌 reaction (`timeline_emoji`) in an incident channel adds the message to the timeline."""

from __future__ import annotations

from typing import Any

from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from app.slack.messages import fetch_message
from listeners.context import beacon_of


async def handle_reaction_added(
    event: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    beacon = beacon_of(context)
    item = event.get("item") or {}
    if event.get("reaction") != beacon.config.timeline_emoji or item.get("type") != "message":
        return
    record = beacon.record
    incident_id = await record.incident_for_channel(item.get("channel"))
    if incident_id is None:
        return  # not an incident channel
    message = await fetch_message(client, item["channel"], item["ts"])
    await record.pin_message(
        incident_id,
        event.get("user", ""),
        channel=item["channel"],
        ts=item["ts"],
        author=event.get("item_user") or message.user,
        text=message.text,
        permalink=message.permalink,
        thread_ts=message.thread_ts or "",
    )
