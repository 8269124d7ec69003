"""What the card's More ⋯ modals share: the incident they act on, shown on top, and their
context (which incident, which channel) in private_metadata."""

from __future__ import annotations

from typing import Any

from app.domain.models import NOTE_MAX, Incident
from views.blocks import Block, modal, plain_text, section
from views.context import IncidentModalContext
from views.ids import ActionId, BlockId, CallbackId
from views.mrkdwn import truncate


def incident_modal(
    verb: str,
    incident: Incident,
    blocks: list[Block],
    *,
    callback_id: CallbackId,
    submit: str,
    context: IncidentModalContext,
) -> dict[str, Any]:
    """A modal titled '<verb> INC-42' (24 characters at most), the incident's title first."""
    summary = section(plain_text(truncate(f"{incident.id}: {incident.title}", 2000)),
                      block_id=BlockId.MODAL_SUMMARY)
    return modal(
        truncate(f"{verb} {incident.id}", 24),
        [summary, *blocks],
        callback_id=callback_id,
        submit=submit,
        private_metadata=context.dump(),
    )


def long_text_input(action_id: ActionId, placeholder: str) -> dict[str, Any]:
    """A multiline input as long as the domain takes (a note, a status update)."""
    return {
        "type": "plain_text_input",
        "action_id": action_id,
        "multiline": True,
        "max_length": NOTE_MAX,
        "placeholder": plain_text(placeholder),
    }
