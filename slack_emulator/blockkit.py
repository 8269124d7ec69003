"""Block Kit as Slack checks it (pure, no I/O): the emulator refuses what this refuses.

Each function returns a list of error strings in Slack's format
``"<message> [json-pointer:/blocks/0/text/text]"``; an empty list means valid. The app has only
a lighter pre-flight of its own (app/slack/blockkit.py); tests hold the two to agree.

The rules follow Slack's Block Kit reference (docs.slack.dev/reference/block-kit) and the limits
slack_sdk encodes (LIMITS.md). The error wording copies Slack's JSON-schema style; only the
length, item-count and schema-mismatch lines are confirmed verbatim from real answers.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
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
SELECTS = frozenset(
    {
        "static_select",
        "external_select",
        "users_select",
        "conversations_select",
        "channels_select",
    }
)
MULTI_SELECTS = frozenset(f"multi_{s}" for s in SELECTS)
# Which elements each container takes (the "compatible elements" of each block's reference page).
_EVERYWHERE = SELECTS | MULTI_SELECTS | {"checkboxes", "datepicker", "radio_buttons", "timepicker"}
ACTIONS_ELEMENTS = _EVERYWHERE | {
    "button",
    "datetimepicker",
    "overflow",
    "rich_text_input",
    "workflow_button",
}
ACCESSORY_ELEMENTS = _EVERYWHERE | {"button", "image", "overflow", "workflow_button"}
INPUT_ELEMENTS = _EVERYWHERE | {
    "datetimepicker",
    "email_text_input",
    "file_input",
    "number_input",
    "plain_text_input",
    "rich_text_input",
    "url_text_input",
}
CONTEXT_ACTIONS_ELEMENTS = frozenset({"feedback_buttons", "icon_button"})
# Kept for callers that ask "is this a menu with options?".
SELECT_TYPES = frozenset(
    {"static_select", "multi_static_select", "overflow", "radio_buttons", "checkboxes"}
)
BUTTON_STYLES = ("primary", "danger")
# Option counts Slack allows per element: (min, max).
OPTION_COUNTS = {
    "static_select": (1, 100),
    "multi_static_select": (1, 100),
    "overflow": (1, 5),
    "radio_buttons": (1, 10),
    "checkboxes": (1, 10),
}
# Menus whose options may only use plain_text (radio buttons and checkboxes take mrkdwn too).
PLAIN_OPTIONS = frozenset({"static_select", "multi_static_select", "overflow"})
_URL = re.compile(r"https?://\S+", re.IGNORECASE)
_TIME = re.compile(r"([01]\d|2[0-3]):[0-5]\d")

Errors = list[str]


def _err(message: str, pointer: str) -> str:
    return f"{message} [json-pointer:{pointer}]"


def _too_long(limit: int, pointer: str) -> str:
    return _err(f"must be less than {limit + 1} characters", pointer)


def _too_many(limit: int, pointer: str) -> str:
    return _err(f"no more than {limit} items allowed", pointer)


def _too_few(limit: int, pointer: str) -> str:
    return _err(f"must provide at least {limit} items", pointer)


def _missing(field: str, pointer: str) -> str:
    return _err(f"missing required field: {field}", pointer)


def _extra(key: str, pointer: str) -> str:
    return _err(f"invalid additional property: {key}", f"{pointer}/{key}")


def check_text(
    obj: Any, pointer: str, max_len: int | None = None, plain_only: bool = False
) -> Errors:
    """Validate a composition text object."""
    if not isinstance(obj, dict):
        return [_err("must be a text object", pointer)]
    allowed = ("plain_text",) if plain_only else ("plain_text", "mrkdwn")
    errors: Errors = []
    kind = obj.get("type")
    if kind not in allowed:
        errors.append(_err(f"must be one of: {', '.join(allowed)}", f"{pointer}/type"))
    text = obj.get("text")
    if not isinstance(text, str) or not text:
        errors.append(_err("must be more than 0 characters", f"{pointer}/text"))
    elif max_len is not None and len(text) > max_len:
        errors.append(_too_long(max_len, f"{pointer}/text"))
    # `emoji` is only for plain_text, `verbatim` only for mrkdwn (text object reference).
    for key, only in (("emoji", "plain_text"), ("verbatim", "mrkdwn")):
        if key in obj and kind in allowed and kind != only:
            errors.append(_extra(key, pointer))
        elif key in obj and not isinstance(obj[key], bool):
            errors.append(_err("must be a boolean", f"{pointer}/{key}"))
    if errors:
        # Slack prefixes a schema-mismatch line for the text object itself.
        errors.insert(0, _err("failed to match all allowed schemas", pointer))
    return errors


def _check_str(value: Any, limit: int, pointer: str) -> Errors:
    if value is None:
        return []
    if not isinstance(value, str):
        return [_err("must be a string", pointer)]
    return [_too_long(limit, pointer)] if len(value) > limit else []


def _check_url(value: Any, limit: int, pointer: str) -> Errors:
    """An http(s) URL: Slack refuses other schemes (javascript:, slack:, relative paths)."""
    if value is None:
        return []
    errors = _check_str(value, limit, pointer)
    if not errors and not _URL.fullmatch(value):
        errors.append(_err("must be a valid url", pointer))
    return errors


def _check_int(value: Any, low: int, high: int, pointer: str) -> Errors:
    if value is None:
        return []
    if not isinstance(value, int) or isinstance(value, bool):
        return [_err("must be an integer", pointer)]
    if value < low:
        return [_err(f"must be greater than or equal to {low}", pointer)]
    if value > high:
        return [_err(f"must be less than or equal to {high}", pointer)]
    return []


def _check_list(
    value: Any, pointer: str, low: int, high: int, item: Callable[[Any, str], Errors]
) -> Errors:
    if not isinstance(value, list):
        return [_err("must be an array", pointer)]
    errors: Errors = []
    if len(value) < low:
        errors.append(_too_few(low, pointer))
    if len(value) > high:
        errors.append(_too_many(high, pointer))
    for i, entry in enumerate(value):
        errors += item(entry, f"{pointer}/{i}")
    return errors


def check_confirm(obj: Any, pointer: str) -> Errors:
    """A confirmation dialog: title ≤100, text ≤300, confirm/deny ≤30, style primary|danger."""
    if not isinstance(obj, dict):
        return [_err("must be a confirm object", pointer)]
    errors: Errors = []
    for key, limit, plain in (
        ("title", 100, True),
        ("text", 300, False),
        ("confirm", 30, True),
        ("deny", 30, True),
    ):
        if key not in obj:
            errors.append(_missing(key, pointer))
        else:
            errors += check_text(obj[key], f"{pointer}/{key}", limit, plain_only=plain)
    if "style" in obj and obj["style"] not in BUTTON_STYLES:
        errors.append(_err("must be a valid enum value", f"{pointer}/style"))
    return errors


def _option_checker(plain_only: bool, with_url: bool) -> Callable[[Any, str], Errors]:
    def check(opt: Any, pointer: str) -> Errors:
        if not isinstance(opt, dict):
            return [_err("must be an option object", pointer)]
        errors = check_text(opt.get("text"), f"{pointer}/text", 75, plain_only)
        errors += _check_str(opt.get("value"), 150, f"{pointer}/value")
        if "description" in opt:
            errors += check_text(opt["description"], f"{pointer}/description", 75, plain_only)
        if "url" in opt:
            if with_url:
                errors += _check_url(opt["url"], 3000, f"{pointer}/url")
            else:
                errors.append(_extra("url", pointer))
        return errors

    return check


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _option_key(opt: Any) -> tuple[Any, ...]:
    """What Slack compares when an initial option must "exactly match" one of the options."""
    if not isinstance(opt, dict):
        return (opt,)
    text = _dict(opt.get("text"))
    return (opt.get("value"), text.get("type"), text.get("text"))


def _check_options(el: dict[str, Any], etype: str, pointer: str) -> Errors:
    """options / option_groups of a menu, and its initial option(s) among them."""
    low, high = OPTION_COUNTS[etype]
    item = _option_checker(etype in PLAIN_OPTIONS, with_url=etype == "overflow")
    options, groups = el.get("options"), el.get("option_groups")
    errors: Errors = []
    if etype in ("static_select", "multi_static_select"):
        if options is not None and groups is not None:
            errors.append(_err("must provide either options or option_groups, not both", pointer))
        elif options is None and groups is None:
            errors.append(_err("must provide options or option_groups", pointer))
    elif groups is not None:
        errors.append(_extra("option_groups", pointer))
    elif options is None:
        errors.append(_missing("options", pointer))
    every: list[Any] = []
    if options is not None:
        errors += _check_list(options, f"{pointer}/options", low, high, item)
        every += _list(options)
    if groups is not None and etype in ("static_select", "multi_static_select"):

        def group(g: Any, gp: str) -> Errors:
            if not isinstance(g, dict):
                return [_err("must be an option group object", gp)]
            found = check_text(g.get("label"), f"{gp}/label", 75, plain_only=True)
            found += _check_list(g.get("options"), f"{gp}/options", 1, 100, item)
            every.extend(_list(g.get("options")))
            return found

        errors += _check_list(groups, f"{pointer}/option_groups", 1, 100, group)
    known = {_option_key(o) for o in every}
    if "initial_option" in el and _option_key(el["initial_option"]) not in known:
        errors.append(_err("must match one of the options", f"{pointer}/initial_option"))
    initial = el.get("initial_options")
    if initial is not None:
        if not isinstance(initial, list):
            errors.append(_err("must be an array", f"{pointer}/initial_options"))
        else:
            for i, opt in enumerate(initial):
                if _option_key(opt) not in known:
                    errors.append(
                        _err("must match one of the options", f"{pointer}/initial_options/{i}")
                    )
    return errors


def _check_date(value: Any, pointer: str) -> Errors:
    if value is None:
        return []
    try:
        if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            raise ValueError(value)
        datetime.date.fromisoformat(value)
    except ValueError:
        return [_err("must be a valid date in the format YYYY-MM-DD", pointer)]
    return []


def _check_button(el: dict[str, Any], pointer: str) -> Errors:
    errors = check_text(el.get("text"), f"{pointer}/text", 75, plain_only=True)
    errors += _check_str(el.get("value"), 2000, f"{pointer}/value")
    errors += _check_url(el.get("url"), 3000, f"{pointer}/url")
    errors += _check_str(el.get("accessibility_label"), 75, f"{pointer}/accessibility_label")
    if "style" in el and el["style"] not in BUTTON_STYLES:
        errors.append(_err("must be a valid enum value", f"{pointer}/style"))
    return errors


def _check_text_input(el: dict[str, Any], pointer: str) -> Errors:
    errors = _check_int(el.get("max_length"), 1, 3000, f"{pointer}/max_length")
    errors += _check_int(el.get("min_length"), 0, 3000, f"{pointer}/min_length")
    errors += _check_str(el.get("initial_value"), 3000, f"{pointer}/initial_value")
    return errors


def _check_image_element(el: dict[str, Any], pointer: str) -> Errors:
    errors: Errors = []
    if "alt_text" not in el:
        errors.append(_missing("alt_text", pointer))
    else:
        errors += _check_str(el["alt_text"], 2000, f"{pointer}/alt_text")
    if ("image_url" in el) == ("slack_file" in el):
        errors.append(_err("must provide exactly one of image_url or slack_file", pointer))
    errors += _check_url(el.get("image_url"), 3000, f"{pointer}/image_url")
    return errors


def check_element(el: Any, pointer: str, allowed: frozenset[str] | None = None) -> Errors:
    """Validate a block element; `allowed` is the set of types its container takes."""
    if not isinstance(el, dict) or not isinstance(el.get("type"), str):
        return [_err("must be an element object", pointer)]
    etype = el["type"]
    every = ACTIONS_ELEMENTS | ACCESSORY_ELEMENTS | INPUT_ELEMENTS | CONTEXT_ACTIONS_ELEMENTS
    if etype not in (allowed if allowed is not None else every):
        return [_err(f"unsupported type: {etype}", f"{pointer}/type")]
    if etype == "image":
        return _check_image_element(el, pointer)
    errors = _check_str(el.get("action_id"), 255, f"{pointer}/action_id")
    if "placeholder" in el:
        errors += check_text(el["placeholder"], f"{pointer}/placeholder", 150, plain_only=True)
    if "confirm" in el:
        errors += check_confirm(el["confirm"], f"{pointer}/confirm")
    if etype == "button":
        errors += _check_button(el, pointer)
    elif etype in OPTION_COUNTS:
        errors += _check_options(el, etype, pointer)
    elif etype == "plain_text_input":
        errors += _check_text_input(el, pointer)
    elif etype == "datepicker":
        errors += _check_date(el.get("initial_date"), f"{pointer}/initial_date")
    elif etype == "timepicker":
        time = el.get("initial_time")
        if time is not None and not (isinstance(time, str) and _TIME.fullmatch(time)):
            errors.append(_err("must be a valid time in HH:mm", f"{pointer}/initial_time"))
    if etype in MULTI_SELECTS:
        errors += _check_int(el.get("max_selected_items"), 1, 100, f"{pointer}/max_selected_items")
    return errors


def _check_elements(
    block: dict[str, Any], pointer: str, high: int, allowed: frozenset[str]
) -> Errors:
    """An actions-like block's elements: count, types, one action_id per element."""
    elements = block.get("elements")
    if not isinstance(elements, list) or not elements:
        return [_err("must provide at least 1 element", f"{pointer}/elements")]
    errors: Errors = []
    if len(elements) > high:
        errors.append(_too_many(high, f"{pointer}/elements"))
    seen: set[str] = set()
    for i, el in enumerate(elements):
        errors += check_element(el, f"{pointer}/elements/{i}", allowed)
        aid = el.get("action_id") if isinstance(el, dict) else None
        if isinstance(aid, str):
            if aid in seen:
                errors.append(
                    _err(f"duplicate action_id: {aid}", f"{pointer}/elements/{i}/action_id")
                )
            seen.add(aid)
    return errors


