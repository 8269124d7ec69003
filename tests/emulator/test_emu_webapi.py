"""Web API behaviour as seen by the real slack_sdk AsyncWebClient."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from slack_emulator import SlackEmulator


def section(text: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


async def error_of(coro) -> SlackApiError:
    with pytest.raises(SlackApiError) as info:
        await coro
    return info.value


async def test_auth_test_and_scopes_header(emu: SlackEmulator, client: AsyncWebClient) -> None:
    resp = await client.auth_test()
    assert resp["user_id"] == "UBEACONBOT" and resp["bot_id"] == "BBEACON"
    assert resp["team_id"] == "T0BEACON"
    assert "chat:write" in resp.headers["x-oauth-scopes"].split(",")
    assert emu.calls_to("auth.test")[0].token == emu.bot_token


async def test_auth_errors(emu: SlackEmulator) -> None:
    no_token = AsyncWebClient(base_url=emu.base_url)
    assert (await error_of(no_token.auth_test())).response["error"] == "not_authed"
    bad = AsyncWebClient(token="xoxb-nope", base_url=emu.base_url)
    assert (await error_of(bad.auth_test())).response["error"] == "invalid_auth"
    app_client = AsyncWebClient(token=emu.app_token, base_url=emu.base_url)
    err = await error_of(app_client.chat_postMessage(channel="C1", text="x"))
    assert err.response["error"] == "not_allowed_token_type"
    bot = AsyncWebClient(token=emu.bot_token, base_url=emu.base_url)
    err = await error_of(bot.apps_connections_open(app_token=emu.bot_token))
    assert err.response["error"] == "not_allowed_token_type"


async def test_connections_open_single_use_url(emu: SlackEmulator) -> None:
    client = AsyncWebClient(base_url=emu.base_url)
    url = (await client.apps_connections_open(app_token=emu.app_token))["url"]
    assert url.startswith(f"ws://127.0.0.1:{emu.port}/link/?ticket=")
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(url) as ws:
            hello = await ws.receive_json()
            assert hello["type"] == "hello" and hello["num_connections"] == 1
        with pytest.raises(aiohttp.WSServerHandshakeError):
            await session.ws_connect(url)


async def test_ping_echo_and_connection_cap(emu: SlackEmulator) -> None:
    emu.max_connections = 1
    client = AsyncWebClient(base_url=emu.base_url)

    async def url() -> str:
        return (await client.apps_connections_open(app_token=emu.app_token))["url"]

    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(await url(), autoping=False) as ws:
            assert (await ws.receive_json())["type"] == "hello"
            await ws.ping(b"sdk-ping-pong:123.4")
            pong = await ws.receive()
            assert pong.type == aiohttp.WSMsgType.PONG and pong.data == b"sdk-ping-pong:123.4"
            async with session.ws_connect(await url()) as extra:
                frame = await extra.receive_json()
                assert frame["type"] == "disconnect"
                assert frame["reason"] == "too_many_websockets"


async def test_ratelimited_and_injected_failures(emu: SlackEmulator, client) -> None:
    emu.rate_limit("chat.postMessage", times=1, retry_after=7)
    gen = emu.channel_by_name("general").id
    err = await error_of(client.chat_postMessage(channel=gen, text="hi"))
    assert err.response.status_code == 429
    assert err.response["error"] == "ratelimited"
    assert err.response.headers["Retry-After"] == "7"
    assert (await client.chat_postMessage(channel=gen, text="hi"))["ok"]
    emu.fail_method("conversations.info", status=500, times=1)
    err = await error_of(client.conversations_info(channel=gen))
    assert err.response.status_code == 500
    emu.fail_method("conversations.info", error="fatal_error", status=200)
    assert (await error_of(client.conversations_info(channel=gen))).response["error"] == (
        "fatal_error"
    )


async def test_missing_scope(emu: SlackEmulator) -> None:
    emu.scopes = ["chat:write"]
    client = AsyncWebClient(token=emu.bot_token, base_url=emu.base_url)
    err = await error_of(client.users_info(user="UALICE"))
    assert err.response.data == {
        "ok": False,
        "error": "missing_scope",
        "needed": "users:read",
        "provided": "chat:write",
    }


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
async def test_post_message_rules(emu: SlackEmulator, client: AsyncWebClient) -> None:
    gen = emu.channel_by_name("general").id
    assert (await error_of(client.chat_postMessage(channel=gen))).response["error"] == "no_text"
    err = await error_of(client.chat_postMessage(channel="CNOPE", text="x"))
    assert err.response["error"] == "channel_not_found"
    secret = emu.add_channel("secret", is_private=True, bot_is_member=False)
    err = await error_of(client.chat_postMessage(channel=secret, text="x"))
    assert err.response["error"] == "channel_not_found"
    outside = emu.add_channel("outside", bot_is_member=False)
    assert (await client.chat_postMessage(channel=outside, text="public ok"))["ok"]
    emu.scopes.remove("chat:write.public")
    err = await error_of(client.chat_postMessage(channel=outside, text="x"))
    assert err.response["error"] == "not_in_channel"
    emu.channels[gen].is_archived = True
    assert (await error_of(client.chat_postMessage(channel=gen, text="x"))).response[
        "error"
    ] == "is_archived"
    resp = await client.chat_postMessage(channel="UALICE", text="x" * 40_001)
    assert resp["channel"].startswith("D") and len(resp["message"]["text"]) == 40_000
    assert emu.dms("alice")[0].ts == resp["ts"]


async def test_block_limits_over_the_wire(emu: SlackEmulator, client: AsyncWebClient) -> None:
    gen = emu.channel_by_name("general").id
    assert (await client.chat_postMessage(channel=gen, text="t", blocks=[section("b")] * 50))["ok"]
    err = await error_of(client.chat_postMessage(channel=gen, text="t", blocks=[section("b")] * 51))
    assert err.response.data == {
        "ok": False,
        "error": "invalid_blocks",
        "errors": ["no more than 50 items allowed [json-pointer:/blocks]"],
        "response_metadata": {
            "messages": ["[ERROR] no more than 50 items allowed [json-pointer:/blocks]"]
        },
    }
    header = {"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}
    err = await error_of(client.chat_postMessage(channel=gen, text="t", blocks=[header]))
    assert "[json-pointer:/blocks/0/text/text]" in err.response["errors"][-1]
    # Form-encoded with JSON-string blocks is accepted too (curl / other SDKs).
    resp = await client.api_call(
        "chat.postMessage", data={"channel": gen, "blocks": '[{"type": "divider"}]', "text": "form"}
    )
    assert resp["message"]["blocks"] == [{"type": "divider"}]


async def test_thread_update_history_replies_metadata(emu, client: AsyncWebClient) -> None:
    gen = emu.channel_by_name("general").id
    meta = {"event_type": "incident_created", "event_payload": {"id": "INC-1"}}
    parent = await client.chat_postMessage(channel=gen, text="parent", metadata=meta)
    reply = await client.chat_postMessage(channel=gen, text="reply", thread_ts=parent["ts"])
    await client.chat_postMessage(
        channel=gen, text="bcast", thread_ts=parent["ts"], reply_broadcast=True
    )
    await client.chat_postMessage(
        channel=gen, text="later", attachments=[{"color": "#f00", "blocks": [section("att")]}]
    )
    err = await error_of(client.chat_postMessage(channel=gen, text="x", thread_ts="1.2"))
    assert err.response["error"] == "thread_not_found"
    upd = await client.chat_update(channel=gen, ts=parent["ts"], text="parent v2")
    assert upd["message"]["edited"]["user"] == "BBEACON"
    assert (await error_of(client.chat_update(channel=gen, ts="1.1", text="x"))).response[
        "error"
    ] == "message_not_found"

    hist = await client.conversations_history(channel=gen, include_all_metadata=True)
    texts = [m["text"] for m in hist["messages"]]
    assert texts == ["later", "bcast", "parent v2"]
    assert hist["messages"][-1]["metadata"] == meta
    assert "metadata" not in (await client.conversations_history(channel=gen))["messages"][-1]
    limited = await client.conversations_history(channel=gen, limit=1)
    assert limited["has_more"] and len(limited["messages"]) == 1

    replies = await client.conversations_replies(
        channel=gen, ts=parent["ts"], include_all_metadata=True
    )
    assert [m["text"] for m in replies["messages"]] == ["parent v2", "reply", "bcast"]
    assert replies["messages"][0]["reply_count"] == 2
    assert replies["messages"][0]["metadata"]["event_type"] == "incident_created"

    link = await client.chat_getPermalink(channel=gen, message_ts=reply["ts"])
    base = f"https://beacon-test.slack.com/archives/{gen}/p{reply['ts'].replace('.', '')}"
    assert link["permalink"] == f"{base}?thread_ts={parent['ts']}&cid={gen}"
    calls = emu.calls_to("chat.getPermalink")
    assert calls and calls[0].args["message_ts"] == reply["ts"]

    msg = emu.message(gen, parent["ts"])
    assert msg is not None and msg.edited and msg.text == "parent v2"
    assert [m.text for m in emu.thread(gen, parent["ts"])] == ["reply", "bcast"]
    assert "att" in emu.messages(gen)[-1].all_text()


async def test_ephemeral_and_response_url(emu: SlackEmulator, client: AsyncWebClient) -> None:
    gen = emu.channel_by_name("general").id
    err = await error_of(client.chat_postEphemeral(channel=gen, user="UCAROL", text="x"))
    assert err.response["error"] == "user_not_in_channel"
    await client.chat_postEphemeral(channel=gen, user="UALICE", text="only you")
    alice = emu.user("alice")
    assert [m.text for m in alice.ephemerals(gen)] == ["only you"]

    url = emu.new_response_url("UALICE", gen, None)
    hook = AsyncWebhookClient(url)
    assert (await hook.send(text="via url")).status_code == 200
    await alice.wait_ephemeral("via url", channel=gen)
    await hook.send(text="for all", response_type="in_channel")
    await emu.wait_message(gen, contains="for all")
    bad = await hook.send(text="t", blocks=[section("x")] * 51)
    assert bad.status_code == 400 and bad.body == "invalid_blocks"
    for _ in range(2):
        await hook.send(text="more")
    assert (await hook.send(text="sixth")).status_code == 404


async def test_channel_naming_and_admin(emu: SlackEmulator, client: AsyncWebClient) -> None:
    for name, error in [
        ("", "invalid_name_required"),
        ("a" * 81, "invalid_name_maxlength"),
        ("Incident", "invalid_name_specials"),
        ("inc 1", "invalid_name_specials"),
        ("---", "invalid_name_punctuation"),
        ("general", "name_taken"),
    ]:
        err = await error_of(client.conversations_create(name=name))
        assert err.response["error"] == error, name
    created = await client.conversations_create(name="inc-42_" + "a" * 73, is_private=True)
    cid = created["channel"]["id"]
    assert created["channel"]["is_private"] and created["channel"]["creator"] == "UBEACONBOT"
    await client.conversations_invite(channel=cid, users=["UALICE", "UBOB"])
    for users, error in [
        ("UALICE", "already_in_channel"),
        ("UNOBODY", "user_not_found"),
        ("UBEACONBOT", "cant_invite_self"),
    ]:
        err = await error_of(client.conversations_invite(channel=cid, users=users))
        assert err.response["error"] == error
    await client.conversations_setTopic(channel=cid, topic="SEV1")
    await client.conversations_setPurpose(channel=cid, purpose="fix it")
    info = await client.conversations_info(channel=cid, include_num_members=True)
    assert info["channel"]["topic"]["value"] == "SEV1" and info["channel"]["num_members"] == 3
    members = await client.conversations_members(channel=cid)
    assert set(members["members"]) == {"UALICE", "UBOB", "UBEACONBOT"}
    err = await error_of(client.conversations_join(channel=cid))
    assert err.response["error"] == "method_not_supported_for_channel_type"
    outside = emu.add_channel("outside", bot_is_member=False)
    err = await error_of(client.conversations_invite(channel=outside, users="UALICE"))
    assert err.response["error"] == "not_in_channel"
    assert (await client.conversations_join(channel=outside))["channel"]["is_member"]
    await client.conversations_archive(channel=cid)
    err = await error_of(client.conversations_archive(channel=cid))
    assert err.response["error"] == "already_archived"
    dm = await client.conversations_open(users="UBOB")
    assert dm["channel"]["id"] == emu.dm_channel("UBOB").id


async def test_users_bookmarks_reactions_pins(emu: SlackEmulator, client) -> None:
    alice = await client.users_info(user="UALICE")
    assert alice["user"]["profile"]["email"] == "alice@example.com"
    assert "email" not in (await client.users_info(user="UCAROL"))["user"]["profile"]
    assert (await error_of(client.users_info(user="UX"))).response["error"] == "user_not_found"
    assert (await client.users_lookupByEmail(email="bob@example.com"))["user"]["id"] == "UBOB"
    err = await error_of(client.users_lookupByEmail(email="x@example.com"))
    assert err.response["error"] == "users_not_found"
    emu.scopes.remove("users:read.email")
    assert "email" not in (await client.users_info(user="UALICE"))["user"]["profile"]

    gen = emu.channel_by_name("general").id
    await client.bookmarks_add(
        channel_id=gen, title="Runbook", type="link", link="https://example.com/rb"
    )
    assert (await client.bookmarks_list(channel_id=gen))["bookmarks"][0]["title"] == "Runbook"
    ts = (await client.chat_postMessage(channel=gen, text="x"))["ts"]
    await client.reactions_add(channel=gen, timestamp=ts, name="eyes")
    err = await error_of(client.reactions_add(channel=gen, timestamp=ts, name="eyes"))
    assert err.response["error"] == "already_reacted"
    await client.pins_add(channel=gen, timestamp=ts)
    assert emu.channels[gen].pins == [ts]


async def test_views_open_push_update(emu: SlackEmulator, client: AsyncWebClient) -> None:
    def modal(title: str, **kw) -> dict:
        return {
            "type": "modal",
            "title": {"type": "plain_text", "text": title},
            "blocks": [section(title)],
            **kw,
        }

    trigger = emu.issue_trigger("UALICE")
    opened = await client.views_open(trigger_id=trigger, view=modal("Root", external_id="r"))
    view = opened["view"]
    assert view["id"].startswith("V") and view["root_view_id"] == view["id"]
    assert view["state"] == {"values": {}} and view["hash"]
    err = await error_of(client.views_open(trigger_id=trigger, view=modal("Again")))
    assert err.response["error"] == "exchanged_trigger_id"
    err = await error_of(client.views_open(trigger_id="nope", view=modal("x")))
    assert err.response["error"] == "invalid_trigger_id"
    err = await error_of(
        client.views_open(trigger_id=emu.issue_trigger("UALICE"), view=modal("t" * 25))
    )
    assert err.response["error"] == "invalid_arguments"
    assert "[json-pointer:/view/title/text]" in err.response["response_metadata"]["messages"][-1]

    for title in ("Two", "Three"):
        pushed = await client.views_push(trigger_id=emu.issue_trigger("UALICE"), view=modal(title))
        assert pushed["view"]["root_view_id"] == view["id"]
    err = await error_of(
        client.views_push(trigger_id=emu.issue_trigger("UALICE"), view=modal("Four"))
    )
    assert err.response["error"] == "push_limit_reached"
    alice = emu.user("alice")
    assert [v.title for v in alice.views] == ["Root", "Two", "Three"]

    updated = await client.views_update(view_id=view["id"], hash=view["hash"], view=modal("R2"))
    assert updated["view"]["id"] == view["id"] and updated["view"]["hash"] != view["hash"]
    err = await error_of(
        client.views_update(view_id=view["id"], hash=view["hash"], view=modal("R3"))
    )
    assert err.response["error"] == "hash_conflict"
    assert (await client.views_update(external_id="r", view=modal("R4")))["ok"]
    err = await error_of(client.views_update(view_id="VNOPE", view=modal("x")))
    assert err.response["error"] == "not_found"

    home = {"type": "home", "blocks": [section("Welcome")]}
    published = await client.views_publish(user_id="UALICE", view=home)
    assert published["view"]["type"] == "home"
    assert alice.home_view() is not None and "Welcome" in alice.home_view().all_text()


async def test_expired_trigger(emu: SlackEmulator, client: AsyncWebClient) -> None:
    emu.trigger_ttl = 0.2
    trigger = emu.issue_trigger("UALICE")
    await asyncio.sleep(0.3)
    view = {"type": "modal", "title": {"type": "plain_text", "text": "x"}, "blocks": []}
    err = await error_of(client.views_open(trigger_id=trigger, view=view))
    assert err.response.data == {"ok": False, "error": "expired_trigger_id"}


async def test_ts_strictly_increasing(emu: SlackEmulator) -> None:
    stamps = [emu.next_ts() for _ in range(200)]
    assert stamps == sorted(stamps, key=float) and len(set(stamps)) == 200
