"""Incident channels: the notifier's side of a dedicated channel per incident.

Called by Delivery.apply for every incident event. On `triggered` it creates the channel (when
the declarer asked for one, or the severity is in `incident_channels.auto_for`), invites
people, sets topic and purpose, bookmarks the card and posts and pins a summary; later events
keep the topic and purpose current. Every step is idempotent (the channel id is recorded on the
incident once, each post under its own role), so a redelivered event finishes the work instead
of doing it twice. Slack's refusals are told in the card thread with the fix.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_sdk.errors import SlackApiError

from app.config.oncall import Target
from app.domain.channel_names import channel_name
from app.domain.escalation import start_levels
from app.domain.models import Event, Incident, is_api_actor
from app.domain.timers import channel_archive_timer, update_reminder_timer
from app.notifier.context import Delivery
from app.notifier.handlers.oncall import Pager
from app.notifier.poster import TRANSIENT, metadata
from views import incident_channel as views
from views import incident_record as record_views

log = logging.getLogger("beacon.incident_channels")

MAX_ATTEMPTS = 20


class StepFailed(Exception):
    def __init__(self, step: str, code: str) -> None:
        super().__init__(f"{step}: {code}")
        self.step = step
        self.code = code


class IncidentChannels:
    def __init__(self, notifier: Delivery) -> None:
        self.n = notifier
        self.incidents = notifier.incidents
        self.messages = notifier.messages
        self.timers = notifier.timers
        self.config = notifier.config
        self.cfg = notifier.config.incident_channels
        self.client = notifier.client

    def wanted(self, incident: Incident) -> bool:
        return incident.wants_channel or incident.severity in self.cfg.auto_for

    # --- handlers (listed in app/notifier/table.py) -------------------------------------------
    async def on_triggered(self, incident: Incident, event: Event, redelivered: bool) -> bool:
        """True when it opened the incident's channel (the incident changed)."""
        await self.arm_reminder(incident, incident.created_at)
        if not self.wanted(incident):
            return False
        await self.open_channel(incident, event, redelivered=redelivered)
        return True

    async def topic(self, incident: Incident, event: Event, redelivered: bool) -> None:
        """Topic and purpose say the state: kept current on every change of it."""
        if incident.incident_channel:
            await self._guard(incident, event, "topic", self.set_topic(incident))

    async def status_update(self, incident: Incident, event: Event, redelivered: bool) -> None:
        text = views.status_update_text(event.actor, str(event.data.get("text", "")))
        await self.both(incident, event, text, "update")

    async def update_reminder(self, incident: Incident, event: Event, redelivered: bool) -> None:
        text = views.reminder_text(incident, float(event.data.get("since", 0)))
        await self.one(incident, event, text, "reminder")

    async def resolved(self, incident: Incident, event: Event, redelivered: bool) -> None:
        timeline = await self.incidents.timeline(incident.id)
        text = views.resolution_text(incident, timeline, self.config)
        blocks = record_views.resolution_blocks(text, incident)  # Schedule retrospective
        await self.both(incident, event, text, "resolved", blocks=blocks)
        await self.arm_archive(incident)

    async def reopened(self, incident: Incident, event: Event, redelivered: bool) -> None:
        text = f"🔄 {incident.id} was reopened by {views.user(event.actor)}."
        await self.both(incident, event, text, "reopened")
        await self.arm_reminder(incident, event.at)

    async def archive_warning(self, incident: Incident, event: Event, redelivered: bool) -> None:
        left = self.cfg.archive_warning_minutes * 60
        text = views.archive_warning_text(incident, left)
        await self.one(incident, event, text, "archive-warning", thread=False)

    async def timeline_requested(
        self, incident: Incident, event: Event, redelivered: bool
    ) -> None:
        await self.upload_timeline(incident, event)

    async def archived(self, incident: Incident, event: Event, redelivered: bool) -> None:
        await self._guard(incident, event, "archive", self.archive(incident, event))

    async def _guard(self, incident: Incident, event: Event, step: str, work: Any) -> bool:
        """Run one step; a permanent Slack refusal is told in the thread. True when it worked."""
        try:
            await work
            return True
        except SlackApiError as exc:
            code = str(exc.response.get("error", ""))
            if code in TRANSIENT:
                raise
            await self.report(incident, event, step, code)
        except StepFailed as exc:
            await self.report(incident, event, exc.step, exc.code)
        return False

    # --- opening a channel -------------------------------------------------------------------
    async def open_channel(self, incident: Incident, event: Event, *, redelivered: bool) -> None:
        channel = incident.incident_channel
        if channel is None:
            try:
                channel = await self.create(incident, redelivered=redelivered)
            except SlackApiError as exc:
                code = str(exc.response.get("error", ""))
                if code in TRANSIENT:
                    raise
                # Nothing else can happen without the channel: say so and stop here.
                await self.report(incident, event, "create", code)
                return
            channel = await self.messages.set_incident_channel(incident.id, channel) or channel
        fresh = await self.incidents.get(incident.id) or incident
        await self._guard(fresh, event, "invite", self.invite(fresh, channel))
        await self._guard(fresh, event, "topic", self.set_topic(fresh))
        await self._guard(fresh, event, "bookmark", self.bookmark(fresh, channel))
        await self._guard(
            fresh,
            event,
            "summary",
            self.post_summary(fresh, event, channel, redelivered=redelivered),
        )
        await self.n.update_card(fresh)  # the card now links the channel

    async def create(self, incident: Incident, *, redelivered: bool) -> str:
        if redelivered:  # created before a crash, not yet recorded: adopt it
            found = await self._find_created(incident)
            if found:
                return found
        for attempt in range(1, MAX_ATTEMPTS + 1):
            name = channel_name(self.cfg.prefix, incident.number, incident.title, attempt)
            try:
                resp = await self.client.conversations_create(
                    name=name, is_private=self.cfg.private
                )
            except SlackApiError as exc:
                if exc.response.get("error") == "name_taken":
                    continue
                raise
            log.info("created #%s for %s", name, incident.id)
            return str(resp["channel"]["id"])
        raise StepFailed("create", "name_taken")

    async def _find_created(self, incident: Incident) -> str | None:
        names = {
            channel_name(self.cfg.prefix, incident.number, incident.title, a)
            for a in range(1, MAX_ATTEMPTS + 1)
        }
        bot = await self._bot_id()
        cursor = None
        while True:
            resp = await self.client.conversations_list(
                types="public_channel,private_channel",
                exclude_archived=True,
                limit=200,
                cursor=cursor,
            )
            for ch in resp.get("channels", []):
                if ch.get("name") in names and ch.get("creator") == bot:
                    return str(ch["id"])
            cursor = (resp.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return None

    async def _bot_id(self) -> str:
        cached = getattr(self.n, "_bot_user_id", None)
        if cached is None:
            cached = str((await self.client.auth_test())["user_id"])
            self.n._bot_user_id = cached  # type: ignore[attr-defined]
        return cached

    # --- steps -------------------------------------------------------------------------------
    async def invitees(self, incident: Incident) -> list[str]:
        wanted: list[str] = []
        for uid in (incident.reporter, incident.assignee):
            if uid and not is_api_actor(uid) and uid != "beacon":
                wanted.append(uid)
        pager = Pager(self.n)
        found = self.config.policy_for(incident.service) if self.cfg.invite_oncall else None
        if found:
            _, policy = found
            for level in range(1, start_levels(policy, incident.severity) + 1):
                for target in policy.levels[level - 1].targets:
                    wanted += await pager.resolve(target)
        for group in self.cfg.invite_groups:
            wanted += await pager.resolve(Target(group=group))
        bot = await self._bot_id()
        out: list[str] = []
        for uid in wanted:
            if uid in out or uid == bot:
                continue
            profile = await self.n.directory.profile(uid)
            if profile.get("deleted") or not profile.get("known", True):
                continue  # inviting them would fail the whole call
            out.append(uid)
        return out

    async def invite(self, incident: Incident, channel: str) -> None:
        wanted = await self.invitees(incident)
        members = set((await self.client.conversations_members(channel=channel))["members"])
        missing = [u for u in wanted if u not in members]
        if missing:
            await self.client.conversations_invite(channel=channel, users=",".join(missing))

    async def set_topic(self, incident: Incident) -> None:
        if not incident.incident_channel:
            return
        channel = incident.incident_channel
        await self.client.conversations_setTopic(
            channel=channel, topic=views.topic_text(incident, self.config)
        )
        await self.client.conversations_setPurpose(
            channel=channel, purpose=views.purpose_text(incident, self.config)
        )

    async def bookmark(self, incident: Incident, channel: str) -> None:
        if not incident.permalink or await self.messages.message_ref(incident.id, "ic:bookmark"):
            return
        resp = await self.client.bookmarks_add(
            channel_id=channel, title=f"{incident.id} card", type="link", link=incident.permalink
        )
        await self.messages.record_message(
            incident.id, "ic:bookmark", channel, str(resp["bookmark"]["id"])
        )

    async def post_summary(
        self, incident: Incident, event: Event, channel: str, *, redelivered: bool
    ) -> None:
        role = "ic:summary"
        if not await self.n.already_posted(incident.id, role, event, channel, None, redelivered):
            resp = await self.client.chat_postMessage(
                channel=channel,
                text=views.summary_text(incident, self.config),
                blocks=views.summary_blocks(incident, self.config),
                metadata=metadata(event),
                unfurl_links=False,
            )
            await self.messages.record_message(incident.id, role, resp["channel"], resp["ts"])
        if await self.messages.message_ref(incident.id, "ic:pin"):
            return
        ref = await self.messages.message_ref(incident.id, role)
        assert ref is not None
        try:
            await self.client.pins_add(channel=ref[0], timestamp=ref[1])
        except SlackApiError as exc:
            if exc.response.get("error") != "already_pinned":
                raise StepFailed("pin", str(exc.response.get("error", ""))) from exc
        await self.messages.record_message(incident.id, "ic:pin", ref[0], ref[1])

    # --- during and after ---------------------------------------------------------------------
    async def arm_reminder(self, incident: Incident, since: float) -> None:
        minutes = self.cfg.update_reminder_minutes.get(incident.severity, 0)
        if not minutes or not incident.is_open:
            return
        timer = update_reminder_timer(incident.id, since, minutes)
        await self.n.arm_later(incident.id, [timer])

    async def arm_archive(self, incident: Incident) -> None:
        hours = self.cfg.archive_after_hours
        if not incident.incident_channel or not hours or incident.resolved_at is None:
            return
        end = incident.resolved_at + hours * 3600
        warn = max(incident.resolved_at, end - self.cfg.archive_warning_minutes * 60)
        timers = [
            channel_archive_timer(incident.id, stage, due, incident.resolved_at)
            for stage, due in (("warn", warn), ("archive", end))
        ]
        await self.n.arm_later(incident.id, timers)

    async def archive(self, incident: Incident, event: Event) -> None:
        channel = str(event.data.get("channel") or incident.incident_channel)
        try:
            await self.client.conversations_archive(channel=channel)
        except SlackApiError as exc:
            if exc.response.get("error") != "already_archived":
                raise
        await self.post(
            incident,
            event,
            incident.channel,
            incident.card_ts,
            f"🗄️ Archived <#{channel}>.",
            "ic:archived",
        )

    async def upload_timeline(self, incident: Incident, event: Event) -> None:
        role = f"ic:timeline:{event.event_id}"
        if await self.messages.message_ref(incident.id, role):
            return
        timeline = await self.incidents.timeline(incident.id)
        actors = {e.actor for e in timeline} | {incident.reporter, incident.resolved_by or ""}
        names = {}
        for actor in actors:
            if actor and not is_api_actor(actor) and actor != "beacon":
                profile = await self.n.directory.profile(actor)
                names[actor] = str(profile.get("real_name") or profile.get("name") or actor)
        document = views.timeline_markdown(incident, timeline, names)
        target = str(event.data.get("channel") or event.actor)
        try:
            await self._upload(incident, target, document)
        except SlackApiError as exc:
            code = str(exc.response.get("error", ""))
            if code in TRANSIENT or code not in {"not_in_channel", "channel_not_found"}:
                raise
            # Beacon is not in that channel: hand the file to the person in a DM instead.
            dm = await self.client.conversations_open(users=event.actor)
            target = str(dm["channel"]["id"])
            await self._upload(incident, target, document)
        await self.messages.record_message(incident.id, role, target, "-")

    async def _upload(self, incident: Incident, channel: str, document: str) -> None:
        await self.client.files_upload_v2(
            channel=channel,
            content=document,
            filename=f"{incident.id}-timeline.md",
            title=f"{incident.id} timeline",
            initial_comment=f"Timeline of {incident.id}.",
        )

    async def both(
        self, incident: Incident, event: Event, text: str, name: str, *, blocks: Any = None
    ) -> None:
        """The card thread and the incident channel."""
        await self.post(
            incident,
            event,
            incident.channel,
            incident.card_ts,
            text,
            f"ic:{name}:thread:{event.event_id}",
            blocks=blocks,
        )
        await self.post(
            incident,
            event,
            incident.incident_channel,
            None,
            text,
            f"ic:{name}:channel:{event.event_id}",
            blocks=blocks,
        )

    async def one(
        self, incident: Incident, event: Event, text: str, name: str, *, thread: bool = True
    ) -> None:
        """The incident channel if there is one, else the card thread."""
        if incident.incident_channel:
            await self.post(
                incident,
                event,
                incident.incident_channel,
                None,
                text,
                f"ic:{name}:channel:{event.event_id}",
            )
        elif thread:
            await self.post(
                incident,
                event,
                incident.channel,
                incident.card_ts,
                text,
                f"ic:{name}:thread:{event.event_id}",
            )

    async def post(
        self,
        incident: Incident,
        event: Event,
        channel: str | None,
        thread_ts: str | None,
        text: str,
        role: str,
        *,
        blocks: Any = None,
    ) -> None:
        if not channel or (channel == incident.channel and not thread_ts):
            return
        if await self.messages.message_ref(incident.id, role):
            return
        try:
            resp = await self.client.chat_postMessage(
                channel=channel,
                thread_ts=thread_ts,
                text=text,
                blocks=blocks,
                metadata=metadata(event),
                unfurl_links=False,
            )
        except SlackApiError as exc:
            code = str(exc.response.get("error", ""))
            if code in TRANSIENT or channel == incident.channel:
                raise
            await self.report(incident, event, "post", code)  # the incident channel refused
            return
        await self.messages.record_message(incident.id, role, resp["channel"], resp["ts"])

    # --- reporting ---------------------------------------------------------------------------
    async def report(self, incident: Incident, event: Event, step: str, code: str) -> None:
        log.warning("%s: could not %s: %s", incident.id, step, code)
        text = views.failure_text(step, re.sub(r"[^a-z_]", "", code))
        fresh = await self.incidents.get(incident.id) or incident
        if not fresh.channel or not fresh.card_ts:
            await self.n.report_failure(event, code)
            return
        role = f"ic-fail:{event.event_id}:{step}"
        if await self.messages.message_ref(incident.id, role):
            return
        resp = await self.client.chat_postMessage(
            channel=fresh.channel,
            thread_ts=fresh.card_ts,
            text=text,
            metadata=metadata(event),
            unfurl_links=False,
        )
        await self.messages.record_message(incident.id, role, resp["channel"], resp["ts"])

