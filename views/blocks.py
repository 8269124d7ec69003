"""Block Kit's small pieces, shared by every view: text objects, blocks, elements, modals.

Pure functions returning plain dicts in the shape Slack's Web API takes. Builders leave out a
key they were not given (no `"block_id": None`), so a payload carries only what was meant.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

Block = dict[str, Any]
Text = dict[str, Any]


def plain_text(text: str, *, emoji: bool = False) -> Text:
    """A plain_text object; Slack never parses it for mentions or links."""
    out: Text = {"type": "plain_text", "text": text}
    if emoji:
        out["emoji"] = True
    return out


def mrkdwn(text: str) -> Text:
    return {"type": "mrkdwn", "text": text}


def field(label: str, value: str) -> Text:
    """One of a section's fields: a bold label over its value."""
    return mrkdwn(f"*{label}*\n{value}")


def _with_id(block: Block, block_id: str | None) -> Block:
    if block_id is not None:
        block["block_id"] = block_id
    return block


def section(
    text: str | Text | None = None,
    *,
    block_id: str | None = None,
    fields: list[Text] | None = None,
    accessory: dict[str, Any] | None = None,
) -> Block:
    """A section: mrkdwn when `text` is a string, else the text object given."""
    block = _with_id({"type": "section"}, block_id)
    if text is not None:
        block["text"] = mrkdwn(text) if isinstance(text, str) else text
    if fields is not None:
        block["fields"] = fields
    if accessory:
        block["accessory"] = accessory
    return block


def context(*texts: str, block_id: str | None = None) -> Block:
    """A context block of mrkdwn lines."""
    return _with_id({"type": "context"}, block_id) | {"elements": [mrkdwn(t) for t in texts]}


def header(text: str, *, block_id: str | None = None, emoji: bool = False) -> Block:
    return _with_id({"type": "header"}, block_id) | {"text": plain_text(text, emoji=emoji)}


def divider() -> Block:
    return {"type": "divider"}


def actions(elements: Iterable[dict[str, Any]], *, block_id: str | None = None) -> Block:
    return _with_id({"type": "actions"}, block_id) | {"elements": list(elements)}


def button(
    label: str,
    action_id: str,
    value: str | None = None,
    *,
    style: str | None = None,
    url: str | None = None,
    confirm: dict[str, Any] | None = None,
    emoji: bool = False,
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "type": "button",
        "text": plain_text(label, emoji=emoji),
        "action_id": action_id,
    }
    if value is not None:
        out["value"] = value
    if style:
        out["style"] = style
    if url:
        out["url"] = url
    if confirm:
        out["confirm"] = confirm
    return out


def option(label: str, value: str) -> dict[str, Any]:
    """An option of a select, overflow menu or checkbox group."""
    return {"text": plain_text(label), "value": value}


def confirm_dialog(
    title: str, text: str, *, confirm: str, deny: str = "Cancel", style: str | None = None,
    emoji: bool = False,
) -> dict[str, Any]:
    """The "are you sure?" dialog Slack shows before sending a button's action."""
    out: dict[str, Any] = {
        "title": plain_text(title, emoji=emoji),
        "text": mrkdwn(text),
        "confirm": plain_text(confirm, emoji=emoji),
        "deny": plain_text(deny, emoji=emoji),
    }
    if style:
        out["style"] = style
    return out


def input_block(
    block_id: str,
    label: str,
    element: dict[str, Any],
    *,
    optional: bool = False,
    hint: str | None = None,
) -> Block:
    """A modal input; its block id is where `response_action: errors` shows a field's error."""
    out: Block = {
        "type": "input",
        "block_id": block_id,
        "label": plain_text(label),
        "element": element,
        "optional": optional,
    }
    if hint:
        out["hint"] = plain_text(hint)
    return out


def modal(
    title: str,
    blocks: list[Block],
    *,
    callback_id: str | None = None,
    submit: str | None = None,
    close: str = "Cancel",
    private_metadata: str | None = None,
) -> dict[str, Any]:
    """A modal view; one with a submit button carries the callback id its submission routes on."""
    view: dict[str, Any] = {"type": "modal"}
    if callback_id is not None:
        view["callback_id"] = callback_id
    view["title"] = plain_text(title)
    if submit is not None:
        view["submit"] = plain_text(submit)
    view["close"] = plain_text(close)
    if private_metadata is not None:
        view["private_metadata"] = private_metadata
    view["blocks"] = blocks
    return view
