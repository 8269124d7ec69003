"""What every workflow step does around its one service call: claim the execution, run once,
end the step with complete() or fail() whatever happens.

Slack may deliver `function_executed` again (its ack was lost, a reconnect): the execution id is
claimed in Redis (the intake API's idempotency records, scope `workflow-step`), so a redelivery
acts no more. If the first run ended, the redelivery says the same result again; if it is still
running, it will end the step itself. Redis down, a refusal or any unexpected error ends the
step with fail() and the words a person would read: a workflow never waits on a silent step.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.context.complete.async_complete import AsyncComplete
from slack_bolt.context.fail.async_fail import AsyncFail
from slack_sdk.errors import SlackApiError

from listeners.context import beacon_of
from listeners.errors import plain_message

if TYPE_CHECKING:
    from app.container import Beacon

log = logging.getLogger("beacon.steps")

SCOPE = "workflow-step"
COMPLETION_ATTEMPTS = 4  # 5xx and dropped connections are retried by the client itself
Work = Callable[["Beacon"], Awaitable[dict[str, Any]]]


# Steps at work after their ack. Bolt answers Socket Mode only once the listener returns
# (process_before_response), and a step may wait on Redis or for its card: the step's work
# runs on after the ack, so Slack never redelivers a step for want of an ack.
_AT_WORK: set[asyncio.Task[None]] = set()


def start_step(context: AsyncBoltContext, event: dict[str, Any], work: Work) -> None:
    task = asyncio.get_running_loop().create_task(
        run_step(context, event, work), name=f"beacon-step-{event.get('function_execution_id')}"
    )
    _AT_WORK.add(task)
    task.add_done_callback(_AT_WORK.discard)


async def run_step(context: AsyncBoltContext, event: dict[str, Any], work: Work) -> None:
    """Run `work` (the step's one service call, returning its outputs) once per execution and
    end the step with its outputs or its error."""
    complete, fail = context.complete, context.fail
    execution = str(event.get("function_execution_id") or "")
    step = str((event.get("function") or {}).get("callback_id") or "")
    try:
        beacon = beacon_of(context)
        claims = beacon.stores.idempotency
        earlier = await claims.begin(SCOPE, execution, step)
    except Exception as exc:  # Redis away: nothing was done, and the step says so
        await end_step(complete, fail, execution, None, plain_message(exc))
        return
    if earlier is not None:
        if not earlier.pending:  # ended before: the same words again, nothing done twice
            body = earlier.body or {}
            await end_step(complete, fail, execution, body.get("outputs"), body.get("error"))
        return  # the first delivery is still running and will end the step
    outputs: dict[str, Any] | None = None
    error: str | None = None
    try:
        outputs = await work(beacon)
    except Exception as exc:  # refusals, bad inputs, Redis lost mid-way, faults alike
        error = plain_message(exc)
    try:
        result = {"outputs": outputs, "error": error}
        await claims.finish(SCOPE, execution, step, 200 if error is None else 409, result)
    except Exception as exc:  # the marker lapses; the step still ends below
        log.warning("could not record the result of step %s %s: %s", step, execution, exc)
    await end_step(complete, fail, execution, outputs, error)


async def end_step(
    complete: AsyncComplete,
    fail: AsyncFail,
    execution: str,
    outputs: dict[str, Any] | None,
    error: str | None,
) -> None:
    """complete(outputs) or fail(error), waiting out Slack's rate limit; logged if Slack
    refuses for good (the workflow then shows Slack's own timeout)."""
    for _ in range(COMPLETION_ATTEMPTS):
        try:
            if error is None:
                await complete(outputs=outputs or {})
            else:
                await fail(error=error)
            return
        except SlackApiError as exc:
            code = exc.response.get("error")
            if code == "execution_not_in_running_state":  # ended already: a redelivery
                return
            if code == "parameter_validation_failed" and error is None:
                log.error("step %s: Slack refused its outputs %s", execution, outputs)
                error = "Beacon's answer did not fit this step's outputs; see Beacon's log."
                continue
            if code != "ratelimited":
                log.error("step %s could not be ended: Slack said %s", execution, code)
                return
            await asyncio.sleep(float(exc.response.headers.get("Retry-After", 1)))
    log.error("step %s could not be ended: still rate limited", execution)
