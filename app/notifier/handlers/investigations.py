"""Investigation updates (`POST /api/v1/incidents/{id}/investigation`) in the
configured updates channel: one parent message per incident there, each update a reply in its
thread. Without `investigations.updates_channel` they are card-thread replies like any other
event (Delivery.reply). Posts are recorded on the incident, so a replayed event posts nothing
twice.
"""

from __future__ import annotations

from app.domain.models import Event, Incident
from app.notifier.context import Delivery
from app.slack.channels import ChannelNotFound
from views import incident as card
from views.investigation_updates import updates_parent_text

PARENT_ROLE = "inv-updates:parent"


async def post_investigation_update(
    n: Delivery, incident: Incident, event: Event, *, redelivered: bool
) -> None:
    ref = n.config.investigations.updates_channel
    if not ref:
        return
    try:
        channel = await n.channels.resolve(ref)
    except ChannelNotFound:
        await n.report_failure(event, f"channel_not_found ({ref})")
        return
    if channel is None:
        return
    parent = await n.messages.message_ref(incident.id, PARENT_ROLE)
    if parent is None:
        resp = await n.client.chat_postMessage(
            channel=channel,
            text=updates_parent_text(incident),
            unfurl_links=False,
        )
        await n.messages.record_message(incident.id, PARENT_ROLE, resp["channel"], resp["ts"])
        parent = (resp["channel"], resp["ts"])
    role = f"inv-update:{event.event_id}"
    if await n.already_posted(incident.id, role, event, parent[0], parent[1], redelivered):
        return
    text = card.thread_text(event, incident)
    if text is None:
        return
    resp = await n.client.chat_postMessage(
        channel=parent[0],
        thread_ts=parent[1],
        text=text,
        unfurl_links=False,
        metadata={
            "event_type": "beacon_event",
            "event_payload": {"event_id": event.event_id, "incident_id": incident.id},
        },
    )
    await n.messages.record_message(incident.id, role, resp["channel"], resp["ts"])
