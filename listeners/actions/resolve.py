from __future__ import annotations

from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from listeners.context import beacon_of, channel_of
from views.context import IncidentModalContext, IncidentRef
from views.modals.resolve import resolve_modal


async def handle_resolve_click(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
) -> None:
    await ack()
    ref = IncidentRef.parse(action.get("value"))
    incident = await beacon_of(context).incidents.get_open(ref.incident_id)
    ctx = IncidentModalContext(incident_id=incident.id, channel_id=channel_of(body))
    await client.views_open(
        trigger_id=body["trigger_id"], view=resolve_modal(incident.id, incident.title, context=ctx)
    )
