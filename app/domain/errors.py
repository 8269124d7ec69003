"""Domain errors: each carries the plain-words message the person who acted should see."""

from __future__ import annotations


class BeaconError(Exception):
    """Base for errors shown to the user. `field` names the input at fault, if any, in the
    domain's words (the API reports it as is; each modal maps it to one of its blocks)."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.user_message = message
        self.field = field


class IncidentNotFound(BeaconError):
    def __init__(self, incident_id: str) -> None:
        super().__init__(
            f"I can't find incident {incident_id}. Check the id with `/incident list`."
        )


class AlreadyDone(BeaconError):
    """The transition already happened (another click won, or the button is stale)."""


class InvalidInput(BeaconError):
    pass


class DatabaseUnavailable(BeaconError):
    def __init__(self) -> None:
        super().__init__(
            "Beacon can't reach its database right now, so nothing was changed. "
            "Please try again in a moment."
        )
