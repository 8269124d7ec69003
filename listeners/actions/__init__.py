from slack_bolt.async_app import AsyncApp

from listeners.actions.acknowledge import handle_acknowledge
from listeners.actions.approve import handle_approve
from listeners.actions.card_more import handle_more
from listeners.actions.deny import handle_deny_click
from listeners.actions.feedback import handle_feedback
from listeners.actions.home_page import handle_home_page
from listeners.actions.list_page import handle_list_next
from listeners.actions.open_link import handle_open_link
from listeners.actions.reopen import handle_reopen
from listeners.actions.resolve import handle_resolve_click
from listeners.actions.retro import handle_retro_click
from listeners.actions.role_claim import handle_role_claim
from listeners.actions.rollup_ack_all import handle_ack_all
from listeners.actions.rollup_row import handle_row
from listeners.actions.runbook_retry import handle_runbook_retry
from listeners.actions.snooze import handle_snooze_choice
from views.ids import ActionId


def register(app: AsyncApp) -> None:
    # Acknowledge first: Bolt tries listeners in order and builds every listener argument for
    # each matcher it asks, so a storm of clicks pays for each listener registered before it.
    app.action(ActionId.ACK)(handle_acknowledge)
    app.action(ActionId.HOME_PAGE)(handle_home_page)
    app.action(ActionId.HOME_NEXT)(handle_home_page)
    app.action(ActionId.LIST_NEXT)(handle_list_next)
    app.action(ActionId.RESOLVE)(handle_resolve_click)
    app.action(ActionId.SNOOZE)(handle_snooze_choice)
    app.action(ActionId.VIEW)(handle_open_link)
    app.action(ActionId.MORE)(handle_more)
    app.action(ActionId.REOPEN)(handle_reopen)
    app.action(ActionId.APPROVE)(handle_approve)
    app.action(ActionId.DENY)(handle_deny_click)
    app.action(ActionId.RUNBOOK_RETRY)(handle_runbook_retry)
    app.action(ActionId.ROLE_CLAIM)(handle_role_claim)
    app.action(ActionId.RETRO_SCHEDULE)(handle_retro_click)
    app.action(ActionId.ROLLUP_ACK_ALL)(handle_ack_all)
    app.action(ActionId.ROLLUP_ROW)(handle_row)
    for feedback in (
        ActionId.FEEDBACK_ACCURATE,
        ActionId.FEEDBACK_PARTIAL,
        ActionId.FEEDBACK_NEEDS_WORK,
    ):
        app.action(feedback)(handle_feedback)
