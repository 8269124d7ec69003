"""The app's Block Kit pre-flight against Slack's rules as the emulator holds them.

The pre-flight may miss what Slack refuses (Slack then says so), but everything it reports Slack
reports too, at the same place and in the same words; and it catches what filled-in templates
typically break.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from app.slack.blockkit import check_message_blocks
from slack_emulator.blockkit import validate_message


def text(kind: str, value: str) -> dict[str, Any]:
    return {"type": kind, "text": value}


def section(value: str = "hi", **kw: Any) -> dict[str, Any]:
    return {"type": "section", "text": text("mrkdwn", value), **kw}


def header(value: str = "Title", kind: str = "plain_text") -> dict[str, Any]:
    return {"type": "header", "text": text(kind, value)}


BUTTON = {"type": "button", "text": text("plain_text", "Go" * 50), "action_id": "a"}

# Blocks the pre-flight must refuse, as Slack does.
REFUSED: dict[str, Any] = {
    "misspelt block type": [{"type": "sektion", "text": text("mrkdwn", "hi")}],
    "long header": [header("x" * 151)],
    "mrkdwn header": [header(kind="mrkdwn")],
    "empty section text": [section("")],
    "long section text": [section("x" * 3001)],
    "long field": [{"type": "section", "fields": [text("mrkdwn", "x" * 2001)]}],
    "context text of the wrong type": [{"type": "context", "elements": [text("html", "x")]}],
    "block without a type": [{"text": text("mrkdwn", "x")}],
    "too many blocks": [section()] * 51,
    "not a list": {"blocks": []},
    "not a block": ["section"],
    "long markdown": [{"type": "markdown", "text": "x" * 12001}],
    "section text not an object": [{"type": "section", "text": "hi"}],
}
# Blocks Slack accepts, or refuses for reasons the pre-flight leaves to Slack.
OTHERS: dict[str, Any] = {
    "a card": [
        header("INC-1042 Checkout is failing"),
        section("*P1* payments", fields=[text("mrkdwn", "x" * 2000)] * 10),
        {"type": "context", "elements": [{"type": "image", "image_url": "u", "alt_text": "a"}]},
        {"type": "divider"},
        {"type": "markdown", "text": "x" * 12000},
    ],
    "header at its limit": [header("x" * 150)],
    "long context text": [{"type": "context", "elements": [text("mrkdwn", "x" * 5000)]}],
    "button text too long": [{"type": "actions", "elements": [BUTTON]}],
    "section without text": [{"type": "section"}],
    "too many fields": [{"type": "section", "fields": [text("mrkdwn", "f")] * 11}],
    "duplicate block ids": [section(block_id="b"), section(block_id="b")],
    "empty context": [{"type": "context", "elements": []}],
    "unknown block type": [{"type": "paragraph"}],
}


def slack_errors(blocks: Any) -> set[tuple[tuple[int | str, ...], str]]:
    """The emulator's errors as (path inside the blocks, message)."""
    out = set()
    for error in validate_message(blocks):
        found = re.fullmatch(r"(.*) \[json-pointer:/blocks/?([^\]]*)\]", error)
        assert found, error
        path = tuple(int(p) if p.isdigit() else p for p in found.group(2).split("/") if p)
        out.add((path, found.group(1)))
    return out


@pytest.mark.parametrize("blocks", [*REFUSED.values(), *OTHERS.values()], ids=[*REFUSED, *OTHERS])
def test_what_the_preflight_reports_slack_reports_too(blocks: Any) -> None:
    found = {(p.path, p.message) for p in check_message_blocks(blocks)}
    assert found <= slack_errors(blocks)


@pytest.mark.parametrize("blocks", REFUSED.values(), ids=REFUSED)
def test_the_preflight_catches_what_templates_break(blocks: Any) -> None:
    assert check_message_blocks(blocks)


def test_problems_read_with_their_place() -> None:
    (problem,) = check_message_blocks([section(), header("x" * 151)])
    assert str(problem) == "must be less than 151 characters (at /1/text/text)"
