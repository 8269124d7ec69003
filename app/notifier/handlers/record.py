"""Issue 7, the notifier's side of the incident record: follow-up notes in the card thread, the
retrospective announced, roles (announcement, the holder's DM, the summary re-rendered, the
nudge timer) and the "📌 Added to the timeline" note. Called by Notifier.apply for every
incident event; each post is recorded under its own role, so a replayed event posts nothing twice.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from slack_sdk.errors import SlackApiError

from app.domain.incident_record import raised_nudge_timer, role_nudge_timer
from app.domain.models import Event, EventType, Incident
from app.notifier.handlers.channels import TRANSIENT, IncidentChannels
from views import incident_channel as channel_views
from views import incident_record as views

if TYPE_CHECKING:
    from app.notifier.engine import Notifier

log = logging.getLogger("beacon.incident_record")

# Events after which the pinned summary shows something else (holders, Claim buttons).
SUMMARY_EVENTS = {EventType.ROLE_ASSIGNED}  # state changes: Cards.refresh


class RecordNotifier:
    def __init__(self, notifier: Notifier) -> None:
        self.n = notifier
        self.store = notifier.store
        self.config = notifier.config
        self.client = notifier.client
        self.channels = IncidentChannels(notifier)

    async def apply(self, incident: Incident, event: Event) -> None:
        if event.type in SUMMARY_EVENTS and incident.incident_channel:
            await self.channels._guard(incident, event, "summary", self.refresh_summary(incident))
        data = event.data
        match event.type:
            case EventType.TRIGGERED:
                await self.arm_nudge(incident)
            case EventType.SEVERITY_CHANGED:  # raised into the nudged severities: nudge later
                timer = raised_nudge_timer(
                    self.config, incident.id, severity=str(data.get("severity") or ""),
                    previous=str(data.get("previous") or ""),
                    seq=event.seq, at=event.at,
                )
                if timer is not None:
                    await self.store.arm(incident.id, fields={}, timers=[timer])
            case EventType.FOLLOWUP_ADDED:
                text = views.followup_added_text(incident.id, event.actor, data)
                await self.thread_note(incident, event, text, "followup")
            case EventType.FOLLOWUP_DONE:
                await self.thread_note(
                    incident, event, views.followup_done_text(event.actor, data), "followup"
                )
            case EventType.RETRO_SCHEDULED:
                text = views.retro_text(incident.id, event.actor, data)
                await self.channels.both(incident, event, text, "retro")
            case EventType.ROLE_ASSIGNED:
                text = views.role_assigned_text(
                    incident.id,
                    str(data.get("role")),
                    str(data.get("user")),
                    event.actor,
                    str(data.get("previous") or ""),
                )
                await self.channels.one(incident, event, text, "role")
                await self.dm_holder(incident, event)
            case EventType.ROLES_UNCLAIMED:
                text = views.roles_unclaimed_text(
                    incident, list(data.get("roles") or []), self.config.role_nudge_minutes
                )
                await self.channels.one(incident, event, text, "roles-unclaimed")
            case EventType.MESSAGE_PINNED:
                channel = str(data.get("channel") or "")
                thread = str(data.get("thread_ts") or data.get("ts") or "")
                await self.channels.post(
                    incident, event, channel, thread, views.PINNED_NOTE, f"pinned:{event.event_id}"
                )

    async def thread_note(self, incident: Incident, event: Event, text: str, name: str) -> None:
        """The card thread (the incident channel may be archived by now)."""
        role = f"ic:{name}:thread:{event.event_id}"
        await self.channels.post(incident, event, incident.channel, incident.card_ts, text, role)

    async def arm_nudge(self, incident: Incident) -> None:
        timer = role_nudge_timer(self.config, incident)
        if timer is not None:
            await self.store.arm(incident.id, fields={}, timers=[timer])

    async def refresh_summary(self, incident: Incident) -> None:
        ref = await self.store.message_ref(incident.id, "ic:summary")
        if ref is None:
            return
        await self.client.chat_update(
            channel=ref[0],
            ts=ref[1],
            text=channel_views.summary_text(incident, self.config),
            blocks=channel_views.summary_blocks(incident, self.config),
        )

    async def dm_holder(self, incident: Incident, event: Event) -> None:
        holder = str(event.data.get("user") or "")
        role_name = str(event.data.get("role") or "")
        role = f"role-dm:{event.event_id}"
        if not holder or await self.store.message_ref(incident.id, role):
            return
        profile = await self.n.directory.profile(holder)
        if profile.get("deleted"):
            return
        found = next((r for r in self.config.roles if r.name == role_name), None)
        try:
            resp = await self.client.chat_postMessage(
                channel=holder,
                text=views.role_dm_text(incident, found, role_name, event.actor),
                unfurl_links=False,
            )
        except SlackApiError as exc:
            code = str(exc.response.get("error", ""))
            if code in TRANSIENT:
                raise
            log.warning("%s: could not DM the %s %s: %s", incident.id, role_name, holder, code)
            return
        await self.store.record_message(incident.id, role, resp["channel"], resp["ts"])
