"""Every envelope type through a real Bolt AsyncApp over Socket Mode, driven as a user."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from slack_bolt.async_app import AsyncApp

from slack_emulator import DriverError, SlackEmulator


def pt(text: str) -> dict[str, str]:
    return {"type": "plain_text", "text": text}


def incident_modal(callback_id: str = "incident_modal", **kw: Any) -> dict[str, Any]:
    options = [{"text": pt(t), "value": t.lower()} for t in ("Low", "High")]
    return {
        "type": "modal",
        "callback_id": callback_id,
        "title": pt("New incident"),
        "submit": pt("Create"),
        "close": pt("Cancel"),
        "private_metadata": "pm",
        "blocks": [
            {
                "type": "input",
                "block_id": "title_block",
                "label": pt("Title"),
                "element": {"type": "plain_text_input", "action_id": "title_input"},
            },
            {
                "type": "input",
                "block_id": "severity_block",
                "label": pt("Severity"),
                "element": {
                    "type": "static_select",
                    "action_id": "severity_select",
                    "placeholder": pt("Pick"),
                    "options": options,
                },
            },
            {
                "type": "input",
                "block_id": "assignee_block",
                "label": pt("Assignee"),
                "element": {"type": "users_select", "action_id": "assignee_select"},
            },
            {
                "type": "input",
                "block_id": "options_block",
                "label": pt("Options"),
                "optional": True,
                "element": {
                    "type": "checkboxes",
                    "action_id": "options_checkboxes",
                    "options": [{"text": pt("Notify channel"), "value": "notify"}],
                },
            },
            {
                "type": "actions",
                "block_id": "color_block",
                "elements": [
                    {
                        "type": "static_select",
                        "action_id": "color_select",
                        "placeholder": pt("Color"),
                        "options": [{"text": pt("Red"), "value": "red"}],
                    },
                    {"type": "button", "action_id": "help_button", "text": pt("Help")},
                ],
            },
        ],
        **kw,
    }


def approval_blocks() -> list[dict[str, Any]]:
    return [
        {
            "type": "section",
            "block_id": "approval_text",
            "text": {"type": "mrkdwn", "text": "Deploy *v1.2.3*?"},
        },
        {
            "type": "actions",
            "block_id": "approval_actions",
            "elements": [
                {
                    "type": "button",
                    "action_id": "approve_button",
                    "text": pt("Approve"),
                    "value": "deploy-123",
                    "style": "primary",
                },
                {
                    "type": "overflow",
                    "action_id": "more",
                    "options": [{"text": pt("Snooze"), "value": "snooze"}],
                },
            ],
        },
    ]


async def test_slash_command_ack_text_and_response_url(emu: SlackEmulator, app: AsyncApp) -> None:
    @app.command("/incident")
    async def on_command(ack, respond, command):
        await ack(f"Got {command['text']}")
        await respond(text="Later, via response_url")

    gen = emu.channel_by_name("general").id
    alice = emu.user("alice")
    result = await alice.slash_command("/incident", "help", channel=gen)
    assert result.text == "Got help"
    assert result.ack.envelope_type == "slash_commands"
    assert result.ack.payload_type == "/incident" and result.ack.latency_s < 1
    await alice.wait_ephemeral("via response_url", channel=gen)
    # Bolt may send the ack after respond() has already reached the response_url: no order.
    assert {m.text for m in alice.ephemerals(gen)} == {"Got help", "Later, via response_url"}
    sent = emu.envelopes[-1]
    assert sent["accepts_response_payload"] is True and sent["payload"]["user_name"] == "alice"


async def test_unmatched_listener_gives_no_ack(emu: SlackEmulator, app: AsyncApp) -> None:
    payload = {
        "command": "/nobody",
        "text": "",
        "user_id": "UALICE",
        "channel_id": "C1",
        "team_id": emu.team_id,
        "api_app_id": emu.app_id,
    }
    assert await emu.deliver("slash_commands", payload, timeout=0.3) is None
    with pytest.raises(DriverError, match="no ack"):
        await emu.user("alice").global_shortcut("unknown_shortcut")


async def test_block_actions_in_message(emu: SlackEmulator, app: AsyncApp) -> None:
    seen: list[dict[str, Any]] = []

    @app.action("approve_button")
    async def on_approve(ack, body, respond):
        await ack()
        seen.append(body)
        await respond(replace_original=True, text="Approved by <@" + body["user"]["id"] + ">")

    @app.action("more")
    async def on_more(ack, body):
        await ack()
        seen.append(body)

    gen = emu.channel_by_name("general").id
    posted = await app.client.chat_postMessage(
        channel=gen, text="Deploy?", blocks=approval_blocks()
    )
    msg = emu.message(gen, posted["ts"])
    assert msg is not None and msg.buttons() == ["Approve"]
    alice = emu.user("alice")
    await alice.select(msg, "Snooze")
    assert seen[0]["actions"][0]["selected_option"]["value"] == "snooze"
    assert seen[0]["actions"][0]["type"] == "overflow"
    result = await alice.click(msg, "Approve")
    assert result.ack.payload_type == "block_actions"
    body = seen[1]
    assert body["container"] == {
        "type": "message",
        "message_ts": msg.ts,
        "channel_id": gen,
        "is_ephemeral": False,
    }
    assert body["actions"][0]["value"] == "deploy-123"
    assert body["message"]["ts"] == msg.ts and body["channel"]["name"] == "general"
    await emu.wait_for(lambda: "Approved" in msg.text)
    with pytest.raises(DriverError, match=r"no button 'Reject'; buttons are \[\]"):
        await alice.click(msg, "Reject")


async def test_attachment_buttons_and_message_shortcut(emu, app: AsyncApp) -> None:
    @app.action("att_button")
    async def on_click(ack):
        await ack()

    @app.shortcut("create_ticket_from_message")
    async def on_shortcut(ack, shortcut, client):
        await ack()
        await client.chat_postMessage(
            channel=shortcut["channel"]["id"],
            thread_ts=shortcut["message"]["ts"],
            text="ticket made",
        )

    gen = emu.channel_by_name("general").id
    att = {
        "color": "#f00",
        "blocks": [
            {
                "type": "actions",
                "elements": [{"type": "button", "action_id": "att_button", "text": pt("Ack it")}],
            }
        ],
    }
    posted = await app.client.chat_postMessage(channel=gen, text="alert", attachments=[att])
    msg = emu.message(gen, posted["ts"])
    assert msg is not None and msg.buttons() == ["Ack it"]
    await emu.user("bob").click(msg, "Ack it")
    await emu.user("bob").message_shortcut("create_ticket_from_message", gen, msg.ts)
    assert (await emu.wait_message(gen, contains="ticket made", thread_ts=msg.ts)).thread_ts


async def test_modal_flow_with_errors_update_and_close(emu, app: AsyncApp) -> None:
    submissions: list[dict[str, Any]] = []
    closed: list[dict[str, Any]] = []

    @app.shortcut("open_incident_modal")
    async def open_modal(ack, shortcut, client):
        await ack()
        await client.views_open(
            trigger_id=shortcut["trigger_id"], view=incident_modal(notify_on_close=True)
        )

    @app.action("color_select")
    async def on_color(ack, body, client):
        await ack()
        await client.views_update(
            view_id=body["view"]["id"],
            hash=body["view"]["hash"],
            view=incident_modal(notify_on_close=True, private_metadata="red"),
        )

    @app.action("help_button")
    async def on_help(ack, body, client):
        await ack()
        await client.views_push(
            trigger_id=body["trigger_id"],
            view={
                "type": "modal",
                "title": pt("Help"),
                "blocks": [{"type": "section", "text": pt("Read the runbook")}],
            },
        )

    @app.view("incident_modal")
    async def on_submit(ack, view):
        submissions.append(view)
        title = view["state"]["values"]["title_block"]["title_input"]["value"]
        if len(title) < 5:
            await ack(response_action="errors", errors={"title_block": "Too short"})
        else:
            await ack(
                response_action="update",
                view={
                    "type": "modal",
                    "title": pt("Done"),
                    "blocks": [{"type": "section", "text": pt(f"Created {title}")}],
                },
            )

    @app.view_closed("incident_modal")
    async def on_closed(ack, body):
        await ack()
        closed.append(body)

    alice = emu.user("alice")
    await alice.global_shortcut("open_incident_modal")
    view = await emu.wait_for(alice.current_view)
    assert view.title == "New incident"
    with pytest.raises(DriverError, match="no input labelled 'Nope'; labels are"):
        await alice.fill({"Nope": "x"})
    with pytest.raises(DriverError, match="option 'Medium' not found"):
        await alice.fill({"Severity": "Medium"})
    with pytest.raises(DriverError, match="required fields are empty"):
        await alice.submit()

    await alice.select(view, "Red")
    await emu.wait_for(lambda: view.private_metadata == "red")
    await alice.fill(
        {"Title": "db", "Severity": "High", "Assignee": "UBOB", "Options": ["Notify channel"]}
    )
    result = await alice.submit()
    assert result.response_action == "errors"
    assert result.errors == {"title_block": "Too short"}
    assert result.errors_by_label == {"Title": "Too short"}
    values = submissions[0]["state"]["values"]
    assert values["severity_block"]["severity_select"]["selected_option"]["value"] == "high"
    assert values["assignee_block"]["assignee_select"] == {
        "type": "users_select",
        "selected_user": "UBOB",
    }
    assert values["options_block"]["options_checkboxes"]["selected_options"][0]["value"] == (
        "notify"
    )
    assert values["color_block"]["color_select"]["selected_option"]["value"] == "red"
    assert alice.current_view() is view

    await alice.click(view, "Help")
    await emu.wait_for(lambda: len(alice.views) == 2)
    assert await alice.close_view() is None  # pushed help view has no notify_on_close
    assert alice.current_view() is view

    await alice.fill({"Title": "database down"})
    result = await alice.submit()
    assert result.response_action == "update"
    assert "Created database down" in alice.current_view().all_text()

    await alice.close_view()
    assert alice.current_view() is None
    # The updated view no longer has notify_on_close, so no view_closed was sent.
    assert closed == []


async def test_view_closed_push_and_clear(emu: SlackEmulator, app: AsyncApp) -> None:
    @app.command("/incident")
    async def on_command(ack, body, client):
        await ack()
        await client.views_open(
            trigger_id=body["trigger_id"],
            view=incident_modal(callback_id="push_modal", notify_on_close=True),
        )

    @app.view("push_modal")
    async def on_push(ack):
        await ack(
            response_action="push",
            view={
                "type": "modal",
                "callback_id": "confirm",
                "title": pt("Confirm"),
                "submit": pt("Yes"),
                "blocks": [{"type": "section", "text": pt("Sure?")}],
            },
        )

    @app.view("confirm")
    async def on_confirm(ack):
        await ack(response_action="clear")

    @app.view_closed("push_modal")
    async def on_closed(ack):
        await ack()

    alice = emu.user("alice")
    await alice.slash_command("/incident")
    await emu.wait_for(alice.current_view)
    await alice.fill({"Title": "x", "Severity": "Low", "Assignee": "UALICE"})
    assert (await alice.submit()).response_action == "push"
    assert [v.title for v in alice.views] == ["New incident", "Confirm"]
    assert (await alice.submit()).response_action == "clear"
    assert alice.views == []

    await alice.slash_command("/incident")
    await emu.wait_for(alice.current_view)
    ack = await alice.close_view()
    assert ack is not None and ack.payload_type == "view_closed"


async def test_app_home_opened_and_publish(emu: SlackEmulator, app: AsyncApp) -> None:
    @app.event("app_home_opened")
    async def on_home(event, client):
        await client.views_publish(
            user_id=event["user"],
            view={
                "type": "home",
                "blocks": [{"type": "section", "text": pt("Hi " + event["user"])}],
            },
        )

    alice = emu.user("alice")
    ack = await alice.open_app_home()
    assert ack is not None and ack.envelope_type == "events_api"
    assert ack.payload_type == "app_home_opened"
    home = await emu.wait_for(alice.home_view)
    assert "Hi UALICE" in home.all_text()


async def test_events_api_retry_until_acked(emu: SlackEmulator, app: AsyncApp) -> None:
    retries: list[tuple[str, str]] = []

    async def is_retry(request) -> bool:
        return request.headers.get("x-slack-retry-num", ["0"])[0] != "0"

    @app.event("app_home_opened", matchers=[is_retry])
    async def on_retry(request):
        retries.append(
            (request.headers["x-slack-retry-num"][0], request.headers["x-slack-retry-reason"][0])
        )

    emu.ack_timeout = 0.3
    first = await emu.user("alice").open_app_home()
    assert first is None  # no listener matched attempt 0, so bolt did not ack
    ack = await emu.wait_for(
        lambda: next((a for a in emu.acks if a.envelope_type == "events_api"), None)
    )
    sent = {e["envelope_id"]: e for e in emu.envelopes}
    assert sent[ack.envelope_id]["retry_attempt"] == 1
    assert sent[ack.envelope_id]["retry_reason"] == "timeout"
    assert retries == [("1", "timeout")]


async def test_unacked_events_retried_three_times(emu: SlackEmulator, app: AsyncApp) -> None:
    emu.ack_timeout = 0.2
    await emu.user("alice").open_app_home()
    await emu.wait_for(lambda: len(emu.envelopes) == 4)
    assert [e["retry_attempt"] for e in emu.envelopes] == [0, 1, 2, 3]
    await asyncio.sleep(0.3)
    assert len(emu.envelopes) == 4


async def test_forced_redelivery_of_interactive(emu: SlackEmulator, app: AsyncApp) -> None:
    clicks: list[str] = []

    @app.shortcut("open_incident_modal")
    async def on_shortcut(ack, request):
        await ack()
        clicks.append(request.headers.get("x-slack-retry-num", ["0"])[0])

    ack = (await emu.user("alice").global_shortcut("open_incident_modal")).ack
    again = await emu.redeliver(ack.envelope_id)
    assert again is not None and again.envelope_id != ack.envelope_id
    assert clicks == ["0", "1"]


async def test_disconnect_and_reconnect(emu: SlackEmulator, app: AsyncApp) -> None:
    @app.command("/ping")
    async def on_ping(ack):
        await ack("pong")

    opens = len(emu.calls_to("apps.connections.open"))
    await emu.disconnect_all()
    await emu.wait_connected(1, timeout=5)
    assert len(emu.calls_to("apps.connections.open")) == opens + 1
    result = await emu.user("bob").slash_command("/ping")
    assert result.text == "pong"


async def test_round_robin_over_two_connections(emu: SlackEmulator, app: AsyncApp) -> None:
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

    @app.command("/ping")
    async def on_ping(ack):
        await ack("pong")

    second = AsyncSocketModeHandler(app, emu.app_token)
    await second.connect_async()
    try:
        await emu.wait_connected(2)
        for _ in range(4):
            assert (await emu.user("bob").slash_command("/ping")).text == "pong"
    finally:
        await second.close_async()