def _check_section(block: dict[str, Any], pointer: str) -> Errors:
    errors: Errors = []
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
        errors += check_element(block["accessory"], f"{pointer}/accessory", ACCESSORY_ELEMENTS)
    return errors


def _check_context(block: dict[str, Any], pointer: str) -> Errors:
    elements = block.get("elements")
    if not isinstance(elements, list) or not elements:
        return [_err("must provide at least 1 element", f"{pointer}/elements")]
    errors: Errors = []
    if len(elements) > 10:
        errors.append(_too_many(10, f"{pointer}/elements"))
    for i, el in enumerate(elements):
        if isinstance(el, dict) and el.get("type") == "image":
            errors += _check_image_element(el, f"{pointer}/elements/{i}")
        else:
            errors += check_text(el, f"{pointer}/elements/{i}", 3000)
    return errors


def _check_input(block: dict[str, Any], pointer: str) -> Errors:
    errors = check_text(block.get("label"), f"{pointer}/label", 2000, plain_only=True)
    if "hint" in block:
        errors += check_text(block["hint"], f"{pointer}/hint", 2000, plain_only=True)
    if "element" not in block:
        errors.append(_missing("element", pointer))
    else:
        errors += check_element(block["element"], f"{pointer}/element", INPUT_ELEMENTS)
    return errors


