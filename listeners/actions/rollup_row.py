"""A storm rollup row's ⋯ menu: acknowledge, resolve (in a modal), or see the details."""

from __future__ import annotations

from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from listeners.context import beacon_of, channel_of, user_of
from views.context import IncidentModalContext, RollupAction
from views.ids import RollupVerb
from views.modals.details import details_modal
from views.modals.resolve import resolve_modal


async def handle_row(
    ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient,
    context: AsyncBoltContext,
) -> None:
    await ack()
    choice = RollupAction.parse((action.get("selected_option") or {}).get("value"))
    incidents = beacon_of(context).incidents
    match choice.verb:
        case RollupVerb.ACK:
            await incidents.acknowledge(choice.incident_id, user_of(body))
        case RollupVerb.RESOLVE:
            incident = await incidents.get_open(choice.incident_id)
            ctx = IncidentModalContext(incident_id=incident.id, channel_id=channel_of(body))
            view = resolve_modal(incident.id, incident.title, context=ctx)
            await client.views_open(trigger_id=body["trigger_id"], view=view)
        case _:
            beacon = beacon_of(context)
            incident = await incidents.get(choice.incident_id)
            view = details_modal(incident, beacon.config, now=beacon.clock.now())
            await client.views_open(trigger_id=body["trigger_id"], view=view)
