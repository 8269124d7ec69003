"""A storm rollup's Acknowledge all button: the clicker takes every incident still waiting."""

from __future__ import annotations

from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext

from listeners.context import answer, beacon_of, user_of
from views.context import RollupRef
from views.rollup import ack_all_answer


async def handle_ack_all(
    ack: AsyncAck, body: dict[str, Any], action: dict[str, Any],
    context: AsyncBoltContext,
) -> None:
    await ack()
    ref = RollupRef.parse(action.get("value"))
    incidents = beacon_of(context).incidents
    done, skipped = await incidents.acknowledge_all(ref.rollup_id, user_of(body))
    await answer(context, body, ack_all_answer(done, skipped))
