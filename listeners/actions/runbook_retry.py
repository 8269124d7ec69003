from __future__ import annotations

from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext

from listeners.context import beacon_of, user_of
from views.runbooks import RunbookStepRef


async def handle_runbook_retry(
    ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], context: AsyncBoltContext
) -> None:
    await ack()
    ref = RunbookStepRef.parse(action.get("value"))
    # The notifier reruns the step from the event and says how it went in the thread.
    await beacon_of(context).runbooks.retry(
        ref.incident_id, ref.run, ref.step, user_of(body)
    )
