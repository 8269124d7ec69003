"""The `declare_incident` workflow step: declares as the modal does; ends once the card is up."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext

from app.domain.models import Incident
from listeners.functions.run import start_step
from views.workflow_steps import DeclareStep, card_posted, declared_outputs

if TYPE_CHECKING:
    from app.container import Beacon

CARD_WAIT_S = 10.0  # the outputs carry the card's channel and link once the notifier posted it
CARD_POLL_S = 0.1


async def handle_declare_step(
    ack: AsyncAck,
    event: dict[str, Any],
    inputs: dict[str, Any],
    context: AsyncBoltContext,
) -> None:
    await ack()

    async def work(beacon: Beacon) -> dict[str, Any]:
        step = DeclareStep.parse(inputs)
        incident = await beacon.incidents.declare(step.new_incident())
        return declared_outputs(await posted(beacon, incident, step.create_channel))

    start_step(context, event, work)


async def posted(beacon: Beacon, incident: Incident, wants_channel: bool) -> Incident:
    """The incident once its card (and dedicated channel) is in Slack, or as it is after
    CARD_WAIT_S (routed nowhere, Slack slow): the step then carries only its id."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + CARD_WAIT_S
    while not card_posted(incident, wants_channel) and loop.time() < deadline:
        await asyncio.sleep(CARD_POLL_S)  # the notifier records the card in Redis: no event
        incident = await beacon.incidents.get(incident.id)
    return incident