def _check_image_block(block: dict[str, Any], pointer: str) -> Errors:
    errors = _check_image_element(block, pointer)
    if "title" in block:
        errors += check_text(block["title"], f"{pointer}/title", 2000, plain_only=True)
    return errors


BLOCK_CHECKS: dict[str, Callable[[dict[str, Any], str], Errors]] = {
    "section": _check_section,
    "header": lambda b, p: check_text(b.get("text"), f"{p}/text", 150, plain_only=True),
    "actions": lambda b, p: _check_elements(b, p, 25, ACTIONS_ELEMENTS),
    "context_actions": lambda b, p: _check_elements(b, p, 5, CONTEXT_ACTIONS_ELEMENTS),
    "context": _check_context,
    "input": _check_input,
    "image": _check_image_block,
    "markdown": lambda b, p: _check_str(b.get("text"), 12000, f"{p}/text"),
}


def check_block(block: Any, pointer: str) -> Errors:
    if not isinstance(block, dict):
        return [_err("must be a block object", pointer)]
    btype = block.get("type")
    if btype not in BLOCK_TYPES:
        return [_err(f"unsupported type: {btype}", f"{pointer}/type")]
    errors = _check_str(block.get("block_id"), 255, f"{pointer}/block_id")
    check = BLOCK_CHECKS.get(btype)
    return errors + check(block, pointer) if check else errors


