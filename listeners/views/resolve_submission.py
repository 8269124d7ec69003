from __future__ import annotations

from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext

from listeners.context import beacon_of, user_of
from listeners.middleware import fingerprint_of
from views.context import IncidentModalContext
from views.modals.resolve import ResolveForm


async def handle_resolve_submission(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: AsyncBoltContext
) -> None:
    form = ResolveForm.from_view(view)
    ctx = IncidentModalContext.parse(view.get("private_metadata"))
    await beacon_of(context).incidents.resolve(
        ctx.incident_id, user_of(body), form.note, once=fingerprint_of(context)
    )
    await ack()
