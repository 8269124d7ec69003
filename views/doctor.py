"""The doctor's test card: the real incident card, of a sample incident marked TEST,
with its buttons taken off so nothing in it can act on a real incident (pure)."""

from __future__ import annotations

from typing import Any

from app.config import BeaconConfig
from app.domain.models import Incident, Status
from views import incident as card
from views.blocks import context, header, section

TEST_TEXT = "Beacon doctor: test message. Beacon can post here; nothing to do."


def sample_incident(now: float) -> Incident:
    return Incident(
        id="INC-TEST",
        number=0,
        title="TEST — Beacon doctor test card",
        description="A sample incident, so you can see how cards look here. It is not real.",
        service=None,
        severity="P3",
        status=Status.TRIGGERED,
        reporter="",
        assignee=None,
        created_at=now,
    )


def test_card_attachments(config: BeaconConfig, *, now: float) -> list[dict[str, Any]]:
    """The card exactly as Beacon renders it, minus its action blocks, plus a TEST note."""
    attachments = card.card_attachments(sample_incident(now), config, now=now)
    for attachment in attachments:
        blocks = [b for b in attachment["blocks"] if b.get("type") != "actions"]
        blocks.append(
            context(
                "🧪 *TEST* card from `beacon doctor`: no incident was "
                "declared and there is nothing to do."
            )
        )
        attachment["blocks"] = blocks
    return attachments


def test_message_blocks() -> list[dict[str, Any]]:
    return [
        header("✅ Beacon doctor"),
        section(TEST_TEXT),
    ]
