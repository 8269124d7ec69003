from __future__ import annotations

from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext

from listeners.context import answer_for, beacon_of, user_of
from listeners.middleware import fingerprint_of
from views.context import IncidentRef


async def handle_acknowledge(
    ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], context: AsyncBoltContext
) -> None:
    await ack()
    ref = IncidentRef.parse(action.get("value"))
    # The notifier posts the thread reply and updates the card from the event. The redelivery
    # guard is in the transition (listeners/middleware.py GUARDED_BY_TRANSITION), and so is
    # telling whoever was not first: a refused click is one round trip, like an accepted one.
    await beacon_of(context).incidents.acknowledge_click(
        ref.incident_id, user_of(body), once=fingerprint_of(context), tell=answer_for(body, "")
    )
