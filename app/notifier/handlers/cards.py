"""The incident card, its thread replies, the assignee DM, and keeping every message that shows
the incident's state current (card, page DMs, assignee DMs, pinned summary)."""

from __future__ import annotations

import logging
from dataclasses import replace
from functools import partial
from typing import Any

from slack_sdk.errors import SlackApiError

from app.config import EventKind
from app.domain.models import Event, EventType, Incident
from app.domain.routing import event_enabled
from app.notifier.context import Delivery
from app.notifier.poster import is_transient
from app.slack.channels import ChannelNotFound
from views import incident as card
from views import incident_channel as channel_views
from views import templates
from views.mrkdwn import user

log = logging.getLogger("beacon.notifier")

EVENT_KIND = {
    EventType.TRIGGERED: EventKind.TRIGGERED,
    EventType.ACKNOWLEDGED: EventKind.ACKNOWLEDGED,
    EventType.RESOLVED: EventKind.RESOLVED,
    EventType.SNOOZED: EventKind.SNOOZED,
    EventType.UNSNOOZED: EventKind.SNOOZED,
    EventType.NOTE_ADDED: EventKind.NOTE_ADDED,
    EventType.ASSIGNED: EventKind.UPDATED,
    EventType.SEVERITY_CHANGED: EventKind.UPDATED,
    EventType.REFIRED: EventKind.TRIGGERED,
    EventType.ALERTS_CHANGED: EventKind.TRIGGERED,
    EventType.INVESTIGATION: EventKind.UPDATED,
}
# Roles of the DMs that show an incident: re-rendered with the card on every change.
PAGE_ROLE = "page"
ASSIGNEE_ROLE = "dm"


def page_role(event: Event, user_id: str, level: int) -> str:
    return f"{PAGE_ROLE}:{event.event_id}:{user_id}:L{level}"


