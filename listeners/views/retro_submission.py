from __future__ import annotations

from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext

from listeners.context import beacon_of, user_of
from views.context import IncidentModalContext
from views.modals.retro import RetroForm


async def handle_retro_submission(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: AsyncBoltContext
) -> None:
    form = RetroForm.from_view(view)
    ctx = IncidentModalContext.parse(view.get("private_metadata"))
    # A bad date or owner raises InvalidInput with the field: the error path puts it there.
    await beacon_of(context).record.schedule_retro(
        ctx.incident_id, user_of(body), form.date, form.owner, form.notes
    )
    await ack()
