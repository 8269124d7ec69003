"""Turns configured channel names ('#incidents') into ids, once, via conversations.list."""

from __future__ import annotations

import re

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from app.slack.client import token_refused

_ID = re.compile(r"^[CGD][A-Z0-9]{2,}$")


class ChannelNotFound(Exception):
    def __init__(self, name: str) -> None:
        super().__init__(f"channel {name} not found: create it, or fix the name in the config file")
        self.name = name


class ChannelResolver:
    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client
        self.team = ""  # multi-workspace mode: the workspace's team id, for its log lines
        self._ids: dict[str, str] = {}

    async def _load(self) -> None:
        cursor = None
        while True:
            try:
                resp = await self.client.conversations_list(
                    types="public_channel,private_channel",
                    exclude_archived=True,
                    limit=1000,
                    cursor=cursor,
                )
            except SlackApiError as exc:
                refused = token_refused(exc, self.team)
                if refused is not None:
                    raise refused from exc
                raise
            for ch in resp["channels"]:
                self._ids[ch["name"]] = ch["id"]
            cursor = (resp.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return

    async def resolve(self, ref: str) -> str:
        if _ID.match(ref):
            return ref
        name = ref.lstrip("#")
        if name not in self._ids:
            await self._load()
        if name not in self._ids:
            raise ChannelNotFound(ref)
        return self._ids[name]
