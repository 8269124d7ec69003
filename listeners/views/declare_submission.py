from __future__ import annotations

from dataclasses import replace
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext

from app.domain.answers import ReplyTo
from listeners.context import beacon_of, response_url_of, user_of
from views.context import DeclareContext
from views.modals.declare import DeclareForm


async def handle_declare_submission(
    ack: AsyncAck,
    body: dict[str, Any],
    view: dict[str, Any],
    context: AsyncBoltContext,
) -> None:
    beacon = beacon_of(context)
    form = DeclareForm.from_view(view)
    ctx = DeclareContext.parse(view.get("private_metadata"))
    user = user_of(body)
    # Where the confirmation goes once the card is out (the notifier sends it): the slash
    # command's response_url, the channel, the source message's thread, or a DM.
    url = ctx.response_url or response_url_of(body)
    reply_to = ReplyTo(
        user, channel=ctx.channel_id, response_url=url, source_channel=ctx.source_channel,
        source_ts=ctx.source_ts,
        at=ctx.at or beacon.clock.now(),
    )
    # One Lua call: fast enough to finish before the ack, so a failure shows in the modal
    # (invalid fields each on their own block, by the error path).
    await beacon.incidents.declare(replace(form.new_incident(user, ctx), reply_to=reply_to))
    await ack()
