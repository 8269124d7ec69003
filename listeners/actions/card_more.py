"""The card's More ⋯ menu: each option opens its small modal (its submission does the work)."""

from __future__ import annotations

from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from listeners.context import beacon_of, channel_of
from views.context import CardAction, IncidentModalContext
from views.ids import CardVerb
from views.modals.escalate import escalate_modal
from views.modals.note import note_modal
from views.modals.reassign import reassign_modal
from views.modals.severity import severity_modal
from views.modals.status_update import status_update_modal


async def handle_more(
    ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient,
    context: AsyncBoltContext,
) -> None:
    await ack()
    choice = CardAction.parse((action.get("selected_option") or {}).get("value"))
    beacon = beacon_of(context)
    ctx = IncidentModalContext(incident_id=choice.incident_id, channel_id=channel_of(body))
    if choice.verb == CardVerb.ESCALATE:  # refused here, in words, when it cannot escalate
        plan = await beacon.escalations.plan(choice.incident_id)
        view = escalate_modal(plan, context=ctx)
        await client.views_open(trigger_id=body["trigger_id"], view=view)
        return
    incident = await beacon.incidents.get_open(choice.incident_id)  # a stale card: told so
    match choice.verb:
        case CardVerb.REASSIGN:
            view = reassign_modal(incident, context=ctx)
        case CardVerb.NOTE:
            view = note_modal(incident, context=ctx)
        case CardVerb.SEVERITY:
            view = severity_modal(incident, beacon.config, context=ctx)
        case _:
            view = status_update_modal(incident, context=ctx)
    await client.views_open(trigger_id=body["trigger_id"], view=view)
