"""The Change severity modal (the card's More ⋯): its builder and the parser of its
submission."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from app.config import BeaconConfig
from app.domain.models import Incident
from views.blocks import input_block, plain_text
from views.context import IncidentModalContext
from views.ids import ActionId, BlockId, CallbackId
from views.modals import state
from views.modals.declare import severity_option
from views.modals.incident_modal import incident_modal


def severity_modal(
    incident: Incident, config: BeaconConfig, *, context: IncidentModalContext
) -> dict[str, Any]:
    select: dict[str, Any] = {
        "type": "static_select",
        "action_id": ActionId.SEVERITY,
        "placeholder": plain_text("Pick a severity"),
        "options": [severity_option(config, key) for key in config.severities],
    }
    if incident.severity in config.severities:
        select["initial_option"] = severity_option(config, incident.severity)
    return incident_modal(
        "Severity of", incident, [input_block(BlockId.SEVERITY, "Severity", select)],
        callback_id=CallbackId.SEVERITY_MODAL, submit="Change", context=context,
    )


@dataclass(frozen=True)
class SeverityForm:
    severity: str

    FIELDS: ClassVar[dict[str, BlockId]] = {"severity": BlockId.SEVERITY}

    @classmethod
    def from_view(cls, view: dict[str, Any]) -> SeverityForm:
        picked = state.selected(view, BlockId.SEVERITY, ActionId.SEVERITY)
        return cls(severity=state.required(picked, field="severity", message="Pick a severity."))
