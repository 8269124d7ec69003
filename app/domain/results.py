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

    # Scripts that refuse because someone changed it first report (who, when) as details.
    @property
    def by(self) -> str | None:
        return (self.details[0] or None) if self.details else None

    @property
    def at(self) -> float | None:
        """Epoch seconds."""
        return float(self.details[1]) if len(self.details) > 1 and self.details[1] else None


Outcome = Transition | Refused


# A request handled before (a Slack redelivery of the same envelope): nothing was changed, and
# nobody is told anything new. Transitions that take a `once` key answer it.
REPEATED = Refused("repeated")


# A refusal the script recorded itself as the answer to whoever asked (the transition's `tell`
# argument, lua/_prelude.lua `refuse_to`): nothing is raised and nobody else tells them.
TOLD = Refused("told")
