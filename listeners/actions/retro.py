from __future__ import annotations

from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from listeners.context import beacon_of, channel_of
from views.context import IncidentModalContext, IncidentRef
from views.modals.retro import retro_modal


async def handle_retro_click(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
) -> None:
    """Schedule retrospective on the resolve summary: open the modal (date, owner, notes)."""
    await ack()
    ref = IncidentRef.parse(action.get("value"))
    draft = await beacon_of(context).record.retro_draft(ref.incident_id)
    ctx = IncidentModalContext(incident_id=draft.incident.id, channel_id=channel_of(body))
    view = retro_modal(draft.incident, context=ctx, today=draft.today)
    await client.views_open(trigger_id=body["trigger_id"], view=view)
