"""What an incident shows of its Alertmanager alerts: counts and a capped list, kept on the
incident by alerts.lua so the card renders from the incident alone."""

from __future__ import annotations

import json
from dataclasses import dataclass

CARD_ALERTS = 10  # alerts listed on the card (firing first); the rest are counted


@dataclass(frozen=True)
class AlertLine:
    name: str
    firing: bool
    starts_at: float  # epoch seconds, 0 when the sender gave none
    ends_at: float


@dataclass(frozen=True)
class AlertListing:
    firing: int
    resolved: int
    shown: tuple[AlertLine, ...]
    seen_at: float  # the last notification, repeats included
    not_shown: int = 0  # over alertmanager.max_alerts in the last notification
    truncated: int = 0  # Alertmanager's own truncatedAlerts in the last notification

    @property
    def total(self) -> int:
        return self.firing + self.resolved

    @classmethod
    def from_redis(cls, raw: dict[str, str]) -> AlertListing | None:
        if not raw.get("am_seen"):
            return None
        rows = json.loads(raw.get("am_top") or "[]")
        shown = tuple(
            AlertLine(
                name=str(row.get("n", "")),
                firing=row.get("s") == "firing",
                starts_at=float(row.get("t") or 0),
                ends_at=float(row.get("e") or 0),
            )
            for row in (rows if isinstance(rows, list) else [])  # Lua's empty table is {}
        )
        return cls(
            firing=int(raw.get("am_firing") or 0),
            resolved=int(raw.get("am_resolved") or 0),
            shown=shown,
            seen_at=float(raw["am_seen"]),
            not_shown=int(raw.get("am_not_shown") or 0),
            truncated=int(raw.get("am_truncated") or 0),
        )
