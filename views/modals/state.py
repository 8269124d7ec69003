"""Reading a submitted modal's `view.state.values`: one input's element by block and action id.

Only the modal parsers use these; a listener reads the typed form they return.
"""

from __future__ import annotations

from typing import Any

from app.domain.errors import InvalidInput
from views.ids import ActionId, BlockId


def element(view: dict[str, Any], block: BlockId, action: ActionId) -> dict[str, Any]:
    return ((view.get("state") or {}).get("values") or {}).get(block, {}).get(action) or {}


def text(view: dict[str, Any], block: BlockId, action: ActionId) -> str:
    return (element(view, block, action).get("value") or "").strip()


def selected(view: dict[str, Any], block: BlockId, action: ActionId) -> str | None:
    option = element(view, block, action).get("selected_option") or {}
    return option.get("value")


def required(value: str | None, *, field: str, message: str) -> str:
    """A required input's value; blank (Slack lets spaces through) refused on its field."""
    if not value:
        raise InvalidInput(message, field=field)
    return value
