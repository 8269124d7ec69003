from __future__ import annotations

import logging
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from listeners.context import beacon_of, user_of
from views.context import DeclareContext
from views.incident import declared_text
from views.modals.declare import DeclareForm

log = logging.getLogger(__name__)


async def handle_declare_submission(
    ack: AsyncAck,
    body: dict[str, Any],
    view: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
) -> None:
    beacon = beacon_of(context)
    form = DeclareForm.from_view(view)
    ctx = DeclareContext.parse(view.get("private_metadata"))
    user = user_of(body)
    new = form.new_incident(user, ctx)
    # One Lua call: fast enough to finish before the ack, so a failure shows in the modal
    # (invalid fields each on their own block, by the error path).
    incident = await beacon.incidents.declare(new)
    await ack()
    if ctx.channel_id:
        text = declared_text(incident)
        try:
            await client.chat_postEphemeral(channel=ctx.channel_id, user=user, text=text)
        except SlackApiError as exc:  # the card still goes out; this is only a courtesy
            log.info("no declare confirmation in %s: %s", ctx.channel_id, exc.response["error"])
