"""Local Slack emulator for the Beacon bot: Web API + Socket Mode + a user driver.

Modules, each importing only those listed before it:
  models      plain data (User, Channel, Message, View, Ack, ApiCall)
  blockkit    Block Kit as Slack checks it
  ratelimits  Slack's rate-limit tiers as token buckets
  functions   custom workflow steps: declared steps, their executions
  state       the workspace: its data and invariants, wait_for
  webapi      Web API method handlers, refusing what Slack refuses
  gateway     tokens, injected faults, rate limits and the call log, then a method
  socketmode  WebSocket connections, envelopes, acks, event retries
  driver      SlackUser: what a person does in the Slack client
  server      the aiohttp app, and SlackEmulator composing the parts
"""

from .blockkit import validate_message, validate_view
from .driver import ActionResult, CommandResult, DriverError, SlackUser, SubmitResult
from .gateway import RateLimitHit
from .models import Ack, ApiCall, Channel, Message, User, View
from .server import SlackEmulator
from .state import DEFAULT_SCOPES, EmulatorError

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
