"""Modal state parsed once into typed forms; handlers never index view.state.values."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from views.ids import ActionId, BlockId, OptionValue
from views.mrkdwn import parse_duration


def _element(view: dict[str, Any], block: BlockId, action: ActionId) -> dict[str, Any]:
    return ((view.get("state") or {}).get("values") or {}).get(block, {}).get(action) or {}


def _text(view: dict[str, Any], block: BlockId, action: ActionId) -> str:
    return (_element(view, block, action).get("value") or "").strip()


def _selected(view: dict[str, Any], block: BlockId, action: ActionId) -> str | None:
    option = _element(view, block, action).get("selected_option") or {}
    return option.get("value")


@dataclass(frozen=True)
class DeclareForm:
    title: str
    description: str
    service: str | None
    severity: str
    assignee: str | None
    wants_channel: bool

    @classmethod
    def from_view(cls, view: dict[str, Any]) -> DeclareForm:
        checked = _element(view, BlockId.OPTIONS, ActionId.OPTIONS).get("selected_options") or []
        return cls(
            title=_text(view, BlockId.TITLE, ActionId.TITLE),
            description=_text(view, BlockId.DESCRIPTION, ActionId.DESCRIPTION),
            service=_selected(view, BlockId.SERVICE, ActionId.SERVICE),
            severity=_selected(view, BlockId.SEVERITY, ActionId.SEVERITY) or "",
            assignee=_element(view, BlockId.ASSIGNEE, ActionId.ASSIGNEE).get("selected_user"),
            wants_channel=any(o.get("value") == OptionValue.DEDICATED_CHANNEL for o in checked),
        )


@dataclass(frozen=True)
class ResolveForm:
    note: str

    @classmethod
    def from_view(cls, view: dict[str, Any]) -> ResolveForm:
        return cls(note=_text(view, BlockId.NOTE, ActionId.NOTE))


@dataclass(frozen=True)
class SnoozeForm:
    raw: str
    seconds: int | None

    @classmethod
    def from_view(cls, view: dict[str, Any]) -> SnoozeForm:
        raw = _text(view, BlockId.SNOOZE_FOR, ActionId.SNOOZE_FOR)
        return cls(raw=raw, seconds=parse_duration(raw))


@dataclass(frozen=True)
class DenyForm:
    reason: str

    @classmethod
    def from_view(cls, view: dict[str, Any]) -> DenyForm:
        return cls(reason=_text(view, BlockId.DENY_REASON, ActionId.DENY_REASON))


@dataclass(frozen=True)
class RetroForm:
    """The Schedule retrospective modal (issue 7)."""

    date: str
    owner: str
    notes: str

    @classmethod
    def from_view(cls, view: dict[str, Any]) -> RetroForm:
        date = _element(view, BlockId.RETRO_DATE, ActionId.RETRO_DATE).get("selected_date")
        owner = _element(view, BlockId.RETRO_OWNER, ActionId.RETRO_OWNER).get("selected_user")
        return cls(
            date=date or "",
            owner=owner or "",
            notes=_text(view, BlockId.RETRO_NOTES, ActionId.RETRO_NOTES),
        )


def first_input_block(view: dict[str, Any]) -> str | None:
    for block in view.get("blocks") or []:
        if block.get("type") == "input":
            return block.get("block_id")
    return None
