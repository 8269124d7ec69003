"""The Redis installation and OAuth state stores on a real redis-server."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from redis.asyncio import Redis
from slack_sdk.oauth.installation_store.models.installation import Installation

from app.store.installations import (
    InstallationStore,
    OAuthStateStore,
    Sealer,
    SecretKeyError,
    owner_of,
)
from app.store.keys import Keys


def install(team: str, user: str, token: str, enterprise: str | None = None,
            org_wide: bool = False) -> Installation:
    return Installation(
        app_id="A1",
        enterprise_id=enterprise,
        team_id=None if org_wide else team,
        team_name=f"Team {team}",
        bot_token=token,
        bot_id=f"B{team}",
        bot_user_id=f"U{team}BOT",
        bot_scopes="chat:write,commands",
        user_id=user,
        user_token=f"xoxp-{user}",
        user_scopes="identify",
        is_enterprise_install=org_wide,
    )


def store(redis: Redis, key: str = "") -> InstallationStore:
    return InstallationStore(redis, Keys(), sealer=Sealer.from_key(key))


async def test_save_and_find_bot_latest_and_by_user(redis: Redis) -> None:
    s = store(redis)
    await s.async_save(install("T1", "UADMIN", "xoxb-1"))
    await s.async_save(install("T1", "UOTHER", "xoxb-2"))  # reinstalled by someone else
    bot = await s.async_find_bot(enterprise_id=None, team_id="T1")
    assert bot is not None and bot.bot_token == "xoxb-2" and bot.bot_user_id == "UT1BOT"
    latest = await s.async_find_installation(enterprise_id=None, team_id="T1")
    assert latest is not None and latest.user_id == "UOTHER"
    first = await s.async_find_installation(enterprise_id=None, team_id="T1", user_id="UADMIN")
    # The installer's own record, with the workspace's current bot token.
    assert first is not None and first.user_token == "xoxp-UADMIN"
    assert first.bot_token == "xoxb-2"
    assert await s.async_find_bot(enterprise_id=None, team_id="T2") is None
    assert await s.owners() == ["-:T1"]


async def test_org_wide_install_serves_every_team_of_the_org(redis: Redis) -> None:
    s = store(redis)
    await s.async_save(install("T9", "UADMIN", "xoxb-org", enterprise="E1", org_wide=True))
    for team in ("TA", "TB", None):
        bot = await s.async_find_bot(
            enterprise_id="E1", team_id=team, is_enterprise_install=True
        )
        assert bot is not None and bot.bot_token == "xoxb-org"
    # Not org-wide: a team of the org that installed nothing has no bot of its own.
    assert await s.async_find_bot(enterprise_id="E1", team_id="TA") is None
    assert await s.owners() == ["E1:-"]


async def test_deletion_bot_installer_and_all(redis: Redis) -> None:
    s = store(redis)
    await s.async_save(install("T1", "UADMIN", "xoxb-1"))
    await s.async_save(install("T1", "UOTHER", "xoxb-1"))
    await s.async_delete_installation(enterprise_id=None, team_id="T1", user_id="UADMIN")
    assert await s.async_find_installation(
        enterprise_id=None, team_id="T1", user_id="UADMIN"
    ) is None
    assert await s.async_find_installation(enterprise_id=None, team_id="T1", user_id="UOTHER")
    await s.async_delete_bot(enterprise_id=None, team_id="T1")
    assert await s.async_find_bot(enterprise_id=None, team_id="T1") is None
    assert await s.owners() == []
    await s.async_save(install("T1", "UADMIN", "xoxb-3"))
    await s.async_delete_all(enterprise_id=None, team_id="T1")
    assert await s.async_find_installation(enterprise_id=None, team_id="T1") is None
    assert await s.async_find_bot(enterprise_id=None, team_id="T1") is None
    assert await redis.keys("*installation*") == []  # nothing left behind


async def test_changes_are_published(redis: Redis) -> None:
    s = store(redis)
    pubsub = redis.pubsub()
    await pubsub.subscribe(Keys().installations_changed())
    await pubsub.get_message(timeout=1)  # the subscribe confirmation
    await s.async_save(install("T1", "UADMIN", "xoxb-1"))
    await s.async_delete_all(enterprise_id=None, team_id="T1")
    seen = []
    for _ in range(2):
        message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1)
        assert message is not None
        seen.append(message["data"])
    assert seen == ["+-:T1", "--:T1"]
    await pubsub.aclose()


async def test_tokens_are_encrypted_at_rest_and_a_wrong_key_is_refused(redis: Redis) -> None:
    key = Fernet.generate_key().decode()
    s = store(redis, key)
    await s.async_save(install("T1", "UADMIN", "xoxb-secret"))
    keys = await redis.keys("*installation:*string")
    assert len(keys) == 3  # bot, latest, the installer's
    raw = " ".join([str(await redis.get(k)) for k in keys])
    assert "xoxb-secret" not in raw and "xoxp-UADMIN" not in raw
    assert (await s.async_find_bot(enterprise_id=None, team_id="T1")).bot_token == "xoxb-secret"
    await s.check_key()
    with pytest.raises(SecretKeyError, match="does not open"):
        await store(redis, Fernet.generate_key().decode()).check_key()
    with pytest.raises(SecretKeyError, match="set BEACON_SECRET_KEY"):
        await store(redis).check_key()
    with pytest.raises(SecretKeyError, match="not a Fernet key"):
        Sealer.from_key("not-a-key")


async def test_plain_installations_refuse_a_key_set_later(redis: Redis) -> None:
    await store(redis).async_save(install("T1", "UADMIN", "xoxb-1"))
    with pytest.raises(SecretKeyError, match="without BEACON_SECRET_KEY"):
        await store(redis, Fernet.generate_key().decode()).check_key()


async def test_state_is_consumed_once_and_expires(redis: Redis) -> None:
    states = OAuthStateStore(redis, Keys(), expiration_seconds=600)
    state = await states.async_issue()
    assert await redis.ttl(Keys().oauth_state(state)) > 500
    assert await states.async_consume(state) is True
    assert await states.async_consume(state) is False  # replayed
    assert await states.async_consume("made-up") is False
    assert await states.async_consume("") is False


def test_owner_ids() -> None:
    assert owner_of(None, "T1", False) == "-:T1"
    assert owner_of("E1", "T1", True) == "E1:-"
    assert owner_of("E1", "T1", None) == "E1:T1"
