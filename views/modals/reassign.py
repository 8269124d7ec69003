"""The Reassign modal (the card's More ⋯): its builder and the parser of its submission."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from app.domain.models import Incident
from views.blocks import input_block, plain_text
from views.context import IncidentModalContext
from views.ids import ActionId, BlockId, CallbackId
from views.modals import state
from views.modals.incident_modal import incident_modal


def reassign_modal(incident: Incident, *, context: IncidentModalContext) -> dict[str, Any]:
    person: dict[str, Any] = {
        "type": "users_select",
        "action_id": ActionId.ASSIGNEE,
        "placeholder": plain_text("Pick a person"),
    }
    if incident.assignee:
        person["initial_user"] = incident.assignee
    return incident_modal(
        "Reassign", incident, [input_block(BlockId.ASSIGNEE, "Assignee", person)],
        callback_id=CallbackId.REASSIGN_MODAL, submit="Reassign", context=context,
    )


@dataclass(frozen=True)
class ReassignForm:
    assignee: str

    FIELDS: ClassVar[dict[str, BlockId]] = {"assignee": BlockId.ASSIGNEE}

    @classmethod
    def from_view(cls, view: dict[str, Any]) -> ReassignForm:
        picked = state.element(view, BlockId.ASSIGNEE, ActionId.ASSIGNEE).get("selected_user")
        message = "Pick the person to assign it to."
        return cls(assignee=state.required(picked, field="assignee", message=message))
