"""The custom Snooze modal: its builder and the parser of its submission."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from app.domain.errors import InvalidInput
from views.blocks import input_block, modal, plain_text
from views.context import IncidentModalContext
from views.ids import ActionId, BlockId, CallbackId
from views.modals import state
from views.mrkdwn import parse_duration, truncate


def snooze_modal(incident_id: str, *, context: IncidentModalContext) -> dict[str, Any]:
    duration = {
        "type": "plain_text_input",
        "action_id": ActionId.SNOOZE_FOR,
        "placeholder": plain_text("e.g. 45m, 2h, 1h30m, 1d"),
    }
    return modal(
        truncate(f"Snooze {incident_id}", 24),
        [
            input_block(
                BlockId.SNOOZE_FOR,
                "Snooze for",
                duration,
                hint="Pages stay quiet until then; the assignee gets a DM when it ends.",
            )
        ],
        callback_id=CallbackId.SNOOZE_MODAL,
        submit="Snooze",
        private_metadata=context.dump(),
    )


@dataclass(frozen=True)
class SnoozeForm:
    raw: str
    seconds: int

    FIELDS: ClassVar[dict[str, BlockId]] = {"duration": BlockId.SNOOZE_FOR}

    @classmethod
    def from_view(cls, view: dict[str, Any]) -> SnoozeForm:
        """The duration typed; text that is not one is refused on its field."""
        raw = state.text(view, BlockId.SNOOZE_FOR, ActionId.SNOOZE_FOR)
        seconds = parse_duration(raw)
        if seconds is None:
            raise InvalidInput("Write a duration like 45m, 2h, 1h30m or 1d.", field="duration")
        return cls(raw=raw, seconds=seconds)
