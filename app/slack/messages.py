"""Reading one Slack message: its text, author, thread and permalink."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient


@dataclass(frozen=True)
class MessageInfo:
    text: str
    user: str
    permalink: str
    thread_ts: str | None  # the thread's parent when the message is a reply


async def fetch_message(client: AsyncWebClient, channel: str, ts: str) -> MessageInfo:
    # conversations.replies finds a message whether it starts a thread, is in one, or neither.
    resp = await client.conversations_replies(channel=channel, ts=ts, limit=200)
    messages: list[dict[str, Any]] = resp.get("messages") or []
    found = next((m for m in messages if m.get("ts") == ts), {})
    link = await client.chat_getPermalink(channel=channel, message_ts=ts)
    thread = found.get("thread_ts")
    return MessageInfo(
        text=str(found.get("text") or ""),
        user=str(found.get("user") or found.get("bot_id") or ""),
        permalink=str(link.get("permalink") or ""),
        thread_ts=thread if thread and thread != ts else None,
    )
