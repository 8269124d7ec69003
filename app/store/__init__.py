"""The only code that talks to Redis."""

from app.store.store import IncidentStore, Refused, Transition

__all__ = ["IncidentStore", "Refused", "Transition"]
