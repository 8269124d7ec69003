from __future__ import annotations

from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext

from listeners.context import beacon_of, user_of
from views.context import IncidentModalContext
from views.modals.reassign import ReassignForm


async def handle_reassign_submission(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: AsyncBoltContext
) -> None:
    form = ReassignForm.from_view(view)
    ctx = IncidentModalContext.parse(view.get("private_metadata"))
    await beacon_of(context).incidents.assign(ctx.incident_id, user_of(body), form.assignee)
    await ack()
