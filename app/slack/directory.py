"""Who a Slack user is (email for attribution), via users.info, cached in Redis."""

from __future__ import annotations

from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from app.store.cache import CacheStore

PROFILE_TTL_S = 24 * 3600


class UserDirectory:
    def __init__(self, client: AsyncWebClient, store: CacheStore) -> None:
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

    async def user_id(self, ref: str) -> str | None:
        """A Slack user id from config: an id as is, an email through users.lookupByEmail."""
        ref = ref.strip()
        if "@" not in ref:
            return ref
        cache_key = "email:" + ref.lower()
        cached = await self.store.cached_profile(cache_key)
        if cached is not None:
            return cached.get("id")
        try:
            resp = await self.client.users_lookupByEmail(email=ref)
        except SlackApiError as exc:
            if exc.response.get("error") in {"users_not_found", "user_not_found"}:
                return None
            raise
        uid = resp["user"]["id"]
        await self.store.cache_profile(cache_key, {"id": uid}, PROFILE_TTL_S)
        return uid
