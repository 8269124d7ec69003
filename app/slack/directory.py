"""Who a Slack user is (email for attribution), via users.info, cached in Redis."""

from __future__ import annotations

from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from app.store import IncidentStore

PROFILE_TTL_S = 24 * 3600


class UserDirectory:
    def __init__(self, client: AsyncWebClient, store: IncidentStore) -> None:
        self.client = client
        self.store = store

    async def profile(self, user_id: str) -> dict[str, Any]:
        cached = await self.store.cached_profile(user_id)
        if cached is not None:
            return cached
        try:
            resp = await self.client.users_info(user=user_id)
        except SlackApiError as exc:
            if exc.response.get("error") in {"user_not_found", "missing_scope"}:
                return {"id": user_id, "email": None, "deleted": False, "known": False}
            raise
        user = resp["user"]
        profile = {
            "id": user_id,
            "email": (user.get("profile") or {}).get("email"),
            "name": user.get("real_name") or user.get("name"),
            "deleted": bool(user.get("deleted")),
            "known": True,
        }
        await self.store.cache_profile(user_id, profile, PROFILE_TTL_S)
        return profile

    async def email(self, user_id: str) -> str | None:
        if not user_id or user_id == "beacon":
            return None
        return (await self.profile(user_id)).get("email")
