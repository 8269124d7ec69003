"""Block Kit as Slack checks it (pure, no I/O): the emulator refuses what this refuses.

Each function returns a list of error strings in Slack's format
``"<message> [json-pointer:/blocks/0/text/text]"``; an empty list means valid. The app has only
a lighter pre-flight of its own (app/slack/blockkit.py); tests hold the two to agree.
"""

from __future__ import annotations

from typing import Any

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100

BLOCK_TYPES = frozenset(
    {
        "actions",
        "context",
        "divider",
        "file",
        "header",
        "image",
        "input",
        "markdown",
        "rich_text",
        "section",
        "video",
        "call",
        "table",
        "context_actions",
    }
)
SELECT_TYPES = frozenset(
    {"static_select", "multi_static_select", "overflow", "radio_buttons", "checkboxes"}
)


def _err(message: str, pointer: str) -> str:
    return f"{message} [json-pointer:{pointer}]"


def _too_long(limit: int, pointer: str) -> str:
    return _err(f"must be less than {limit + 1} characters", pointer)


def _too_many(limit: int, pointer: str) -> str:
    return _err(f"no more than {limit} items allowed", pointer)


def check_text(
    obj: Any, pointer: str, max_len: int | None = None, plain_only: bool = False
) -> list[str]:
    """Validate a composition text object."""
    if not isinstance(obj, dict):
        return [_err("must be a text object", pointer)]
    allowed = ("plain_text",) if plain_only else ("plain_text", "mrkdwn")
    errors: list[str] = []
    if obj.get("type") not in allowed:
        errors.append(_err(f"must be one of: {', '.join(allowed)}", f"{pointer}/type"))
    text = obj.get("text")
    if not isinstance(text, str) or not text:
        errors.append(_err("must be more than 0 characters", f"{pointer}/text"))
    elif max_len is not None and len(text) > max_len:
        errors.append(_too_long(max_len, f"{pointer}/text"))
    if errors:
        # Slack prefixes a schema-mismatch line for the text object itself.
        errors.insert(0, _err("failed to match all allowed schemas", pointer))
    return errors


def _check_str(value: Any, limit: int, pointer: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, str):
        return [_err("must be a string", pointer)]
    return [_too_long(limit, pointer)] if len(value) > limit else []


def _check_option(opt: Any, pointer: str) -> list[str]:
    if not isinstance(opt, dict):
        return [_err("must be an option object", pointer)]
    errors = check_text(opt.get("text"), f"{pointer}/text", 75)
    if "value" in opt:
        errors += _check_str(opt.get("value"), 150, f"{pointer}/value")
    return errors


def check_element(el: Any, pointer: str) -> list[str]:
    """Validate an interactive element (button, selects, inputs ...)."""
    if not isinstance(el, dict) or not isinstance(el.get("type"), str):
        return [_err("must be an element object", pointer)]
    etype = el["type"]
    errors = _check_str(el.get("action_id"), 255, f"{pointer}/action_id")
    if "placeholder" in el:
        errors += check_text(el["placeholder"], f"{pointer}/placeholder", 150, plain_only=True)
    if etype == "button":
        errors += check_text(el.get("text"), f"{pointer}/text", 75, plain_only=True)
        errors += _check_str(el.get("value"), 2000, f"{pointer}/value")
        errors += _check_str(el.get("url"), 3000, f"{pointer}/url")
    elif etype in SELECT_TYPES or "options" in el or "option_groups" in el:
        options = el.get("options")
        if options is not None:
            if not isinstance(options, list):
                errors.append(_err("must be an array", f"{pointer}/options"))
            else:
                if len(options) > 100:
                    errors.append(_too_many(100, f"{pointer}/options"))
                for i, opt in enumerate(options):
                    errors += _check_option(opt, f"{pointer}/options/{i}")
        groups = el.get("option_groups")
        if isinstance(groups, list):
            if len(groups) > 100:
                errors.append(_too_many(100, f"{pointer}/option_groups"))
            for g, group in enumerate(groups):
                for i, opt in enumerate((group or {}).get("options") or []):
                    errors += _check_option(opt, f"{pointer}/option_groups/{g}/options/{i}")
        if etype in ("static_select", "multi_static_select") and not options and not groups:
            errors.append(_err("must provide options or option_groups", pointer))
        if etype == "overflow":  # "an array of up to five option objects" (required)
            count = len(options) if isinstance(options, list) else 0
            if count > 5:
                errors.append(_too_many(5, f"{pointer}/options"))
            elif count < 1:
                errors.append(_err("must provide at least 1 item", f"{pointer}/options"))
    return errors


