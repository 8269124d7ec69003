"""Local Slack emulator for the Beacon bot: Web API + Socket Mode + a user driver."""

from .blockkit import validate_message, validate_view
from .driver import ActionResult, CommandResult, DriverError, SlackUser, SubmitResult
from .models import Ack, ApiCall, Channel, Message, User, View
from .server import DEFAULT_SCOPES, EmulatorError, RateLimitHit, SlackEmulator

__all__ = [
    "DEFAULT_SCOPES",
    "Ack",
    "ActionResult",
    "ApiCall",
    "Channel",
    "CommandResult",
    "DriverError",
    "EmulatorError",
    "Message",
    "RateLimitHit",
    "SlackEmulator",
    "SlackUser",
    "SubmitResult",
    "User",
    "View",
    "validate_message",
    "validate_view",
]