def check_blocks(blocks: Any, pointer: str, max_blocks: int) -> Errors:
    """Validate a list of blocks: count, types, per-block limits, unique block_ids."""
    if not isinstance(blocks, list):
        return [_err("must be an array", pointer)]
    errors: Errors = []
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
) -> Errors:
    """Errors for a message's `blocks` and every attachment's `blocks` (50 each)."""
    errors: Errors = []
    if blocks is not None:
        errors += check_blocks(blocks, "/blocks", MAX_MESSAGE_BLOCKS)
    for a, att in enumerate(attachments or []):
        if not isinstance(att, dict):
            errors.append(_err("must be an attachment object", f"/attachments/{a}"))
        elif "blocks" in att:
            errors += check_blocks(att["blocks"], f"/attachments/{a}/blocks", MAX_MESSAGE_BLOCKS)
    return errors


def validate_metadata(metadata: Any) -> Errors:
    """Message metadata: a string `event_type` and an object `event_payload`."""
    if not isinstance(metadata, dict):
        return [_err("must be an object", "/metadata")]
    errors: Errors = []
    event_type = metadata.get("event_type")
    if not isinstance(event_type, str) or not event_type:
        errors.append(_missing("event_type", "/metadata"))
    if not isinstance(metadata.get("event_payload"), dict):
        errors.append(_err("must be an object", "/metadata/event_payload"))
    return errors


