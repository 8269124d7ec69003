"""Slack installations and OAuth state in Redis, for multi-workspace mode.

Implements slack_sdk's async `InstallationStore` (bots and installers, the latest and by user,
deletion) and `OAuthStateStore`. Tokens are sealed at rest with Fernet when BEACON_SECRET_KEY
is set; a stored value the key cannot open stops start-up (`check_key`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore

from app.store.base import RedisStore

log = logging.getLogger("beacon.installations")

SEALED = "fernet:"
PLAIN = "plain:"
NONE = "-"


class SecretKeyError(ValueError):
    """BEACON_SECRET_KEY is malformed or does not open what is stored."""


def owner_of(enterprise_id: str | None, team_id: str | None, org_wide: bool | None) -> str:
    """Who an installation belongs to: 'E…:T…'; an org-wide install has no team."""
    team = None if org_wide else team_id
    return f"{enterprise_id or NONE}:{team or NONE}"


def split_owner(owner: str) -> tuple[str | None, str | None]:
    enterprise, _, team = owner.partition(":")
    return (None if enterprise == NONE else enterprise), (None if team == NONE else team)


@dataclass(frozen=True)
class Sealer:
    """Seals JSON for Redis: Fernet when a key is given, else marked plain."""

    fernet: Fernet | None = None

    @classmethod
    def from_key(cls, key: str) -> Sealer:
        if not key:
            return cls()
        try:
            return cls(Fernet(key.strip().encode()))
        except (ValueError, TypeError):
            raise SecretKeyError(
                "BEACON_SECRET_KEY is not a Fernet key (32 url-safe base64 bytes): make one with "
                "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key()"
                ".decode())'"
            ) from None

    def seal(self, data: dict[str, Any]) -> str:
        raw = json.dumps(data, separators=(",", ":"))
        if self.fernet is None:
            return PLAIN + raw
        return SEALED + self.fernet.encrypt(raw.encode()).decode()

    def open(self, value: str) -> dict[str, Any]:
        if value.startswith(PLAIN):
            if self.fernet is not None:
                raise SecretKeyError(
                    "installations in Redis were stored without BEACON_SECRET_KEY: unset it, or "
                    "remove and reinstall the workspaces"
                )
            return json.loads(value[len(PLAIN):])
        if self.fernet is None:
            raise SecretKeyError(
                "installations in Redis are encrypted: set BEACON_SECRET_KEY to the key they "
                "were stored with"
            )
        try:
            return json.loads(self.fernet.decrypt(value[len(SEALED):].encode()))
        except InvalidToken:
            raise SecretKeyError(
                "BEACON_SECRET_KEY does not open the installations stored in Redis: set the key "
                "they were stored with"
            ) from None


class InstallationStore(RedisStore, AsyncInstallationStore):
    """Every workspace's bot and installers, keyed by owner (see owner_of)."""

    def __init__(self, *args: Any, sealer: Sealer | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sealer = sealer or Sealer()

    @property
    def logger(self) -> logging.Logger:
        return log

    # --- saving ----------------------------------------------------------------------------

    async def async_save(self, installation: Installation) -> None:
        owner = owner_of(
            installation.enterprise_id, installation.team_id, installation.is_enterprise_install
        )
        bot = installation.to_bot() if installation.bot_token else None
        await self._save(owner, bot, installation, installation.user_id or "")

    async def async_save_bot(self, bot: Bot) -> None:
        owner = owner_of(bot.enterprise_id, bot.team_id, bot.is_enterprise_install)
        await self._save(owner, bot, None, "")

    async def _save(
        self, owner: str, bot: Bot | None, installation: Installation | None, user: str
    ) -> None:
        k = self.keys
        latest = k.installation_latest(owner)
        await self._run(
            "installation_save",
            [
                k.installation_bot(owner),
                latest,
                k.installation_user(owner, user) if user else latest,
                k.installation_users(owner),
                k.installations(),
            ],
            [
                owner,
                self.sealer.seal(vars(bot)) if bot else "",
                self.sealer.seal(vars(installation)) if installation else "",
                user,
                k.installations_changed(),
            ],
        )

    # --- finding ---------------------------------------------------------------------------

    async def _load(self, key: str) -> dict[str, Any] | None:
        raw = await self.redis.get(key)
        return self.sealer.open(raw) if raw else None

    async def async_find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        data = await self._load(
            self.keys.installation_bot(owner_of(enterprise_id, team_id, is_enterprise_install))
        )
        return Bot(**data) if data else None

    async def async_find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        owner = owner_of(enterprise_id, team_id, is_enterprise_install)
        k = self.keys
        key = k.installation_user(owner, user_id) if user_id else k.installation_latest(owner)
        data = await self._load(key)
        if data is None:
            return None
        installation = Installation(**data)
        if user_id:
            # An installer's own record may predate the workspace's current bot: the bot
            # fields always come from the latest bot (as slack_sdk's stores do).
            bot = await self.async_find_bot(
                enterprise_id=enterprise_id,
                team_id=team_id,
                is_enterprise_install=is_enterprise_install,
            )
            if bot is not None:
                for name in ("bot_id", "bot_user_id", "bot_token", "bot_scopes",
                             "bot_refresh_token", "bot_token_expires_at"):
                    setattr(installation, name, getattr(bot, name))
        return installation

    async def remember_served(self, key: str, owner: str, name: str | None) -> None:
        """A workspace is being served (its data exists from now on, under its cell key)."""
        value = json.dumps({"owner": owner, "name": name or ""})
        await self.redis.hset(self.keys.workspaces_served(), key, value)

    async def served(self) -> dict[str, tuple[str, str]]:
        """Every workspace ever served: cell key -> (owner, name). One HGETALL."""
        raw = await self.redis.hgetall(self.keys.workspaces_served())
        found = {key: json.loads(value) for key, value in raw.items()}
        return {key: (str(v.get("owner", "")), str(v.get("name", ""))) for key, v in found.items()}

    async def ping(self) -> None:
        """Raises when Redis does not answer (health in multi-workspace mode)."""
        await self.redis.ping()

    async def owners(self) -> list[str]:
        """Every owner with a bot installation (one SMEMBERS of the index; never a scan)."""
        return sorted(await self.redis.smembers(self.keys.installations()))

    async def check_key(self) -> None:
        """Raise SecretKeyError unless the sealer opens what is stored (start-up)."""
        for owner in (await self.owners())[:1]:
            await self._load(self.keys.installation_bot(owner))

    async def changes(self, subscribed: asyncio.Event) -> AsyncIterator[str]:
        """Every change any instance makes ('+owner' saved, '-owner' removed), as it happens;
        `subscribed` is set once nothing more can be missed."""
        pubsub = self.redis.pubsub()
        try:
            await pubsub.subscribe(self.keys.installations_changed())
            subscribed.set()
            async for message in pubsub.listen():
                if message.get("type") == "message":
                    yield str(message["data"])
        finally:
            with contextlib.suppress(Exception):
                await pubsub.aclose()

    async def close(self) -> None:
        """Close the connection (multi-workspace mode: every cell's stores share it)."""
        await self.redis.aclose()

    # --- deleting --------------------------------------------------------------------------

    async def _delete(self, owner: str, what: str, user_id: str | None) -> None:
        k = self.keys
        await self._run(
            "installation_delete",
            [
                k.installation_bot(owner),
                k.installation_latest(owner),
                k.installation_users(owner),
                k.installations(),
            ],
            [owner, what, user_id or "", k.installation_user_prefix(owner),
             k.installations_changed()],
        )

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        await self._delete(owner_of(enterprise_id, team_id, False), "bot", None)

    async def async_delete_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        await self._delete(owner_of(enterprise_id, team_id, False), "installations", user_id)

    async def async_delete_all(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        await self._delete(owner_of(enterprise_id, team_id, False), "all", None)


class OAuthStateStore(RedisStore, AsyncOAuthStateStore):
    """OAuth `state` values: issued with a TTL, consumed at most once."""

    def __init__(self, *args: Any, expiration_seconds: int = 600, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.expiration_seconds = expiration_seconds

    @property
    def logger(self) -> logging.Logger:
        return log

    async def async_issue(self, *args: Any, **kwargs: Any) -> str:
        state = secrets.token_urlsafe(24)
        await self.redis.set(self.keys.oauth_state(state), "1", ex=self.expiration_seconds)
        return state

    async def async_consume(self, state: str) -> bool:
        if not state:
            return False
        # DEL answers 1 for exactly one caller: a replayed or expired state is refused.
        return bool(await self.redis.delete(self.keys.oauth_state(state)))
