"""The Schedule retrospective modal: its builder and the parser of its submission."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from app.domain.models import Incident
from views.blocks import input_block, modal, plain_text, section
from views.context import IncidentModalContext
from views.ids import ActionId, BlockId, CallbackId
from views.modals import state
from views.mrkdwn import truncate


def retro_modal(incident: Incident, *, context: IncidentModalContext, today: str) -> dict[str, Any]:
    date_el: dict[str, Any] = {
        "type": "datepicker",
        "action_id": ActionId.RETRO_DATE,
        "initial_date": today,
        "placeholder": plain_text("Pick a date"),
    }
    owner_el: dict[str, Any] = {
        "type": "users_select",
        "action_id": ActionId.RETRO_OWNER,
        "placeholder": plain_text("Who runs it"),
    }
    if incident.assignee:
        owner_el["initial_user"] = incident.assignee
    notes_el = {
        "type": "plain_text_input",
        "action_id": ActionId.RETRO_NOTES,
        "multiline": True,
        "max_length": 2000,
        "placeholder": plain_text("Agenda, people to invite, documents (optional)"),
    }
    return modal(
        "Retrospective",
        [
            section(plain_text(truncate(f"{incident.id}: {incident.title}", 2000))),
            input_block(BlockId.RETRO_DATE, "Date", date_el),
            input_block(BlockId.RETRO_OWNER, "Owner", owner_el),
            input_block(BlockId.RETRO_NOTES, "Notes", notes_el, optional=True),
        ],
        callback_id=CallbackId.RETRO_MODAL,
        submit="Schedule",
        private_metadata=context.dump(),
    )


@dataclass(frozen=True)
class RetroForm:
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
        date = state.element(view, BlockId.RETRO_DATE, ActionId.RETRO_DATE).get("selected_date")
        owner = state.element(view, BlockId.RETRO_OWNER, ActionId.RETRO_OWNER).get(
            "selected_user"
        )
        return cls(
            date=date or "",
            owner=owner or "",
            notes=state.text(view, BlockId.RETRO_NOTES, ActionId.RETRO_NOTES),
        )
