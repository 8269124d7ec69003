"""What a storage transition answers: it happened (Transition) or it was refused (Refused)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Transition:
    """A transition that happened: the event it appended."""

    event_id: str


@dataclass(frozen=True)
class Refused:
    """A transition the script refused, with why (code) and details (who, when)."""

    code: str
    details: tuple[str, ...] = ()


Outcome = Transition | Refused
