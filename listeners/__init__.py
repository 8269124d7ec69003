"""All of Beacon's Slack surfaces; the routing table is in each package's register()."""

from slack_bolt.async_app import AsyncApp

from app.container import Beacon
from listeners import actions, commands, events, functions, shortcuts, views
from listeners.errors import handle_error
from listeners.middleware import make_middleware


def register_listeners(app: AsyncApp, beacon: Beacon | None) -> None:
    app.use(make_middleware(beacon))
    commands.register(app)
    actions.register(app)
    views.register(app)
    shortcuts.register(app)
    events.register(app)
    functions.register(app)
    app.error(handle_error)
