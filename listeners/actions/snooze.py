from __future__ import annotations

from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from listeners.context import beacon_of, channel_of, user_of
from views.context import IncidentModalContext, SnoozeChoice
from views.modals.snooze import snooze_modal


async def handle_snooze_choice(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
) -> None:
    await ack()
    choice = SnoozeChoice.parse((action.get("selected_option") or {}).get("value"))
    if choice.seconds is None:
        ctx = IncidentModalContext(incident_id=choice.incident_id, channel_id=channel_of(body))
        await client.views_open(
            trigger_id=body["trigger_id"], view=snooze_modal(choice.incident_id, context=ctx)
        )
        return
    await beacon_of(context).incidents.snooze(choice.incident_id, user_of(body), choice.seconds)
