"""A storm rollup's buttons: Acknowledge all, and each row's ⋯ menu."""

from __future__ import annotations

from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from listeners.context import beacon_of, channel_of, user_of
from listeners.errors import tell_user
from views import rollup as views
from views.context import IncidentModalContext, RollupAction, RollupRef
from views.ids import RollupVerb
from views.modals.details import details_modal
from views.modals.resolve import resolve_modal


async def handle_ack_all(
    ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient,
    context: AsyncBoltContext,
) -> None:
    await ack()
    ref = RollupRef.parse(action.get("value"))
    done, skipped = await beacon_of(context).incidents.acknowledge_all(ref.rollup_id,
                                                                      user_of(body))
    await tell_user(body, client, views.ack_all_answer(done, skipped))


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
            await client.views_open(trigger_id=body["trigger_id"],
                                    view=resolve_modal(incident.id, incident.title, context=ctx))
        case _:
            incident = await incidents.get(choice.incident_id)
            beacon = beacon_of(context)
            await client.views_open(trigger_id=body["trigger_id"], view=details_modal(
                incident, beacon.config, now=beacon.clock.now()))
