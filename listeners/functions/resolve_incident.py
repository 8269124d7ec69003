"""The `resolve_incident` workflow step: the Resolve modal's transition, with its note."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext

from listeners.functions.run import start_step
from views.workflow_steps import IncidentStep, status_outputs

if TYPE_CHECKING:
    from app.container import Beacon


async def handle_resolve_step(
    ack: AsyncAck,
    event: dict[str, Any],
    inputs: dict[str, Any],
    context: AsyncBoltContext,
) -> None:
    await ack()

    async def work(beacon: Beacon) -> dict[str, Any]:
        step = IncidentStep.parse(inputs, "note")
        incident = await beacon.incidents.resolve(step.incident_id, step.actor, step.text)
        return status_outputs(incident)

    start_step(context, event, work)