def _has_input(blocks: Any) -> bool:
    return isinstance(blocks, list) and any(
        isinstance(b, dict) and b.get("type") == "input" for b in blocks
    )


def validate_view(view: Any, pointer: str = "/view") -> Errors:
    """Errors for a modal or home view object."""
    if not isinstance(view, dict):
        return [_err("must be a view object", pointer)]
    errors: Errors = []
    vtype = view.get("type")
    if vtype not in ("modal", "home"):
        errors.append(_err("must be one of: modal, home", f"{pointer}/type"))
    if "blocks" not in view:
        errors.append(_missing("blocks", pointer))
    else:
        errors += check_blocks(view["blocks"], f"{pointer}/blocks", MAX_VIEW_BLOCKS)
    if vtype == "modal":
        if "title" not in view:
            errors.append(_missing("title", pointer))
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


def validate_ack(payload: Any) -> Errors:
    """Errors for a Socket Mode ack's body: a message (slash command or action answered in the
    ack) or the view of a `response_action` update/push. A bare ack has none."""
    if not isinstance(payload, dict):
        return []
    errors: Errors = []
    if "blocks" in payload or "attachments" in payload:
        attachments = payload.get("attachments")
        errors += validate_message(
            payload.get("blocks"), attachments if isinstance(attachments, list) else None
        )
        if "attachments" in payload and not isinstance(attachments, list):
            errors.append(_err("must be an array", "/attachments"))
    action = payload.get("response_action")
    if action in ("update", "push"):
        errors += validate_view(payload.get("view"))
    elif action == "errors" and not (
        isinstance(payload.get("errors"), dict)
        and all(isinstance(v, str) for v in payload["errors"].values())
    ):
        errors.append(_err("must be an object of strings", "/errors"))
    elif action not in (None, "errors", "clear"):
        errors.append(_err("must be one of: errors, update, push, clear", "/response_action"))
    return errors


def error_body(error: str, errors: Errors) -> dict[str, Any]:
    """Slack's error body for schema failures (see web-api-responses.json)."""
    return {
        "ok": False,
        "error": error,
        "errors": list(errors),
        "response_metadata": {"messages": [f"[ERROR] {e}" for e in errors]},
    }