def check_block(block: Any, pointer: str) -> list[str]:
    if not isinstance(block, dict):
        return [_err("must be a block object", pointer)]
    btype = block.get("type")
    if btype not in BLOCK_TYPES:
        return [_err(f"unsupported type: {btype}", f"{pointer}/type")]
    errors = _check_str(block.get("block_id"), 255, f"{pointer}/block_id")
    if btype == "section":
        if "text" not in block and "fields" not in block:
            errors.append(_err("must provide text or fields", pointer))
        if "text" in block:
            errors += check_text(block["text"], f"{pointer}/text", 3000)
        fields = block.get("fields")
        if fields is not None:
            if not isinstance(fields, list):
                errors.append(_err("must be an array", f"{pointer}/fields"))
            else:
                if len(fields) > 10:
                    errors.append(_too_many(10, f"{pointer}/fields"))
                for i, f in enumerate(fields):
                    errors += check_text(f, f"{pointer}/fields/{i}", 2000)
        if "accessory" in block:
            errors += check_element(block["accessory"], f"{pointer}/accessory")
    elif btype == "header":
        errors += check_text(block.get("text"), f"{pointer}/text", 150, plain_only=True)
    elif btype == "actions":
        elements = block.get("elements")
        if not isinstance(elements, list) or not elements:
            errors.append(_err("must provide at least 1 element", f"{pointer}/elements"))
        else:
            if len(elements) > 25:
                errors.append(_too_many(25, f"{pointer}/elements"))
            for i, el in enumerate(elements):
                errors += check_element(el, f"{pointer}/elements/{i}")
    elif btype == "context":
        elements = block.get("elements")
        if not isinstance(elements, list) or not elements:
            errors.append(_err("must provide at least 1 element", f"{pointer}/elements"))
        else:
            if len(elements) > 10:
                errors.append(_too_many(10, f"{pointer}/elements"))
            for i, el in enumerate(elements):
                if isinstance(el, dict) and el.get("type") != "image":
                    errors += check_text(el, f"{pointer}/elements/{i}")
    elif btype == "input":
        errors += check_text(block.get("label"), f"{pointer}/label", 2000, plain_only=True)
        if "hint" in block:
            errors += check_text(block["hint"], f"{pointer}/hint", 2000, plain_only=True)
        if "element" not in block:
            errors.append(_err("missing required field: element", pointer))
        else:
            errors += check_element(block["element"], f"{pointer}/element")
    elif btype == "markdown":
        errors += _check_str(block.get("text"), 12000, f"{pointer}/text")
    return errors


def check_blocks(blocks: Any, pointer: str, max_blocks: int) -> list[str]:
    """Validate a list of blocks: count, types, per-block limits, unique block_ids."""
    if not isinstance(blocks, list):
        return [_err("must be an array", pointer)]
    errors: list[str] = []
    if len(blocks) > max_blocks:
        errors.append(_too_many(max_blocks, pointer))
    seen: set[str] = set()
    for i, block in enumerate(blocks):
        errors += check_block(block, f"{pointer}/{i}")
        bid = block.get("block_id") if isinstance(block, dict) else None
        if isinstance(bid, str):
            if bid in seen:
                errors.append(_err(f"duplicate block_id: {bid}", f"{pointer}/{i}/block_id"))
            seen.add(bid)
    return errors


def validate_message(
    blocks: list[dict[str, Any]] | None, attachments: list[dict[str, Any]] | None = None
) -> list[str]:
    """Errors for a message's `blocks` and every attachment's `blocks` (50 each)."""
    errors: list[str] = []
    if blocks is not None:
        errors += check_blocks(blocks, "/blocks", MAX_MESSAGE_BLOCKS)
    for a, att in enumerate(attachments or []):
        if not isinstance(att, dict):
            errors.append(_err("must be an attachment object", f"/attachments/{a}"))
        elif "blocks" in att:
            errors += check_blocks(att["blocks"], f"/attachments/{a}/blocks", MAX_MESSAGE_BLOCKS)
    return errors


def _has_input(blocks: Any) -> bool:
    return isinstance(blocks, list) and any(
        isinstance(b, dict) and b.get("type") == "input" for b in blocks
    )


def validate_view(view: Any, pointer: str = "/view") -> list[str]:
    """Errors for a modal or home view object."""
    if not isinstance(view, dict):
        return [_err("must be a view object", pointer)]
    errors: list[str] = []
    vtype = view.get("type")
    if vtype not in ("modal", "home"):
        errors.append(_err("must be one of: modal, home", f"{pointer}/type"))
    if "blocks" not in view:
        errors.append(_err("missing required field: blocks", pointer))
    else:
        errors += check_blocks(view["blocks"], f"{pointer}/blocks", MAX_VIEW_BLOCKS)
    if vtype == "modal":
        if "title" not in view:
            errors.append(_err("missing required field: title", pointer))
        else:
            errors += check_text(view["title"], f"{pointer}/title", 24, plain_only=True)
        if view.get("submit") is None and _has_input(view.get("blocks")):
            errors.append(_err("must provide submit when input blocks are present", pointer))
    for key in ("submit", "close"):
        if view.get(key) is not None:
            errors += check_text(view[key], f"{pointer}/{key}", 24, plain_only=True)
    errors += _check_str(view.get("private_metadata"), 3000, f"{pointer}/private_metadata")
    errors += _check_str(view.get("callback_id"), 255, f"{pointer}/callback_id")
    errors += _check_str(view.get("external_id"), 255, f"{pointer}/external_id")
    if errors:
        errors.insert(0, _err("failed to match all allowed schemas", pointer))
    return errors


def error_body(error: str, errors: list[str]) -> dict[str, Any]:
    """Slack's error body for schema failures (see web-api-responses.json)."""
    return {
        "ok": False,
        "error": error,
        "errors": [e for e in errors],
        "response_metadata": {"messages": [f"[ERROR] {e}" for e in errors]},
    }
