"""The Resolve modal: its builder and the parser of its submission."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from app.domain.models import NOTE_MAX
from views.blocks import input_block, modal, plain_text, section
from views.context import IncidentModalContext
from views.ids import ActionId, BlockId, CallbackId
from views.modals import state
from views.mrkdwn import truncate


def resolve_modal(incident_id: str, title: str, *, context: IncidentModalContext) -> dict[str, Any]:
    note = {
        "type": "plain_text_input",
        "action_id": ActionId.NOTE,
        "multiline": True,
        "max_length": NOTE_MAX,
        "placeholder": plain_text("What fixed it? (optional)"),
    }
    return modal(
        truncate(f"Resolve {incident_id}", 24),
        [
            section(plain_text(truncate(title, 2000))),
            input_block(BlockId.NOTE, "Resolution note", note, optional=True),
        ],
        callback_id=CallbackId.RESOLVE_MODAL,
        submit="Resolve",
        private_metadata=context.dump(),
    )


@dataclass(frozen=True)
class ResolveForm:
    note: str

    FIELDS: ClassVar[dict[str, BlockId]] = {"note": BlockId.NOTE}

    @classmethod
    def from_view(cls, view: dict[str, Any]) -> ResolveForm:
        return cls(note=state.text(view, BlockId.NOTE, ActionId.NOTE))
