"""beacon.yml: one module a section, validated at start-up by `load_config`.

Callers import the top-level model, the loader and the names shared across sections from
here; a section's own types come from its module (e.g. `app.config.oncall`).
"""

from app.config.beacon import (
    SEVERITY_ORDER,
    URGENCY_COLOUR,
    ApprovalsConfig,
    BeaconConfig,
    EventKind,
    load_config,
)
from app.settings import StartupError

__all__ = [
    "SEVERITY_ORDER",
    "URGENCY_COLOUR",
    "ApprovalsConfig",
    "BeaconConfig",
    "EventKind",
    "StartupError",
    "load_config",
]
