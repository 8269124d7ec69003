"""The notifier's side of the incident record: follow-up notes in the card thread, the
retrospective announced, roles (announcement, the holder's DM, the summary re-rendered, the
nudge timer) and the "📌 Added to the timeline" note. Called by Delivery.apply for every
incident event; each post is recorded under its own role, so a replayed event posts nothing twice.
"""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError

from app.domain.incident_record import raised_nudge_timer, role_nudge_timer
from app.domain.models import Event, Incident
from app.notifier.context import Delivery
from app.notifier.handlers.channels import TRANSIENT, IncidentChannels
from views import incident_channel as channel_views
from views import incident_record as views

log = logging.getLogger("beacon.incident_record")



class RecordNotifier:
    def __init__(self, notifier: Delivery) -> None:
        self.n = notifier
        self.messages = notifier.messages
        self.timers = notifier.timers
        self.config = notifier.config
        self.client = notifier.client
        self.channels = IncidentChannels(notifier)

    # --- handlers (listed in app/notifier/table.py) -------------------------------------------
    async def role_assigned(self, incident: Incident, event: Event, redelivered: bool) -> None:
        if incident.incident_channel:  # the pinned summary shows the holders
            await self.channels._guard(incident, event, "summary", self.refresh_summary(incident))
        data = event.data
        text = views.role_assigned_text(
            incident.id, str(data.get("role")), str(data.get("user")), event.actor,
            str(data.get("previous") or ""),
        )
        await self.channels.one(incident, event, text, "role")
        await self.dm_holder(incident, event)

    async def on_triggered(self, incident: Incident, event: Event, redelivered: bool) -> None:
        await self.arm_nudge(incident)

    async def severity_changed(self, incident: Incident, event: Event, redelivered: bool) -> None:
        """Raised into the nudged severities: nudge for unclaimed roles later."""
        timer = raised_nudge_timer(
            self.config, incident.id, severity=str(event.data.get("severity") or ""),
            previous=str(event.data.get("previous") or ""), seq=event.seq, at=event.at,
        )
        if timer is not None:
            await self.n.arm_later(incident.id, [timer])

    async def followup_added(self, incident: Incident, event: Event, redelivered: bool) -> None:
        text = views.followup_added_text(incident.id, event.actor, event.data)
        await self.thread_note(incident, event, text, "followup")

    async def followup_done(self, incident: Incident, event: Event, redelivered: bool) -> None:
        text = views.followup_done_text(event.actor, event.data)
        await self.thread_note(incident, event, text, "followup")

    async def retro_scheduled(self, incident: Incident, event: Event, redelivered: bool) -> None:
        text = views.retro_text(incident.id, event.actor, event.data)
        await self.channels.both(incident, event, text, "retro")

    async def roles_unclaimed(self, incident: Incident, event: Event, redelivered: bool) -> None:
        text = views.roles_unclaimed_text(
            incident, list(event.data.get("roles") or []), self.config.role_nudge_minutes
        )
        await self.channels.one(incident, event, text, "roles-unclaimed")

    async def message_pinned(self, incident: Incident, event: Event, redelivered: bool) -> None:
        channel = str(event.data.get("channel") or "")
        thread = str(event.data.get("thread_ts") or event.data.get("ts") or "")
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
            await self.n.arm_later(incident.id, [timer])

    async def refresh_summary(self, incident: Incident) -> None:
        ref = await self.messages.message_ref(incident.id, "ic:summary")
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
        if not holder or await self.messages.message_ref(incident.id, role):
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
        await self.messages.record_message(incident.id, role, resp["channel"], resp["ts"])
