"""Posts the daily digest when its event comes through the outbox."""

from __future__ import annotations

from app.domain.models import Event
from app.notifier.context import Delivery
from views.digest import digest_blocks, digest_text
from views.templates import render


async def post_digest(notifier: Delivery, event: Event, digest: object) -> None:
    config = notifier.config
    ref = config.digest.channel or config.default_channel
    if not ref:
        return
    if await notifier.messages.message_ref(event.incident_id, "post"):
        return  # posted before a crash; the event came round again
    channel = await notifier.channels.resolve(ref)
    built = await digest.build()  # type: ignore[attr-defined]
    resp = await notifier.client.chat_postMessage(
        channel=channel,
        text=digest_text(built),
        # a configured digest template first
        blocks=render("digest", config, message_text=digest_text(built))
        or digest_blocks(built, config),
        metadata={
            "event_type": "beacon_event",
            "event_payload": {"event_id": event.event_id, "incident_id": event.incident_id},
        },
    )
    await notifier.messages.record_message(event.incident_id, "post", resp["channel"], resp["ts"])
