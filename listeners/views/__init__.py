from slack_bolt.async_app import AsyncApp

from listeners.views.declare_submission import handle_declare_submission
from listeners.views.deny_submission import handle_deny_submission
from listeners.views.escalate_submission import handle_escalate_submission
from listeners.views.note_submission import handle_note_submission
from listeners.views.reassign_submission import handle_reassign_submission
from listeners.views.resolve_submission import handle_resolve_submission
from listeners.views.retro_submission import handle_retro_submission
from listeners.views.severity_submission import handle_severity_submission
from listeners.views.snooze_submission import handle_snooze_submission
from listeners.views.status_update_submission import handle_status_update_submission
from views.ids import CallbackId


def register(app: AsyncApp) -> None:
    app.view(CallbackId.DECLARE_MODAL)(handle_declare_submission)
    app.view(CallbackId.RESOLVE_MODAL)(handle_resolve_submission)
    app.view(CallbackId.SNOOZE_MODAL)(handle_snooze_submission)
    app.view(CallbackId.DENY_MODAL)(handle_deny_submission)
    app.view(CallbackId.RETRO_MODAL)(handle_retro_submission)
    app.view(CallbackId.REASSIGN_MODAL)(handle_reassign_submission)
    app.view(CallbackId.NOTE_MODAL)(handle_note_submission)
    app.view(CallbackId.SEVERITY_MODAL)(handle_severity_submission)
    app.view(CallbackId.ESCALATE_MODAL)(handle_escalate_submission)
    app.view(CallbackId.UPDATE_MODAL)(handle_status_update_submission)
