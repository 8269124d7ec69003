from __future__ import annotations

from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext

from listeners.context import beacon_of, user_of
from views.context import IncidentModalContext
from views.modals.severity import SeverityForm


async def handle_severity_submission(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: AsyncBoltContext
) -> None:
    # A severity Beacon no longer knows (the config changed) is refused on the field.
    form = SeverityForm.from_view(view)
    ctx = IncidentModalContext.parse(view.get("private_metadata"))
    await beacon_of(context).incidents.set_severity(ctx.incident_id, user_of(body), form.severity)
    await ack()
