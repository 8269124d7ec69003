"""`approvals:` in beacon.yml: where approval requests are posted and who may decide them."""

from __future__ import annotations

from typing import Literal

from app.config.base import Strict

RISKS = ("low", "medium", "high", "critical")


class ApprovalsConfig(Strict):
    """Approval requests: where the cards go and who may decide."""

    channel: str | None = None  # unset: default_channel
    allow_self_approval: bool = False
    confirm_risks: frozenset[Literal["low", "medium", "high", "critical"]] = frozenset(
        {"high", "critical"}
    )
