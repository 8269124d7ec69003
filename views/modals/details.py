"""The Details modal of a storm rollup row: an incident's card, read-only."""

from __future__ import annotations

from typing import Any

from app.config import BeaconConfig
from app.domain.models import Incident
from views.blocks import modal
from views.incident import show_blocks
from views.mrkdwn import truncate


def details_modal(incident: Incident, config: BeaconConfig, *, now: float) -> dict[str, Any]:
    """An incident's card in a modal (a storm rollup row's Details), without buttons."""
    return modal(truncate(incident.id, 24), show_blocks(incident, config, now=now), close="Close")
