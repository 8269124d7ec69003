"""beacon.yml as a package: one module a section, put together and loaded in `beacon`.

Here: the names callers use (the config, its loader and the error the loader raises, the
severity order, event kinds); a section's own types come from its module, like
`app.config.oncall`.
"""

from app.config.approvals import ApprovalsConfig
from app.config.base import SEVERITY_ORDER
from app.config.beacon import BeaconConfig, load_config
from app.config.routing import URGENCY_COLOUR, EventKind
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
