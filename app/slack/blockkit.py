"""Pre-flight for Block Kit that operators write (templates, runbook messages).

Not Slack's whole schema: Slack (and the emulator standing in for it in tests) refuses the rest.
This catches what a template gets wrong, mostly once placeholders are filled in: the list's
shape and each text object's type and length where it sits. It must never refuse what Slack
accepts; tests/test_blockkit_preflight.py holds it to that.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

MAX_BLOCKS = 50
# The block types Slack's docs list for messages: a misspelt type in an operator's template is
# the commonest mistake, and Slack would refuse every post made from it (invalid_blocks).
MESSAGE_BLOCK_TYPES = frozenset({
    "actions", "context", "divider", "file", "header", "image", "input", "markdown",
    "rich_text", "section", "video", "table",
})


@dataclass(frozen=True)
class TextRule:
    """Where a block holds text objects, and what Slack allows there."""

    max_len: int | None
    plain_only: bool = False
    many: bool = False  # a list of text objects (section fields, context elements)


TEXT_RULES: dict[tuple[str, str], TextRule] = {
    ("section", "text"): TextRule(3000),
    ("section", "fields"): TextRule(2000, many=True),
    ("header", "text"): TextRule(150, plain_only=True),
    ("context", "elements"): TextRule(None, many=True),
}
MARKDOWN_MAX = 12000

Path = tuple[int | str, ...]


@dataclass(frozen=True)
class Problem:
    path: Path  # inside the list of blocks, e.g. (0, "text", "text")
    message: str

    def __str__(self) -> str:
        return f"{self.message} (at /{'/'.join(map(str, self.path))})"


def _text_problems(obj: Any, path: Path, rule: TextRule) -> list[Problem]:
    kinds = ("plain_text",) if rule.plain_only else ("plain_text", "mrkdwn")
    if not isinstance(obj, dict):
        return [Problem(path, "must be a text object")]
    found: list[Problem] = []
    if obj.get("type") not in kinds:
        found.append(Problem((*path, "type"), f"must be one of: {', '.join(kinds)}"))
    text = obj.get("text")
    if not isinstance(text, str) or not text:
        found.append(Problem((*path, "text"), "must be more than 0 characters"))
    elif rule.max_len is not None and len(text) > rule.max_len:
        found.append(Problem((*path, "text"), f"must be less than {rule.max_len + 1} characters"))
    return found


def _block_problems(block: Any, i: int) -> list[Problem]:
    if not isinstance(block, dict):
        return [Problem((i,), "must be a block object")]
    kind = block.get("type")
    if not isinstance(kind, str) or kind not in MESSAGE_BLOCK_TYPES:
        return [Problem((i, "type"), f"unsupported type: {kind}")]
    found: list[Problem] = []
    for (block_kind, key), rule in TEXT_RULES.items():
        if block_kind != kind or key not in block:
            continue
        value = block[key]
        if not rule.many:
            found += _text_problems(value, (i, key), rule)
        elif isinstance(value, list):
            for j, item in enumerate(value):
                if isinstance(item, dict) and item.get("type") != "image":
                    found += _text_problems(item, (i, key, j), rule)
    text = block.get("text")
    if kind == "markdown" and isinstance(text, str) and len(text) > MARKDOWN_MAX:
        found.append(Problem((i, "text"), f"must be less than {MARKDOWN_MAX + 1} characters"))
    return found


def check_message_blocks(blocks: Any) -> list[Problem]:
    """What Slack would refuse in a message's blocks, as far as this pre-flight looks."""
    if not isinstance(blocks, list):
        return [Problem((), "must be an array")]
    found: list[Problem] = []
    if len(blocks) > MAX_BLOCKS:
        found.append(Problem((), f"no more than {MAX_BLOCKS} items allowed"))
    for i, block in enumerate(blocks):
        found += _block_problems(block, i)
    return found
