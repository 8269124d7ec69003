"""Block Kit as Slack checks it: every limit at its boundary, every rule next to its valid
neighbour, and every surface (chat.*, views.*, response_url, Socket Mode ack bodies) answering a
broken payload with Slack's error."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from slack_emulator import SlackEmulator
from slack_emulator.blockkit import validate_ack, validate_message, validate_metadata, validate_view
from slack_emulator.driver import DriverError


def pt(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def section(text: str = "hi", **kw: Any) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}, **kw}


def button(text: str = "Go", **kw: Any) -> dict[str, Any]:
    return {"type": "button", "text": pt(text), "action_id": "a", **kw}


def actions(*elements: dict[str, Any]) -> dict[str, Any]:
    return {"type": "actions", "elements": list(elements)}


def select(n_options: int = 2, text: str = "o", value: str = "v") -> dict[str, Any]:
    opts = [
        {"text": pt(text), "value": f"{value}{i}"[: len(value)] or "v"} for i in range(n_options)
    ]
    return {"type": "static_select", "action_id": "s", "placeholder": pt("Pick"), "options": opts}


def modal(**kw: Any) -> dict[str, Any]:
    return {"type": "modal", "title": pt("Title"), "blocks": [section()], **kw}


def test_message_block_count_boundary() -> None:
    assert validate_message([section()] * 50) == []
    assert validate_message([section()] * 51) == [
        "no more than 50 items allowed [json-pointer:/blocks]"
    ]


def test_attachment_blocks_counted_separately() -> None:
    att = {"color": "#f00", "blocks": [section()] * 50}
    assert validate_message([section()], [att]) == []
    errors = validate_message([], [{"blocks": [section()] * 51}])
    assert errors == ["no more than 50 items allowed [json-pointer:/attachments/0/blocks]"]


def test_section_text_3000_matches_real_error_shape() -> None:
    assert validate_message([section("x" * 3000)]) == []
    assert validate_message([section("x" * 3001)]) == [
        "failed to match all allowed schemas [json-pointer:/blocks/0/text]",
        "must be less than 3001 characters [json-pointer:/blocks/0/text/text]",
    ]


def test_section_fields() -> None:
    ok = {"type": "section", "fields": [pt("f")] * 10}
    assert validate_message([ok]) == []
    too_many = validate_message([{**ok, "fields": [pt("f")] * 11}])
    assert "no more than 10 items allowed" in too_many[0]
    assert validate_message([{"type": "section", "fields": [pt("x" * 2000)]}]) == []
    assert validate_message([{"type": "section", "fields": [pt("x" * 2001)]}])


@pytest.mark.parametrize(
    ("block", "ok_len", "pointer"),
    [
        (lambda n: {"type": "header", "text": pt("h" * n)}, 150, "/blocks/0/text/text"),
        (lambda n: actions(button("b" * n)), 75, "/blocks/0/elements/0/text/text"),
        (
            lambda n: {
                "type": "input",
                "label": pt("l" * n),
                "element": {"type": "plain_text_input", "action_id": "x"},
            },
            2000,
            "/blocks/0/label/text",
        ),
        (
            lambda n: actions({**select(), "placeholder": pt("p" * n)}),
            150,
            "/blocks/0/elements/0/placeholder/text",
        ),
        (lambda n: actions(select(text="o" * n)), 75, "/blocks/0/elements/0/options/0/text/text"),
    ],
)
def test_text_limits(block: Any, ok_len: int, pointer: str) -> None:
    assert validate_message([block(ok_len)]) == []
    errors = validate_message([block(ok_len + 1)])
    assert f"must be less than {ok_len + 1} characters [json-pointer:{pointer}]" in errors


@pytest.mark.parametrize(
    ("make", "limit", "pointer"),
    [
        (lambda n: actions(button(value="v" * n)), 2000, "/blocks/0/elements/0/value"),
        (
            lambda n: actions(button(url="https://x/" + "u" * (n - 10))),
            3000,
            "/blocks/0/elements/0/url",
        ),
        (
            lambda n: actions({**button(), "action_id": "a" * n}),
            255,
            "/blocks/0/elements/0/action_id",
        ),
        (lambda n: section(block_id="b" * n), 255, "/blocks/0/block_id"),
        (
            lambda n: actions({**select(1), "options": [{"text": pt("o"), "value": "v" * n}]}),
            150,
            "/blocks/0/elements/0/options/0/value",
        ),
    ],
)
def test_string_limits(make: Any, limit: int, pointer: str) -> None:
    assert validate_message([make(limit)]) == []
    assert validate_message([make(limit + 1)]) == [
        f"must be less than {limit + 1} characters [json-pointer:{pointer}]"
    ]


@pytest.mark.parametrize(
    ("make", "limit", "pointer"),
    [
        (
            lambda n: actions(*[button(action_id=f"a{i}") for i in range(n)]),
            25,
            "/blocks/0/elements",
        ),
        (lambda n: {"type": "context", "elements": [pt("c")] * n}, 10, "/blocks/0/elements"),
        (lambda n: actions(select(n)), 100, "/blocks/0/elements/0/options"),
    ],
)
def test_item_limits(make: Any, limit: int, pointer: str) -> None:
    assert validate_message([make(limit)]) == []
    assert f"no more than {limit} items allowed [json-pointer:{pointer}]" in validate_message(
        [make(limit + 1)]
    )


def test_unknown_type_duplicate_block_id_and_bad_text_objects() -> None:
    assert validate_message([{"type": "banner"}]) == [
        "unsupported type: banner [json-pointer:/blocks/0/type]"
    ]
    dup = validate_message([section(block_id="x"), section(block_id="x")])
    assert dup == ["duplicate block_id: x [json-pointer:/blocks/1/block_id]"]
    assert validate_message([{"type": "section", "text": {"type": "html", "text": "a"}}])
    assert validate_message([section("")])
    assert validate_message([{"type": "header", "text": {"type": "mrkdwn", "text": "h"}}])


def test_input_requires_element() -> None:
    errors = validate_message([{"type": "input", "label": pt("L")}])
    assert errors == ["missing required field: element [json-pointer:/blocks/0]"]


def test_view_limits() -> None:
    assert validate_view(modal()) == []
    assert validate_view(modal(blocks=[section()] * 100)) == []
    assert "no more than 100 items allowed [json-pointer:/view/blocks]" in validate_view(
        modal(blocks=[section()] * 101)
    )
    assert validate_view(modal(title=pt("t" * 24))) == []
    assert "must be less than 25 characters [json-pointer:/view/title/text]" in validate_view(
        modal(title=pt("t" * 25))
    )
    for key in ("submit", "close"):
        assert validate_view(modal(**{key: pt("s" * 24)})) == []
        assert validate_view(modal(**{key: pt("s" * 25)}))
    assert validate_view(modal(private_metadata="m" * 3000)) == []
    assert validate_view(modal(private_metadata="m" * 3001)) == [
        "failed to match all allowed schemas [json-pointer:/view]",
        "must be less than 3001 characters [json-pointer:/view/private_metadata]",
    ]
    assert validate_view(modal(callback_id="c" * 255)) == []
    assert validate_view(modal(callback_id="c" * 256))


def test_modal_title_and_submit_requirements() -> None:
    no_title = {"type": "modal", "blocks": []}
    assert "missing required field: title [json-pointer:/view]" in validate_view(no_title)
    inp = {
        "type": "input",
        "label": pt("L"),
        "element": {"type": "plain_text_input", "action_id": "x"},
    }
    assert validate_view(modal(blocks=[inp]))
    assert validate_view(modal(blocks=[inp], submit=pt("Save"))) == []
    assert validate_view({"type": "home", "blocks": [section()]}) == []


# --- Slack's rules beyond lengths: each broken payload next to its valid neighbour -----------


def opts(n: int) -> list[dict[str, Any]]:
    return [{"text": pt(f"o{i}"), "value": f"v{i}"} for i in range(n)]


def el(etype: str, **kw: Any) -> dict[str, Any]:
    return {"type": etype, "action_id": "x", **kw}


def inp(element: dict[str, Any]) -> dict[str, Any]:
    return {"type": "input", "label": pt("L"), "element": element}


def dialog(**kw: Any) -> dict[str, Any]:
    return {
        "title": pt("Sure?"),
        "text": pt("Really?"),
        "confirm": pt("Yes"),
        "deny": pt("No"),
        **kw,
    }


def image(**kw: Any) -> dict[str, Any]:
    return {"type": "image", **kw}


IMG = {"image_url": "https://example.com/a.png", "alt_text": "a"}
E0 = "/blocks/0/elements/0"
BAD_DATE = (
    "must be a valid date in the format YYYY-MM-DD [json-pointer:/blocks/0/element/initial_date]"
)

# name: (broken blocks, the valid neighbour, the error Slack gives for the broken one)
RULES: dict[str, tuple[list[Any], list[Any], str]] = {
    "button url javascript:": (
        [actions(button(url="javascript:alert(1)"))],
        [actions(button(url="https://example.com/x"))],
        f"must be a valid url [json-pointer:{E0}/url]",
    ),
    "button url relative": (
        [actions(button(url="/incidents/1"))],
        [actions(button(url="http://example.com/incidents/1"))],
        f"must be a valid url [json-pointer:{E0}/url]",
    ),
    "button style": (
        [actions(button(style="success"))],
        [actions(button(style="danger"))],
        f"must be a valid enum value [json-pointer:{E0}/style]",
    ),
    "duplicate action_id in a block": (
        [actions(button(action_id="a"), button(action_id="a"))],
        [actions(button(action_id="a"), button(action_id="b"))],
        "duplicate action_id: a [json-pointer:/blocks/0/elements/1/action_id]",
    ),
    "duplicate block_id in a message": (
        [section(block_id="x"), section(block_id="x")],
        [section(block_id="x"), section(block_id="y")],
        "duplicate block_id: x [json-pointer:/blocks/1/block_id]",
    ),
    "static_select initial_option not an option": (
        [actions(el("static_select", options=opts(2), initial_option=opts(3)[2]))],
        [actions(el("static_select", options=opts(2), initial_option=opts(2)[1]))],
        f"must match one of the options [json-pointer:{E0}/initial_option]",
    ),
    "radio_buttons initial_option not an option": (
        [section(accessory=el("radio_buttons", options=opts(2), initial_option=opts(3)[2]))],
        [section(accessory=el("radio_buttons", options=opts(2), initial_option=opts(2)[0]))],
        "must match one of the options [json-pointer:/blocks/0/accessory/initial_option]",
    ),
    "checkboxes initial_options not options": (
        [actions(el("checkboxes", options=opts(2), initial_options=[opts(3)[2]]))],
        [actions(el("checkboxes", options=opts(2), initial_options=[opts(2)[1]]))],
        f"must match one of the options [json-pointer:{E0}/initial_options/0]",
    ),
    "options with option_groups": (
        [
            actions(
                el(
                    "static_select",
                    options=opts(1),
                    option_groups=[{"label": pt("G"), "options": opts(1)}],
                )
            )
        ],
        [actions(el("static_select", option_groups=[{"label": pt("G"), "options": opts(1)}]))],
        f"must provide either options or option_groups, not both [json-pointer:{E0}]",
    ),
    "overflow without options": (
        [actions(el("overflow", options=[]))],
        [actions(el("overflow", options=opts(1)))],
        f"must provide at least 1 items [json-pointer:{E0}/options]",
    ),
    "overflow over 5 options": (
        [actions(el("overflow", options=opts(6)))],
        [actions(el("overflow", options=opts(5)))],
        f"no more than 5 items allowed [json-pointer:{E0}/options]",
    ),
    "static_select over 100 options": (
        [actions(el("static_select", options=opts(101)))],
        [actions(el("static_select", options=opts(100)))],
        f"no more than 100 items allowed [json-pointer:{E0}/options]",
    ),
    "checkboxes over 10 options": (
        [actions(el("checkboxes", options=opts(11)))],
        [actions(el("checkboxes", options=opts(10)))],
        f"no more than 10 items allowed [json-pointer:{E0}/options]",
    ),
    "radio_buttons over 10 options": (
        [inp(el("radio_buttons", options=opts(11)))],
        [inp(el("radio_buttons", options=opts(10)))],
        "no more than 10 items allowed [json-pointer:/blocks/0/element/options]",
    ),
    "image element in actions": (
        [actions(image(**IMG))],
        [section(accessory=image(**IMG))],
        f"unsupported type: image [json-pointer:{E0}/type]",
    ),
    "plain_text_input as a section accessory": (
        [section(accessory=el("plain_text_input"))],
        [inp(el("plain_text_input"))],
        "unsupported type: plain_text_input [json-pointer:/blocks/0/accessory/type]",
    ),
    "misspelled element type": (
        [actions(el("buton", text=pt("Go")))],
        [actions(el("button", text=pt("Go")))],
        f"unsupported type: buton [json-pointer:{E0}/type]",
    ),
    "image block without alt_text": (
        [image(image_url=IMG["image_url"])],
        [image(**IMG)],
        "missing required field: alt_text [json-pointer:/blocks/0]",
    ),
    "image block without image_url": (
        [image(alt_text="a")],
        [image(alt_text="a", slack_file={"id": "F1"})],
        "must provide exactly one of image_url or slack_file [json-pointer:/blocks/0]",
    ),
    "confirm title over 100": (
        [actions(button(confirm=dialog(title=pt("t" * 101))))],
        [actions(button(confirm=dialog(title=pt("t" * 100))))],
        f"must be less than 101 characters [json-pointer:{E0}/confirm/title/text]",
    ),
    "confirm text over 300": (
        [actions(button(confirm=dialog(text=pt("t" * 301))))],
        [actions(button(confirm=dialog(text={"type": "mrkdwn", "text": "t" * 300})))],
        f"must be less than 301 characters [json-pointer:{E0}/confirm/text/text]",
    ),
    "confirm button over 30": (
        [actions(button(confirm=dialog(confirm=pt("c" * 31))))],
        [actions(button(confirm=dialog(confirm=pt("c" * 30))))],
        f"must be less than 31 characters [json-pointer:{E0}/confirm/confirm/text]",
    ),
    "deny button over 30": (
        [actions(button(confirm=dialog(deny=pt("d" * 31))))],
        [actions(button(confirm=dialog(deny=pt("d" * 30))))],
        f"must be less than 31 characters [json-pointer:{E0}/confirm/deny/text]",
    ),
    "confirm title in mrkdwn": (
        [actions(button(confirm=dialog(title={"type": "mrkdwn", "text": "*Sure?*"})))],
        [actions(button(confirm=dialog(title=pt("Sure?"))))],
        f"must be one of: plain_text [json-pointer:{E0}/confirm/title/type]",
    ),
    "context text over 3000": (
        [{"type": "context", "elements": [{"type": "mrkdwn", "text": "x" * 3001}]}],
        [{"type": "context", "elements": [{"type": "mrkdwn", "text": "x" * 3000}]}],
        f"must be less than 3001 characters [json-pointer:{E0}/text]",
    ),
    "emoji on a mrkdwn text": (
        [{"type": "section", "text": {"type": "mrkdwn", "text": "hi", "emoji": True}}],
        [{"type": "section", "text": {"type": "plain_text", "text": "hi", "emoji": True}}],
        "invalid additional property: emoji [json-pointer:/blocks/0/text/emoji]",
    ),
    "plain_text_input max_length 0": (
        [inp(el("plain_text_input", max_length=0))],
        [inp(el("plain_text_input", max_length=1))],
        "must be greater than or equal to 1 [json-pointer:/blocks/0/element/max_length]",
    ),
    "plain_text_input max_length over 3000": (
        [inp(el("plain_text_input", max_length=3001))],
        [inp(el("plain_text_input", max_length=3000))],
        "must be less than or equal to 3000 [json-pointer:/blocks/0/element/max_length]",
    ),
    "plain_text_input min_length over 3000": (
        [inp(el("plain_text_input", min_length=3001))],
        [inp(el("plain_text_input", min_length=0))],
        "must be less than or equal to 3000 [json-pointer:/blocks/0/element/min_length]",
    ),
    "datepicker initial_date not a date": (
        [inp(el("datepicker", initial_date="2026-02-30"))],
        [inp(el("datepicker", initial_date="2026-02-28"))],
        BAD_DATE,
    ),
    "datepicker initial_date not YYYY-MM-DD": (
        [inp(el("datepicker", initial_date="28/02/2026"))],
        [inp(el("datepicker", initial_date="2028-02-29"))],
        BAD_DATE,
    ),
}


@pytest.mark.parametrize(("bad", "good", "error"), RULES.values(), ids=RULES)
def test_slack_refuses_what_breaks_its_rules(bad: list[Any], good: list[Any], error: str) -> None:
    assert error in validate_message(bad)
    assert validate_message(good) == []


@pytest.mark.parametrize(("bad", "good", "error"), RULES.values(), ids=RULES)
def test_views_hold_the_same_rules(bad: list[Any], good: list[Any], error: str) -> None:
    view = modal(blocks=bad, submit=pt("Save"))
    assert error.replace("json-pointer:/blocks", "json-pointer:/view/blocks") in validate_view(view)
    assert validate_view(modal(blocks=good, submit=pt("Save"))) == []


@pytest.mark.parametrize(
    ("metadata", "ok"),
    [
        ({"event_type": "incident", "event_payload": {"id": "INC-1"}}, True),
        ({"event_payload": {"id": "INC-1"}}, False),
        ({"event_type": "", "event_payload": {}}, False),
        ({"event_type": "incident", "event_payload": "INC-1"}, False),
        ({"event_type": "incident"}, False),
        ("incident", False),
    ],
)
def test_metadata_shape(metadata: Any, ok: bool) -> None:
    assert (validate_metadata(metadata) == []) is ok


@pytest.mark.parametrize(
    ("payload", "ok"),
    [
        (None, True),
        ({"text": "Got it"}, True),
        ({"blocks": [actions(button(url="https://example.com"))]}, True),
        ({"blocks": [actions(button(url="javascript:alert(1)"))]}, False),
        ({"response_action": "errors", "errors": {"title": "Too short"}}, True),
        ({"response_action": "errors", "errors": ["Too short"]}, False),
        ({"response_action": "update", "view": modal()}, True),
        ({"response_action": "push", "view": modal(blocks=[actions(button(style="x"))])}, False),
        ({"response_action": "replace", "view": modal()}, False),
    ],
)
def test_ack_bodies(payload: Any, ok: bool) -> None:
    assert (validate_ack(payload) == []) is ok


# --- every surface answers a broken payload as Slack does -----------------------------------

BAD = [actions(button(url="javascript:alert(1)"))]
GOOD = [actions(button(url="https://example.com/x"))]
URL_ERROR = "must be a valid url [json-pointer:{}/blocks/0/elements/0/url]"


async def refusal(call: Awaitable[Any]) -> dict[str, Any]:
    with pytest.raises(SlackApiError) as info:
        await call
    return info.value.response.data


@pytest.mark.parametrize("method", ["chat.postMessage", "chat.postEphemeral", "chat.update"])
async def test_message_surfaces_answer_invalid_blocks(
    emu: SlackEmulator, client: AsyncWebClient, method: str
) -> None:
    gen = emu.channel_by_name("general").id
    original = await client.chat_postMessage(channel=gen, text="original")
    send = {
        "chat.postMessage": lambda b: client.chat_postMessage(channel=gen, text="t", blocks=b),
        "chat.postEphemeral": lambda b: client.chat_postEphemeral(
            channel=gen, user="UALICE", text="t", blocks=b
        ),
        "chat.update": lambda b: client.chat_update(
            channel=gen, ts=original["ts"], text="t", blocks=b
        ),
    }[method]
    body = await refusal(send(BAD))
    assert body["error"] == "invalid_blocks"
    assert f"[ERROR] {URL_ERROR.format('')}" in body["response_metadata"]["messages"]
    assert (await send(GOOD))["ok"]


async def test_metadata_refused_as_invalid_metadata_format(
    emu: SlackEmulator, client: AsyncWebClient
) -> None:
    gen = emu.channel_by_name("general").id
    for metadata in ({"event_type": "incident", "event_payload": "INC-1"}, {"event_payload": {}}):
        body = await refusal(client.chat_postMessage(channel=gen, text="t", metadata=metadata))
        assert body["error"] == "invalid_metadata_format"
    good = {"event_type": "incident", "event_payload": {"id": "INC-1"}}
    posted = await client.chat_postMessage(channel=gen, text="t", metadata=good)
    assert emu.message(gen, posted["ts"]).metadata == good  # type: ignore[union-attr]


async def test_view_surfaces_answer_invalid_arguments(
    emu: SlackEmulator, client: AsyncWebClient
) -> None:
    error = f"[ERROR] {URL_ERROR.format('/view')}"
    await client.views_open(trigger_id=emu.issue_trigger("UALICE"), view=modal())
    alice = emu.user("alice")
    sends: dict[str, Callable[[dict[str, Any]], Awaitable[Any]]] = {
        "views.open": lambda v: client.views_open(trigger_id=emu.issue_trigger("UALICE"), view=v),
        "views.push": lambda v: client.views_push(trigger_id=emu.issue_trigger("UALICE"), view=v),
        "views.update": lambda v: client.views_update(view_id=alice.views[0].id, view=v),
        "views.publish": lambda v: client.views_publish(user_id="UALICE", view=v),
    }
    for method, send in sends.items():
        kind = {"type": "home"} if method == "views.publish" else {}
        body = await refusal(send(modal(blocks=BAD, **kind)))
        assert body["error"] == "invalid_arguments", method
        assert error in body["response_metadata"]["messages"], method
        assert (await send(modal(blocks=GOOD, **kind)))["ok"], method


async def test_response_url_refuses_broken_blocks(emu: SlackEmulator) -> None:
    gen = emu.channel_by_name("general").id
    hook = AsyncWebhookClient(emu.new_response_url("UALICE", gen, None))
    bad = await hook.send(text="bad", blocks=BAD)
    assert (bad.status_code, bad.body) == (400, "invalid_blocks")
    assert (await hook.send(text="good", blocks=GOOD)).status_code == 200
    assert [m.text for m in emu.user("alice").ephemerals(gen)] == ["good"]


async def test_slash_command_ack_body_is_validated(emu: SlackEmulator, app: AsyncApp) -> None:
    @app.command("/incident")
    async def on_command(ack: Any, command: dict[str, Any]) -> None:
        await ack(text=command["text"], blocks=BAD if command["text"] == "bad" else GOOD)

    gen = emu.channel_by_name("general").id
    alice = emu.user("alice")
    with pytest.raises(DriverError, match="refused the ack"):
        await alice.slash_command("/incident", "bad", channel=gen)
    assert emu.acks[-1].errors == [URL_ERROR.format("")]
    assert alice.ephemerals(gen) == []  # Slack shows nothing of a refused body
    await alice.slash_command("/incident", "good", channel=gen)
    assert [m.text for m in alice.ephemerals(gen)] == ["good"] and emu.acks[-1].errors == []


async def test_view_submission_ack_view_is_validated(emu: SlackEmulator, app: AsyncApp) -> None:
    answers = [BAD, GOOD]

    @app.command("/incident")
    async def on_command(ack: Any, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        await client.views_open(
            trigger_id=body["trigger_id"], view=modal(callback_id="m", submit=pt("Go"))
        )

    @app.view("m")
    async def on_submit(ack: Any) -> None:
        await ack(response_action="update", view=modal(title=pt("Next"), blocks=answers.pop(0)))

    alice = emu.user("alice")
    await alice.slash_command("/incident")
    await emu.wait_for(alice.current_view)
    with pytest.raises(DriverError, match="refused by Slack"):
        await alice.submit()
    assert emu.acks[-1].errors[-1] == URL_ERROR.format("/view")
    assert [v.title for v in alice.views] == ["Title"]  # the modal stays as it was
    assert (await alice.submit()).response_action == "update"
    assert [v.title for v in alice.views] == ["Next"]
