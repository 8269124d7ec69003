"""The `get_oncall` workflow step: `/incident oncall <schedule|service>`'s answer as outputs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext

from listeners.functions.run import start_step
from views.workflow_steps import OnCallStep, oncall_outputs

if TYPE_CHECKING:
    from app.container import Beacon


async def handle_oncall_step(
    ack: AsyncAck,
    event: dict[str, Any],
    inputs: dict[str, Any],
    context: AsyncBoltContext,
) -> None:
    await ack()

    async def work(beacon: Beacon) -> dict[str, Any]:
        step = OnCallStep.parse(inputs)
        return oncall_outputs(await beacon.oncall.lookup(step.schedule), step.schedule)

    start_step(context, event, work)
