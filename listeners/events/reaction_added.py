"""A 📌 reaction (`timeline_emoji`) in an incident channel adds the message to the timeline."""

from __future__ import annotations

from functools import partial
from typing import Any

from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from app.domain.incident_record import MessageReaction
from app.slack.messages import fetch_message
from listeners.context import beacon_of


async def handle_reaction_added(
    event: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    item = event.get("item") or {}
    if item.get("type") != "message":
        return  # a reaction to a file: nothing to pin
    reaction = MessageReaction(
        emoji=event.get("reaction") or "",
        channel=item.get("channel") or "",
        ts=item.get("ts") or "",
        actor=event.get("user", ""),
        author=event.get("item_user"),
    )
    # The message is read with this request's client, and only when it is to be pinned.
    await beacon_of(context).record.pin_reaction(reaction, partial(fetch_message, client))
