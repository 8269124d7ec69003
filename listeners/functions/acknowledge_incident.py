"""The `acknowledge_incident` workflow step: the Acknowledge button's transition."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext

from listeners.functions.run import start_step
from views.workflow_steps import IncidentStep, status_outputs

if TYPE_CHECKING:
    from app.container import Beacon


async def handle_acknowledge_step(
    ack: AsyncAck,
    event: dict[str, Any],
    inputs: dict[str, Any],
    context: AsyncBoltContext,
) -> None:
    await ack()

    async def work(beacon: Beacon) -> dict[str, Any]:
        step = IncidentStep.parse(inputs)
        return status_outputs(await beacon.incidents.acknowledge(step.incident_id, step.actor))

    start_step(context, event, work)
