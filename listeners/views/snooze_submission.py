from __future__ import annotations

from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext

from listeners.context import beacon_of, user_of
from listeners.forms import SnoozeForm
from views.context import IncidentModalContext
from views.ids import BlockId


async def handle_snooze_submission(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: AsyncBoltContext
) -> None:
    form = SnoozeForm.from_view(view)
    if form.seconds is None:
        await ack(
            response_action="errors",
            errors={BlockId.SNOOZE_FOR: "Write a duration like 45m, 2h, 1h30m or 1d."},
        )
        return
    ctx = IncidentModalContext.parse(view.get("private_metadata"))
    await beacon_of(context).incidents.snooze(ctx.incident_id, user_of(body), form.seconds)
    await ack()
