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


class InvalidFields(InvalidInput):
    """Several inputs at fault at once (field -> message). Where only one can be shown (the API)
    it reads as the first of them; a modal shows each on its own block."""

    def __init__(self, errors: dict[str, str]) -> None:
        field, message = next(iter(errors.items()))
        super().__init__(message, field=field)
        self.errors = errors


class UnknownName(InvalidInput):
    """A name the person typed that the config does not know. The message quotes it as typed
    between `before` and `after`; Slack's wording escapes it first."""

    def __init__(self, before: str, name: str, after: str) -> None:
        super().__init__(f"{before}`{name}`{after}")
        self.before = before
        self.name = name
        self.after = after
