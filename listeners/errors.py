"""The one error path: domain errors become a message in the right place."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from typing import Any

from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from app.domain.answers import Answer
from app.domain.errors import BeaconError, DatabaseUnavailable, InvalidFields
from app.store.errors import StoreError
from listeners.context import answer_for, beacon_of
from views.errors import error_text
from views.modals import field_block, field_errors, first_input_block

log = logging.getLogger("beacon.errors")


def user_message(error: Exception) -> str:
    if isinstance(error, StoreError):
        error = DatabaseUnavailable()
    if isinstance(error, BeaconError):  # worded for Slack: mentions, local times
        return error_text(error)
    ref = uuid.uuid4().hex[:8]
    log.error("unexpected error ref=%s", ref, exc_info=error)
    return (
        f"Something went wrong inside Beacon (reference {ref}). Your action may not have "
        "been saved; check `/incident list` and try again."
    )


def plain_message(error: Exception) -> str:
    """The same words for a reader who sees no mrkdwn (a workflow step's error in Workflow
    Builder): people as their ids, times in UTC."""
    if isinstance(error, StoreError):
        error = DatabaseUnavailable()
    if isinstance(error, BeaconError):
        return error.user_message
    return user_message(error)  # logged with its reference


def _modal_errors(error: Exception, message: str, view: dict[str, Any]) -> dict[str, str]:
    """Block id -> message: each field's own block, else the modal's first input."""
    if isinstance(error, InvalidFields):  # several fields at once, each on its block
        return field_errors(view, error.errors)
    block: str | None = field_block(view, getattr(error, "field", None))
    if not (block and block in {b.get("block_id") for b in view.get("blocks") or []}):
        block = first_input_block(view)
    return {block: message} if block else {}


async def handle_error(
    error: Exception,
    body: dict[str, Any],
    client: AsyncWebClient,
    response: BoltResponse | None,
    context: AsyncBoltContext,
) -> BoltResponse | None:
    message = user_message(error)
    not_acked = response is not None
    if body.get("type") == "view_submission" and not_acked:
        errors = _modal_errors(error, message, body.get("view") or {})
        if errors:
            payload = {"response_action": "errors", "errors": errors}
            return BoltResponse(
                status=200, body=json.dumps(payload), headers={"content-type": "application/json"}
            )
    # Redis away: recording the answer would only wait out its retries again.
    redis_away = isinstance(error, StoreError | DatabaseUnavailable)
    await tell_user(body, context, client, message, durable=not redis_away)
    return BoltResponse(status=200, body="") if not_acked else None


# Answers sent straight to Slack while Redis is away (kept so they are not collected).
_DIRECT: set[asyncio.Task[None]] = set()


async def tell_user(
    body: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient, message: str,
    *, durable: bool = True,
) -> None:
    """Through the answer path, like every answer. Only when Redis cannot record it (it is
    away, which is often why there is an error to tell) is it sent straight to Slack, once,
    without holding the ack."""
    reply = answer_for(body, message)
    try:
        if durable:
            await beacon_of(context).answers.tell(reply)
            return
    except Exception as exc:
        log.warning("answer not recorded (%s): sending it to %s directly", exc, reply.user)
    task = asyncio.create_task(_send_directly(reply, client))
    _DIRECT.add(task)
    task.add_done_callback(_DIRECT.discard)


async def _send_directly(reply: Answer, client: AsyncWebClient) -> None:
    try:
        if reply.response_url:
            # Through the shared session: Bolt's respond() opens a new one per call.
            webhook = AsyncWebhookClient(reply.response_url, session=client.session)
            await webhook.send(text=reply.text, response_type="ephemeral",
                               replace_original=False)
        elif reply.channel:
            await client.chat_postEphemeral(channel=reply.channel, user=reply.user,
                                            text=reply.text)
        elif reply.user:
            await client.chat_postMessage(channel=reply.user, text=reply.text)
    except Exception:
        log.exception("could not deliver error message to the user")
