from slack_bolt.async_app import AsyncApp

from listeners.events.app_home_opened import handle_app_home_opened


def register(app: AsyncApp) -> None:
    app.event("app_home_opened")(handle_app_home_opened)
