from slack_bolt.async_app import AsyncApp

from listeners.commands.incident_command import handle_incident_command

COMMAND = "/incident"


def register(app: AsyncApp) -> None:
    app.command(COMMAND)(handle_incident_command)
