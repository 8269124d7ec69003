"""The Add note modal (the card's More ⋯): its builder and the parser of its submission."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from app.domain.models import Incident
from views.blocks import input_block
from views.context import IncidentModalContext
from views.ids import ActionId, BlockId, CallbackId
from views.modals import state
from views.modals.incident_modal import incident_modal, long_text_input


def note_modal(incident: Incident, *, context: IncidentModalContext) -> dict[str, Any]:
    text = long_text_input(ActionId.NOTE, "What did you find or do? It goes to the timeline.")
    return incident_modal(
        "Note on", incident, [input_block(BlockId.NOTE, "Note", text)],
        callback_id=CallbackId.NOTE_MODAL, submit="Add note", context=context,
    )


@dataclass(frozen=True)
class NoteForm:
    text: str

    FIELDS: ClassVar[dict[str, BlockId]] = {"note": BlockId.NOTE}

    @classmethod
    def from_view(cls, view: dict[str, Any]) -> NoteForm:
        text = state.text(view, BlockId.NOTE, ActionId.NOTE)
        return cls(text=state.required(text, field="note", message="Write the note."))
