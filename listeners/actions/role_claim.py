from __future__ import annotations

from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext

from listeners.context import beacon_of, user_of
from views.context import RoleClaim


async def handle_role_claim(
    ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], context: AsyncBoltContext
) -> None:
    """A Claim <role> button on the incident channel summary: the clicker takes the role."""
    await ack()
    claim = RoleClaim.parse(action.get("value"))
    user = user_of(body)
    await beacon_of(context).record.assign_role(
        claim.incident_id, user, claim.role, user
    )
