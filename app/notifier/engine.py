"""Turns outbox events into Slack posts: card, thread replies, card updates, DMs.

Every instance runs one consumer in the same group, so each event is applied by one of
them. Each post carries message metadata with the event id, and every message's place is
recorded on the incident, so an event applied twice (a crash after Slack answered) is
recognised instead of posted again.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from app.clock import Clock
from app.config import BeaconConfig, EventKind
from app.domain.models import Event, EventType, Incident
from app.domain.routing import event_enabled, route
from app.home import HomePublisher
from app.metrics import METRICS
from app.notifier.handlers.approvals import ApprovalNotifier, InvestigationNotifier
from app.notifier.handlers.channels import IncidentChannels
from app.notifier.handlers.digest import post_digest
from app.notifier.handlers.investigations import post_investigation_update
from app.notifier.handlers.oncall import Pager
from app.notifier.handlers.record import RecordNotifier
from app.notifier.handlers.runbooks import RUNBOOK_EVENTS, RunbookRunner
from app.slack.channels import ChannelNotFound, ChannelResolver
from app.slack.directory import UserDirectory
from app.store import IncidentStore
from views import incident as card
from views import templates
from views.mrkdwn import user

log = logging.getLogger("beacon.notifier")

GROUP = "notifier"
METADATA_TYPE = "beacon_event"
_EVENT_KIND = {
    EventType.TRIGGERED: EventKind.TRIGGERED,
    EventType.ACKNOWLEDGED: EventKind.ACKNOWLEDGED,
    EventType.RESOLVED: EventKind.RESOLVED,
    EventType.SNOOZED: EventKind.SNOOZED,
    EventType.UNSNOOZED: EventKind.SNOOZED,
    EventType.NOTE_ADDED: EventKind.NOTE_ADDED,
    EventType.ASSIGNED: EventKind.UPDATED,
    EventType.SEVERITY_CHANGED: EventKind.UPDATED,
    EventType.REFIRED: EventKind.TRIGGERED,
    EventType.INVESTIGATION: EventKind.UPDATED,
}
# Slack errors that retrying cannot fix: report them and move on.
PERMANENT = {
    "channel_not_found",
    "not_in_channel",
    "is_archived",
    "invalid_blocks",
    "missing_scope",
    "restricted_action",
    "msg_too_long",
    "no_text",
    "invalid_arguments",
    "cant_update_message",
    "message_not_found",
    "user_not_found",
    "invalid_auth",
    "account_inactive",
    "not_authed",
}


class ChannelPacer:
    """Slack takes about one message per second per channel; stay under it across instances.

    A per-channel, per-second counter in Redis is shared by every instance; a post over the
    budget waits for the next second of Beacon's clock.
    """

    def __init__(self, store: IncidentStore, clock: Clock, per_second: int) -> None:
        self.store = store
        self.clock = clock
        self.per_second = per_second

    async def wait(self, channel: str) -> None:
        if self.per_second <= 0:
            return
        while True:
            now = self.clock.now()
            second = int(now)
            if await self.store.take_post_slot(channel, second, self.per_second):
                return
            await self.clock.sleep(second + 1 - now)


def _metadata(event: Event) -> dict[str, Any]:
    return {
        "event_type": METADATA_TYPE,
        "event_payload": {"event_id": event.event_id, "incident_id": event.incident_id},
    }


class Notifier:
    def __init__(
        self,
        *,
        store: IncidentStore,
        config: BeaconConfig,
        client: AsyncWebClient,
        directory: UserDirectory,
        channels: ChannelResolver,
        clock: Clock,
        consumer: str,
        reclaim_idle_ms: int = 30_000,
        posts_per_second: float = 1.0,
    ) -> None:
        self.store = store
        self.config = config
        self.client = client
        self.directory = directory
        self.channels = channels
        self.clock = clock
        self.consumer = consumer
        self.reclaim_idle_ms = reclaim_idle_ms
        self.applied = 0
        self.digest: object | None = None  # DigestService, set by the container
        self.home: HomePublisher | None = None  # set by the container
        self.pacer = ChannelPacer(store, clock, posts_per_second)

    # --- loop ----------------------------------------------------------------------------
    async def run(self, stop: asyncio.Event) -> None:
        await self.store.ensure_group(GROUP)
        backoff = 0.5
        while not stop.is_set():
            try:
                await self.drain(block_ms=500)
                backoff = 0.5
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                METRICS.worker_errors.labels(worker="notifier").inc()
                # Slack or Redis is down: the event stays pending and is replayed in order.
                log.warning("notifier pass failed (%s); retrying in %.1fs", exc, backoff)
                await self.clock.sleep(backoff)
                backoff = min(backoff * 2, 10)

    async def drain(self, block_ms: int = 0) -> int:
        """One pass: my pending events, abandoned ones, then new ones. Returns events applied."""
        done = 0
        retry = await self.store.pending_mine(GROUP, self.consumer, 200)
        retry += await self.store.reclaim_events(GROUP, self.consumer, self.reclaim_idle_ms, 100)
        for event in retry:
            done += await self.handle(event, redelivered=True)
        # Deferred events wait for another instance: poll again soon, but do not spin.
        wait = block_ms if not retry else (0 if done else min(block_ms, 50))
        for event in await self.store.read_events(GROUP, self.consumer, 100, wait):
            done += await self.handle(event, redelivered=False)
        if done and self.home is not None:
            try:
                await self.home.republish_viewers()
            except Exception:  # a stale Home tab must never hold events back
                log.exception("App Home republish failed")
        return done

    async def handle(self, event: Event, *, redelivered: bool) -> int:
        """Apply one event if it is the incident's next; 1 when applied, 0 when deferred."""
        notified = await self.store.notified_seq(event.incident_id)
        if event.seq <= notified:
            await self.store.ack_event(GROUP, event.stream_id)  # applied before (redelivery)
            return 0
        if event.seq > notified + 1:
            return 0  # stays pending; applied once the earlier event lands
        # One instance at a time per incident, so a slow apply is never doubled by a reclaim.
        # The lease lasts as long as the reclaim delay (a dead holder frees it as soon as its
        # events are taken over) and is renewed while this instance is still working.
        lock = f"incident:{event.incident_id}"
        ttl = self.reclaim_idle_ms
        if not await self.store.try_lock(lock, self.consumer, ttl):
            return 0
        renew = asyncio.create_task(self._renew(lock, ttl))
        try:
            try:
                await self.apply(event, redelivered=redelivered)
            except SlackApiError as exc:
                code = exc.response.get("error", "")
                if code not in PERMANENT:
                    raise  # transient (429/5xx after retries): replayed in order later
                log.error("event %s could not be posted: %s", event.event_id, code)
                METRICS.notifier_failures.labels(error=code).inc()
                await self.report_failure(event, code)
            await self.store.mark_notified(event.incident_id, event.seq)
            await self.store.ack_event(GROUP, event.stream_id)
        finally:
            renew.cancel()
            await self.store.unlock(lock, self.consumer)
        self.applied += 1
        METRICS.transitions.labels(type=event.type.value).inc()
        return 1

    async def _renew(self, lock: str, ttl_ms: int) -> None:
        while True:
            await asyncio.sleep(ttl_ms / 3000)
            if not await self.store.extend_lock(lock, self.consumer, ttl_ms):
                return

    # --- applying one event --------------------------------------------------------------
    async def apply(self, event: Event, *, redelivered: bool) -> None:
        if event.type is EventType.DIGEST_DUE:
            if self.digest is not None:
                await post_digest(self, event, self.digest)
            return
        if event.type.startswith(("approval.", "investigation.")):
            await self._extension(event).apply(event, redelivered=redelivered)
            return
        incident = await self.store.get(event.incident_id)
        if incident is None:
            return
        if event.type in RUNBOOK_EVENTS:  # issue 7: a runbook step does its own Slack work
            await RunbookRunner(self).apply(incident, event, redelivered=redelivered)
            return
        if event.type is EventType.TRIGGERED:
            await self.post_card(incident, event, redelivered=redelivered)
            incident = await self.store.get(event.incident_id) or incident
        elif event.type is EventType.INVESTIGATION and self.config.investigations.updates_channel:
            await post_investigation_update(self, incident, event, redelivered=redelivered)
        else:
            await self.reply(incident, event, redelivered=redelivered)
        await self.oncall(incident, event)
        await IncidentChannels(self).apply(incident, event, redelivered=redelivered)  # issue 7
        await RunbookRunner(self).start_matching(incident, event)  # issue 7: runbook triggers
        await RecordNotifier(self).apply(  # issue 7: follow-ups, retro, roles, pins
            await self.store.get(event.incident_id) or incident, event
        )
        if event.type is not EventType.TRIGGERED:
            await self.update_card(await self.store.get(event.incident_id) or incident)
        if event.type in (EventType.TRIGGERED, EventType.ASSIGNED):
            await self.dm_assignee(incident, event, redelivered=redelivered)

    async def oncall(self, incident: Incident, event: Event) -> None:
        """Escalation, paging and SLA (issue 6)."""
        pager = Pager(self)
        match event.type:
            case EventType.TRIGGERED:
                await pager.on_triggered(incident, event)
            case EventType.ESCALATED:
                await pager.on_escalated(incident, event)
            case EventType.UNSNOOZED:
                await pager.on_unsnoozed(incident, event)
            case EventType.SLA_BREACHED:
                await pager.on_sla_breached(incident, event)
            case EventType.REOPENED:  # issue 7: SLA and escalation start over
                await pager.on_reopened(incident, event)

    def _extension(self, event: Event) -> ApprovalNotifier | InvestigationNotifier:
        if event.type.startswith("approval."):
            return ApprovalNotifier(self)
        return InvestigationNotifier(self)

    async def _channel_for(self, incident: Incident) -> tuple[str | None, str | None]:
        """(configured ref, resolved id) of the incident's routed channel."""
        chosen = route(self.config, service=incident.service, severity=incident.severity)
        if chosen.channel is None:
            return None, None
        return chosen.channel, await self.channels.resolve(chosen.channel)

    async def _already_posted(
        self,
        incident_id: str,
        role: str,
        event: Event,
        channel: str | None,
        thread_ts: str | None,
        redelivered: bool,
    ) -> bool:
        if await self.store.message_ref(incident_id, role):
            return True
        if not redelivered or channel is None:
            return False
        found = await self._find_by_metadata(event.event_id, channel, thread_ts)
        if found:
            await self.store.record_message(incident_id, role, channel, found, card=role == "card")
        return found is not None

    async def _find_by_metadata(
        self, event_id: str, channel: str, thread_ts: str | None
    ) -> str | None:
        """Look in Slack for a message already posted for this event (crash recovery)."""
        if thread_ts:
            resp = await self.client.conversations_replies(
                channel=channel, ts=thread_ts, include_all_metadata=True, limit=200
            )
        else:
            resp = await self.client.conversations_history(
                channel=channel, include_all_metadata=True, limit=100
            )
        for message in resp.get("messages", []):
            meta = message.get("metadata") or {}
            if (meta.get("event_payload") or {}).get("event_id") == event_id:
                return message["ts"]
        return None

    async def post_card(self, incident: Incident, event: Event, *, redelivered: bool) -> None:
        try:
            ref, channel = await self._channel_for(incident)
        except ChannelNotFound as exc:
            await self.report_failure(event, f"channel_not_found ({exc.name})")
            return
        if channel is None or not event_enabled(self.config, ref or "", EventKind.TRIGGERED):
            return
        if not await self._already_posted(incident.id, "card", event, channel, None, redelivered):
            await self.pacer.wait(channel)
            resp = await self.client.chat_postMessage(
                channel=channel,
                text=card.fallback_text(incident, self.config),
                attachments=card.card_attachments(incident, self.config, now=self.clock.now()),
                metadata=_metadata(event),
                unfurl_links=False,
            )
            await self.store.record_message(
                incident.id, "card", resp["channel"], resp["ts"], card=True
            )
        posted = await self.store.get(incident.id)
        if posted is None or not posted.card_ts or not posted.channel or posted.permalink:
            return
        link = await self.client.chat_getPermalink(
            channel=posted.channel, message_ts=posted.card_ts
        )
        await self.store.record_message(
            incident.id,
            "card",
            posted.channel,
            posted.card_ts,
            card=True,
            permalink=link["permalink"],
        )
        fresh = await self.store.get(incident.id)
        if fresh is not None:
            await self.update_card(fresh)  # adds the View link now that it is known

    async def update_card(self, incident: Incident) -> None:
        if not incident.channel or not incident.card_ts:
            return
        await self.client.chat_update(
            channel=incident.channel,
            ts=incident.card_ts,
            text=card.fallback_text(incident, self.config),
            attachments=card.card_attachments(incident, self.config, now=self.clock.now()),
        )

    async def reply(self, incident: Incident, event: Event, *, redelivered: bool) -> None:
        if not incident.channel or not incident.card_ts:
            return
        ref, _ = await self._channel_for(incident)
        kind = _EVENT_KIND.get(event.type)
        if kind is None or not event_enabled(self.config, ref or incident.channel, kind):
            return
        role = f"reply:{event.event_id}"
        if await self._already_posted(
            incident.id, role, event, incident.channel, incident.card_ts, redelivered
        ):
            return
        email = await self.directory.email(event.actor)
        text = card.thread_text(event, incident, actor_email=email)
        if text is None:
            return
        await self.pacer.wait(incident.channel)
        resp = await self.client.chat_postMessage(
            channel=incident.channel,
            thread_ts=incident.card_ts,
            text=text,
            blocks=templates.render(  # issue 7: a configured template, else plain text
                "thread_reply", self.config, incident=incident, message_text=text
            ),
            metadata=_metadata(event),
            unfurl_links=False,
        )
        await self.store.record_message(incident.id, role, resp["channel"], resp["ts"])

    async def dm_assignee(self, incident: Incident, event: Event, *, redelivered: bool) -> None:
        assignee = incident.assignee
        if not self.config.dm_on_assignment or not assignee or assignee == event.actor:
            return
        role = f"dm:{event.event_id}"
        if await self.store.message_ref(incident.id, role):
            return
        profile = await self.directory.profile(assignee)
        if profile.get("deleted"):
            return
        lead = (
            f"<@{event.actor}> assigned you {incident.id}."
            if event.type is EventType.ASSIGNED
            else f"You are the assignee of {incident.id}, declared by {user(incident.reporter)}."
        )
        blocks = templates.render("dm", self.config, incident=incident, message_text=lead)
        resp = await self.client.chat_postMessage(
            channel=assignee,
            text=lead,
            blocks=blocks,  # issue 7: a configured DM template replaces the card
            attachments=None
            if blocks
            else card.card_attachments(incident, self.config, now=self.clock.now()),
            metadata=_metadata(event),
        )
        await self.store.record_message(incident.id, role, resp["channel"], resp["ts"])

    async def report_failure(self, event: Event, code: str) -> None:
        """Tell the person behind the event, in plain words, why Slack refused the post."""
        incident = await self.store.get(event.incident_id)
        target = event.actor if event.actor and event.actor != "beacon" else None
        if incident is None or target is None:
            return
        fix = {
            "channel_not_found": "check the channel in the config, and for a private channel "
            "invite the bot with `/invite @Beacon`",
            "not_in_channel": "invite the bot with `/invite @Beacon`",
            "is_archived": "unarchive the channel or route to another one in the config",
            "missing_scope": "reinstall the app from manifest.yml so it has every scope",
        }.get(code.split(" ")[0], "see the Beacon logs for details")
        try:
            await self.client.chat_postMessage(
                channel=target,
                text=f"⚠️ I couldn't post the update for {incident.id} to Slack "
                f"(Slack said `{code}`): {fix}. The incident itself is saved.",
            )
        except SlackApiError:
            log.exception("could not report failure of %s", event.event_id)
