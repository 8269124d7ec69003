"""Beacon's modals, one module each with its builder and the parser of its submission.

This package also says, for a submitted modal, which of its blocks shows an error about a
domain field (each form's FIELDS table, found by the modal's callback id), so a refusal lands
on the right input whatever the domain calls the field.
"""

from __future__ import annotations

from typing import Any

from views.ids import BlockId, CallbackId
from views.modals.declare import DeclareForm
from views.modals.deny import DenyForm
from views.modals.note import NoteForm
from views.modals.reassign import ReassignForm
from views.modals.resolve import ResolveForm
from views.modals.retro import RetroForm
from views.modals.severity import SeverityForm
from views.modals.snooze import SnoozeForm
from views.modals.status_update import StatusUpdateForm

# Each modal's field table, by the modal's callback id.
FIELD_BLOCKS: dict[str, dict[str, BlockId]] = {
    CallbackId.DECLARE_MODAL: DeclareForm.FIELDS,
    CallbackId.RESOLVE_MODAL: ResolveForm.FIELDS,
    CallbackId.SNOOZE_MODAL: SnoozeForm.FIELDS,
    CallbackId.DENY_MODAL: DenyForm.FIELDS,
    CallbackId.RETRO_MODAL: RetroForm.FIELDS,
    CallbackId.REASSIGN_MODAL: ReassignForm.FIELDS,
    CallbackId.NOTE_MODAL: NoteForm.FIELDS,
    CallbackId.SEVERITY_MODAL: SeverityForm.FIELDS,
    CallbackId.UPDATE_MODAL: StatusUpdateForm.FIELDS,
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
