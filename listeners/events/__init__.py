from slack_bolt.async_app import AsyncApp

from listeners.events.app_home_opened import handle_app_home_opened
from listeners.events.app_uninstalled import handle_uninstalled
from listeners.events.reaction_added import handle_reaction_added


def register(app: AsyncApp) -> None:
    app.event("app_home_opened")(handle_app_home_opened)
    app.event("reaction_added")(handle_reaction_added)  # timeline capture
    app.event("app_uninstalled")(handle_uninstalled)
    app.event("tokens_revoked")(handle_uninstalled)
