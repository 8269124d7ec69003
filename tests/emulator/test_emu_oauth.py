"""Several teams and installing by OAuth v2, through the real slack_sdk client and a browser-like
HTTP client (no browser)."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from slack_emulator import SlackEmulator

REDIRECT = "http://127.0.0.1:9/slack/oauth_redirect"


async def authorize(emu: SlackEmulator, team: str, **extra: str) -> dict[str, list[str]]:
    """Open the authorize page, click Allow for `team`; the query Slack redirects back with."""
    origin = emu.base_url.removesuffix("/api/")
    query = {"client_id": emu.oauth.client_id, "scope": "chat:write,commands,channels:read",
             "state": "s1", "redirect_uri": REDIRECT, **extra}
    async with aiohttp.ClientSession() as browser:
        async with browser.get(f"{origin}/oauth/v2/authorize", params=query) as page:
            assert page.status == 200
            html = await page.text()
        href = re.search(rf'id="allow-{team}" href="([^"]+)"', html)
        assert href is not None, html
        link = href.group(1).replace("&amp;", "&")
        async with browser.get(origin + link, allow_redirects=False) as back:
            assert back.status == 302
            location = back.headers["Location"]
    assert location.startswith(REDIRECT + "?")
    return parse_qs(urlparse(location).query)


@pytest.fixture
async def emu() -> SlackEmulator:  # type: ignore[misc]
    async with SlackEmulator() as emulator:
        emulator.add_user("UALICE", "alice", "Alice Example")
        b = emulator.add_team("T0B", "Team B")
        b.add_user("UBERT", "bert", "Bert B")
        b.add_channel("b-incidents", members=["UBERT"])
        yield emulator


async def test_install_a_second_team_by_oauth(emu: SlackEmulator) -> None:
    back = await authorize(emu, "T0B")
    assert back["state"] == ["s1"]
    code = back["code"][0]
    anon = AsyncWebClient(base_url=emu.base_url)
    resp = await anon.oauth_v2_access(
        client_id=emu.oauth.client_id, client_secret=emu.oauth.client_secret,
        code=code, redirect_uri=REDIRECT,
    )
    assert resp["team"] == {"id": "T0B", "name": "Team B"}
    assert resp["authed_user"]["id"] == "UBERT"
    assert resp["scope"] == "chat:write,commands,channels:read"
    token = resp["access_token"]
    b = AsyncWebClient(token=token, base_url=emu.base_url)
    who = await b.auth_test()
    assert who["team_id"] == "T0B"
    assert who.headers["x-oauth-scopes"] == "chat:write,commands,channels:read"  # B's grant
    # Each token sees its own team only.
    names = [c["name"] for c in (await b.conversations_list())["channels"]]
    assert names == ["b-incidents"]
    a = AsyncWebClient(token=emu.bot_token, base_url=emu.base_url)
    assert (await a.auth_test())["team_id"] == "T0BEACON"
    # A code works once.
    with pytest.raises(SlackApiError) as replay:
        await anon.oauth_v2_access(
            client_id=emu.oauth.client_id, client_secret=emu.oauth.client_secret,
            code=code, redirect_uri=REDIRECT,
        )
    assert replay.value.response["error"] == "invalid_code"


async def test_oauth_refusals(emu: SlackEmulator) -> None:
    anon = AsyncWebClient(base_url=emu.base_url)
    code = (await authorize(emu, "T0B"))["code"][0]
    cases = [
        ({"client_secret": "wrong"}, "bad_client_secret"),
        ({"client_id": "9.9"}, "invalid_client_id"),
        ({"redirect_uri": "http://elsewhere/"}, "bad_redirect_uri"),
    ]
    for change, error in cases:
        args = {"client_id": emu.oauth.client_id, "client_secret": emu.oauth.client_secret,
                "code": code, "redirect_uri": REDIRECT, **change}
        with pytest.raises(SlackApiError) as info:
            await anon.oauth_v2_access(**args)
        assert info.value.response["error"] == error
    origin = emu.base_url.removesuffix("/api/")
    async with aiohttp.ClientSession() as browser:
        async with browser.get(f"{origin}/oauth/v2/authorize",
                               params={"client_id": "nope", "scope": "x"}) as page:
            assert page.status == 400 and "invalid_client_id" in await page.text()


async def test_uninstall_revokes_the_token_and_reinstall_issues_a_new_one(
    emu: SlackEmulator,
) -> None:
    b_ws = emu.team("T0B")
    emu.oauth.install(b_ws, ["chat:write"])
    old = b_ws.bot_token
    b_ws.installed = False  # no Socket Mode client here: revoke without the events
    b_ws.revoked_tokens.add(old)
    with pytest.raises(SlackApiError) as info:
        await AsyncWebClient(token=old, base_url=emu.base_url).auth_test()
    assert info.value.response["error"] == "token_revoked"
    emu.oauth.install(b_ws, ["chat:write"])
    assert b_ws.bot_token != old
    assert (await AsyncWebClient(token=b_ws.bot_token, base_url=emu.base_url).auth_test())["ok"]


async def test_an_uninstalled_team_has_no_working_token(emu: SlackEmulator) -> None:
    with pytest.raises(SlackApiError) as info:
        await AsyncWebClient(token=emu.team("T0B").bot_token, base_url=emu.base_url).auth_test()
    assert info.value.response["error"] == "invalid_auth"


async def test_ids_never_repeat_across_teams(emu: SlackEmulator) -> None:
    a = emu.add_channel("a-chan")
    b = emu.team("T0B").add_channel("b-chan")
    assert a != b
