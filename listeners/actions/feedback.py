from __future__ import annotations

from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext

from app.domain.errors import InvalidInput
from app.domain.investigations import Rating
from listeners.context import beacon_of, user_of
from views.context import FeedbackVote


async def handle_feedback(
    ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], context: AsyncBoltContext
) -> None:
    await ack()
    vote = FeedbackVote.parse(action.get("value"))
    try:
        rating = Rating(vote.rating)
    except ValueError:
        raise InvalidInput("That feedback button is from an older version of Beacon.") from None
    # One vote per person; the notifier updates the counts on the message.
    await beacon_of(context).investigations.vote(vote.investigation_id, user_of(body), rating)
