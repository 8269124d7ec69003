"""A domain error as the person who acted reads it in Slack: mentions, local times, and what
they typed escaped. Errors with no Slack wording of their own read as their plain message."""

from __future__ import annotations

from app.domain.errors import BeaconError, UnknownName
from app.domain.oncall_service import NotScheduleAdmin
from app.domain.refusals import RefusalError
from views.mrkdwn import escape
from views.oncall import not_admin_text
from views.refusals import refusal_text


def error_text(error: BeaconError) -> str:
    if isinstance(error, RefusalError):
        return refusal_text(error.refusal)
    if isinstance(error, NotScheduleAdmin):
        return not_admin_text(error)
    if isinstance(error, UnknownName):
        return f"{error.before}`{escape(error.name)}`{error.after}"
    return error.user_message
