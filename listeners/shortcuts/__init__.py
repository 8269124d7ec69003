from slack_bolt.async_app import AsyncApp

from listeners.shortcuts.declare_from_message import handle_declare_from_message
from listeners.shortcuts.declare_shortcut import handle_declare_shortcut
from views.ids import CallbackId


def register(app: AsyncApp) -> None:
    app.shortcut(CallbackId.DECLARE_SHORTCUT)(handle_declare_shortcut)
    app.shortcut(CallbackId.DECLARE_FROM_MESSAGE)(handle_declare_from_message)
