"""The Post update modal (the card's More ⋯): its builder and the parser of its submission."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from app.domain.models import Incident
from views.blocks import input_block
from views.context import IncidentModalContext
from views.ids import ActionId, BlockId, CallbackId
from views.modals import state
from views.modals.incident_modal import incident_modal, long_text_input


def status_update_modal(incident: Incident, *, context: IncidentModalContext) -> dict[str, Any]:
    text = long_text_input(ActionId.UPDATE_TEXT, "Where things stand, what happens next")
    block = input_block(
        BlockId.STATUS_UPDATE, "Status update", text,
        hint="Posted in the card's thread and the incident channel.",
    )
    return incident_modal(
        "Update on", incident, [block],
        callback_id=CallbackId.UPDATE_MODAL, submit="Post", context=context,
    )


@dataclass(frozen=True)
class StatusUpdateForm:
    text: str

    FIELDS: ClassVar[dict[str, BlockId]] = {"text": BlockId.STATUS_UPDATE}

    @classmethod
    def from_view(cls, view: dict[str, Any]) -> StatusUpdateForm:
        text = state.text(view, BlockId.STATUS_UPDATE, ActionId.UPDATE_TEXT)
        return cls(text=state.required(text, field="text", message="Write the update."))
