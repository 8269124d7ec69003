"""Modal state parsed once into typed forms; handlers never index view.state.values.

Each form also says which of its blocks shows an error about a domain field (FIELDS), so a
refusal lands on the right input whatever the domain calls it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from views.ids import ActionId, BlockId, CallbackId, OptionValue
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

    FIELDS: ClassVar[dict[str, BlockId]] = {
        "title": BlockId.TITLE,
        "description": BlockId.DESCRIPTION,
        "service": BlockId.SERVICE,
        "severity": BlockId.SEVERITY,
        "assignee": BlockId.ASSIGNEE,
    }

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

    FIELDS: ClassVar[dict[str, BlockId]] = {"note": BlockId.NOTE}

    @classmethod
    def from_view(cls, view: dict[str, Any]) -> ResolveForm:
        return cls(note=_text(view, BlockId.NOTE, ActionId.NOTE))


@dataclass(frozen=True)
class SnoozeForm:
    raw: str
    seconds: int | None

    FIELDS: ClassVar[dict[str, BlockId]] = {"duration": BlockId.SNOOZE_FOR}

    @classmethod
    def from_view(cls, view: dict[str, Any]) -> SnoozeForm:
        raw = _text(view, BlockId.SNOOZE_FOR, ActionId.SNOOZE_FOR)
        return cls(raw=raw, seconds=parse_duration(raw))


@dataclass(frozen=True)
class DenyForm:
    reason: str

    FIELDS: ClassVar[dict[str, BlockId]] = {"reason": BlockId.DENY_REASON}

    @classmethod
    def from_view(cls, view: dict[str, Any]) -> DenyForm:
        return cls(reason=_text(view, BlockId.DENY_REASON, ActionId.DENY_REASON))


@dataclass(frozen=True)
class RetroForm:
    """The Schedule retrospective modal."""

    date: str
    owner: str
    notes: str

    FIELDS: ClassVar[dict[str, BlockId]] = {
        "date": BlockId.RETRO_DATE,
        "owner": BlockId.RETRO_OWNER,
        "notes": BlockId.RETRO_NOTES,
    }

    @classmethod
    def from_view(cls, view: dict[str, Any]) -> RetroForm:
        date = _element(view, BlockId.RETRO_DATE, ActionId.RETRO_DATE).get("selected_date")
        owner = _element(view, BlockId.RETRO_OWNER, ActionId.RETRO_OWNER).get("selected_user")
        return cls(
            date=date or "",
            owner=owner or "",
            notes=_text(view, BlockId.RETRO_NOTES, ActionId.RETRO_NOTES),
        )


# Each modal's field table, by the modal's callback id.
FIELD_BLOCKS: dict[str, dict[str, BlockId]] = {
    CallbackId.DECLARE_MODAL: DeclareForm.FIELDS,
    CallbackId.RESOLVE_MODAL: ResolveForm.FIELDS,
    CallbackId.SNOOZE_MODAL: SnoozeForm.FIELDS,
    CallbackId.DENY_MODAL: DenyForm.FIELDS,
    CallbackId.RETRO_MODAL: RetroForm.FIELDS,
}


def field_block(view: dict[str, Any], field: str | None) -> BlockId | None:
    """The block of this modal that shows errors about a domain field, if it has one."""
    return FIELD_BLOCKS.get(view.get("callback_id") or "", {}).get(field or "")


def field_errors(view: dict[str, Any], errors: dict[str, str]) -> dict[str, str]:
    """Domain field errors as `response_action: errors` wants them (block id -> message); a
    field the modal has no block for goes on its first input."""
    out: dict[str, str] = {}
    for field, message in errors.items():
        block = field_block(view, field) or first_input_block(view)
        if block:
            out.setdefault(block, message)
    return out


def first_input_block(view: dict[str, Any]) -> str | None:
    for block in view.get("blocks") or []:
        if block.get("type") == "input":
            return block.get("block_id")
    return None