class Cards:
    def __init__(self, notifier: Delivery) -> None:
        self.n = notifier
        self.incidents = notifier.incidents
        self.messages = notifier.messages
        self.config = notifier.config

    def _record(self, incident_id: str, role: str, *, card: bool = False):
        async def record(channel: str, ts: str) -> None:
            await self.messages.record_message(incident_id, role, channel, ts, card=card)

        return record

    # --- the card ------------------------------------------------------------------------
    async def post_card(
        self, incident: Incident, event: Event, redelivered: bool
    ) -> Incident | bool:
        """Posts the card (or lists the incident on a storm rollup). Returns the incident with
        its card's place, or True when it changed otherwise (listed on a rollup)."""
        try:
            ref, channel = await self.n.channel_for(incident)
        except ChannelNotFound as exc:
            await self.n.report_failure(event, f"channel_not_found ({exc.name})")
            return False
        if channel is None or not event_enabled(self.config, ref or "", EventKind.TRIGGERED):
            return False
        # The card's place is recorded on the incident itself (record_message, card=1).
        known = (incident.channel, incident.card_ts) if incident.channel and incident.card_ts \
            else None
        if known is None and await self.n.rollups.take(incident, event, channel, redelivered):
            return True  # a storm: the incident is listed on the channel's rollup instead
        place = await self.n.poster.post(
            known=known,
            record=self._record_later,  # once, with the permalink (a crash: found by metadata)
            event=event,
            channel=channel,
            lookup=redelivered,
            **card.card_message(incident, self.config, now=self.n.clock.now()),
        )
        channel, ts = place
        posted = replace(incident, channel=channel, card_ts=ts)
        if posted.permalink:
            return posted
        try:
            link = await self.n.client.chat_getPermalink(channel=channel, message_ts=ts)
        except BaseException:
            await self.messages.record_message(incident.id, "card", channel, ts, card=True)
            raise
        permalink = str(link["permalink"])
        posted = replace(posted, permalink=permalink)
        await self.messages.record_message(
            incident.id, "card", channel, ts, card=True, permalink=permalink)
        await self.update_card(posted, member=False)  # the View link, now that it is known
        return posted

    @staticmethod
    async def _record_later(channel: str, ts: str) -> None:
        """The card is recorded with its permalink right after (see post_card)."""

    async def update_card(self, incident: Incident, *, member: bool | None = None) -> None:
        if not incident.channel or not incident.card_ts:
            return
        if member is not False and await self.n.rollups.refresh_for(incident):
            return  # its card is a rollup row
        await self.n.client.chat_update(
            channel=incident.channel,
            ts=incident.card_ts,
            **card.card_message(incident, self.config, now=self.n.clock.now()),
        )

    # --- thread replies ------------------------------------------------------------------
    async def reply(self, incident: Incident, event: Event, redelivered: bool) -> None:
        if not incident.channel or not incident.card_ts:
            return
        ref, _ = await self.n.channel_for(incident)
        kind = EVENT_KIND.get(event.type)
        if kind is None or not event_enabled(self.config, ref or incident.channel, kind):
            return
        if event.data.get("bulk"):  # one of many acted on at once: one reply says it
            await self.n.rollups.bulk_reply(incident, event)
            return
        role = f"reply:{event.event_id}"
        known = await self.messages.message_ref(incident.id, role)
        if known is not None:
            return
        text = card.thread_text(event, incident)
        if text is None:
            return
        if await self.n.rollups.is_member(incident.id):
            text = f"*{incident.id}* · {text}"  # the rollup's thread is shared
        await self.n.poster.post(
            known=None,
            record=self._record(incident.id, role),
            event=event,
            channel=incident.channel,
            thread_ts=incident.card_ts,
            lookup=redelivered,
            text=text,
            blocks=templates.render(
                "thread_reply", self.config, incident=incident, message_text=text
            ),
        )

    # --- DMs that show the incident ------------------------------------------------------
    async def dm_assignee(self, incident: Incident, event: Event, redelivered: bool) -> None:
        assignee = incident.assignee
        if not self.config.dm_on_assignment or not assignee or assignee == event.actor:
            return
        role = f"{ASSIGNEE_ROLE}:{event.event_id}"
        known = await self.messages.message_ref(incident.id, role)
        if known is not None:
            return
        profile = await self.n.directory.profile(assignee)
        if profile.get("deleted"):
            return
        lead = self.assignee_lead(incident, event.actor, event.type is EventType.ASSIGNED)
        await self.n.aside(assignee, partial(
            self.n.poster.post,
            known=None,
            record=self._record(incident.id, role),
            event=event,
            channel=assignee,
            **self.dm_message(incident, lead),
        ), f"{incident.id}: assignee DM to {assignee}")

    def assignee_lead(self, incident: Incident, actor: str, reassigned: bool) -> str:
        if reassigned:
            return f"{user(actor)} assigned you {incident.id}."
        return f"You are the assignee of {incident.id}, declared by {user(incident.reporter)}."

    def dm_message(
        self, incident: Incident, lead: str, *, push: str | None = None
    ) -> dict[str, Any]:
        """A DM showing the incident: the lead, then the card (or the configured DM template).
        `push`: the notification's own text when it is not the lead (a page's push says what
        the page is about; its lead, shown above the card, the person's own level)."""
        blocks = templates.render("dm", self.config, incident=incident, message_text=lead)
        if blocks:
            return {"text": push or lead, "blocks": blocks, "attachments": None}
        return {
            "text": push or lead,
            "blocks": card.lead_blocks(lead) if push else None,
            "attachments": card.card_attachments(incident, self.config, now=self.n.clock.now()),
        }

    def page_message(self, incident: Incident, role: str) -> dict[str, Any]:
        """A page DM, from the incident's state now and the level the person was paged at."""
        level = page_level(role)
        return self.dm_message(incident, card.page_lead(incident, level),
                               push=card.page_push(incident, level))

    async def refresh(self, incident: Incident, event: Event, redelivered: bool) -> None:
        """Every message that shows this incident's state, re-rendered from it now."""
        fresh = await self.incidents.get(incident.id) or incident
        await self.update_card(fresh)
        if event.type not in STATE_EVENTS:
            return
        done: set[str] = set()
        for role, place in (await self.messages.messages(fresh.id)).items():
            kind = role.split(":", 1)[0]
            if kind not in (PAGE_ROLE, ASSIGNEE_ROLE) or place in done:
                continue
            done.add(place)
            channel, ts = place.split(" ", 1)
            if kind == PAGE_ROLE:
                message = self.page_message(fresh, role)
            else:
                message = self.dm_message(fresh, self.assignee_lead(fresh, event.actor, False))
            await self._update_dm(fresh, channel, ts, message)
        summary = await self.messages.message_ref(fresh.id, "ic:summary")
        if summary is not None:
            await self._guarded(self.n.client.chat_update(
                channel=summary[0], ts=summary[1],
                text=channel_views.summary_text(fresh, self.config),
                blocks=channel_views.summary_blocks(fresh, self.config),
            ), fresh.id, "summary")

    async def _update_dm(
        self, incident: Incident, channel: str, ts: str, message: dict[str, Any]
    ) -> None:
        """Re-rendered in the DM's own lane: a person's paced DMs hold up nobody else."""

        async def update() -> None:
            await self._guarded(
                self.n.client.chat_update(channel=channel, ts=ts, **message), incident.id, "DM")

        await self.n.aside(channel, update, f"{incident.id}: DM {channel} {ts}")

    async def _guarded(self, call, incident_id: str, what: str) -> None:
        """A message that can no longer be updated (deleted, channel archived) is logged and
        counted; it must not hold the incident's other messages back."""
        try:
            await call
        except SlackApiError as exc:
            if is_transient(exc):
                raise
            code = str(exc.response.get("error", ""))
            self.n.count_refusal(code)
            log.warning("%s: %s not updated: %s", incident_id, what, code)


# Events after which the incident's DMs and summary read differently.
STATE_EVENTS = frozenset({
    EventType.ACKNOWLEDGED, EventType.RESOLVED, EventType.REOPENED, EventType.ASSIGNED,
    EventType.SEVERITY_CHANGED, EventType.SNOOZED, EventType.UNSNOOZED, EventType.ESCALATED,
    EventType.ALERTS_CHANGED, EventType.ALERTS_SEEN,  # the card's alert list
})


def page_level(role: str) -> int | None:
    """The level a page DM's role was paged at (each person's own)."""
    level = role.rsplit(":L", 1)[-1] if ":L" in role else ""
    return int(level) if level.isdigit() else None
