"""Unit tests for the pure Block Kit validator: every limit at its boundary."""

from __future__ import annotations

from typing import Any

import pytest

from slack_emulator.blockkit import validate_message, validate_view


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
        (lambda n: actions(button(url="u" * n)), 3000, "/blocks/0/elements/0/url"),
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
        (lambda n: actions(*[button()] * n), 25, "/blocks/0/elements"),
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


def test_overflow_takes_one_to_five_options() -> None:
    def overflow(n: int) -> dict[str, Any]:
        opts = [{"text": pt(f"o{i}"), "value": f"v{i}"} for i in range(n)]
        return {"type": "overflow", "action_id": "more", "options": opts}

    assert validate_message([actions(overflow(5))]) == []
    assert validate_message([actions(overflow(1))]) == []
    assert validate_message([actions(overflow(6))]) == [
        "no more than 5 items allowed [json-pointer:/blocks/0/elements/0/options]"
    ]
    assert validate_message([actions(overflow(0))]) == [
        "must provide at least 1 item [json-pointer:/blocks/0/elements/0/options]"
    ]
