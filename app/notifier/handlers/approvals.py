"""The notifier's part for approvals and investigation results (called from Delivery.apply).

Approval and investigation events carry their own id in the stream's `incident_id` field, so
the notifier's per-id ordering, lease and dedupe apply to them unchanged.
"""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError

from app.domain.approvals import Approval
from app.domain.investigations import Investigation
from app.domain.models import Event
from app.notifier.context import Delivery
from app.notifier.poster import is_transient, metadata
from app.slack.channels import ChannelNotFound
from views import approvals as approval_view
from views import investigations as investigation_view

log = logging.getLogger("beacon.notifier")



class ApprovalNotifier:
    def __init__(self, notifier: Delivery) -> None:
        self.n = notifier
        self.store = notifier.stores.approvals

    async def _approval(self, event: Event) -> Approval | None:
        found = await self.store.get(event.incident_id)
        return Approval.from_redis(*found) if found is not None else None

    async def posted(self, event: Event, redelivered: bool) -> None:
        approval = await self._approval(event)
        if approval is not None:
            await self.post_card(approval, event, redelivered=redelivered)

    async def changed(self, event: Event, redelivered: bool) -> None:
        """Decided or expired: the same card, buttons gone."""
        approval = await self._approval(event)
        if approval is not None:
            await self.update_card(approval)

    async def post_card(self, approval: Approval, event: Event, *, redelivered: bool) -> None:
        config = self.n.config
        ref = config.approvals.channel or config.default_channel
        if not ref:
            log.error("approval %s: no approvals.channel or default_channel", approval.id)
            return
        try:
            channel = await self.n.channels.resolve(ref)
        except ChannelNotFound as exc:
            log.error("approval %s could not be posted: %s", approval.id, exc)
            return
        if await self.store.message_ref(approval.id, "card"):
            return
        if redelivered:  # a crash after Slack answered: find the post by its metadata
            ts = await self.n.find_by_metadata(event.event_id, channel, None)
            if ts:
                await self.store.record_message(approval.id, "card", channel, ts)
                return
        resp = await self.n.client.chat_postMessage(
            channel=channel,
            text=approval_view.fallback_text(approval),
            attachments=approval_view.approval_attachments(
                approval, config.approvals, now=self.n.clock.now()
            ),
            metadata=metadata(event, "approval_id"),
            unfurl_links=False,
        )
        await self.store.record_message(approval.id, "card", resp["channel"], resp["ts"])

    async def update_card(self, approval: Approval) -> None:
        if not approval.channel or not approval.card_ts:
            return
        await self.n.client.chat_update(
            channel=approval.channel,
            ts=approval.card_ts,
            text=approval_view.fallback_text(approval),
            attachments=approval_view.approval_attachments(
                approval, self.n.config.approvals, now=self.n.clock.now()
            ),
        )


class InvestigationNotifier:
    def __init__(self, notifier: Delivery) -> None:
        self.n = notifier
        self.store = notifier.stores.investigations

    async def _investigation(self, event: Event) -> Investigation | None:
        raw = await self.store.get(event.incident_id)
        return Investigation.from_redis(raw) if raw is not None else None

    async def posted(self, event: Event, redelivered: bool) -> None:
        inv = await self._investigation(event)
        if inv is not None:
            await self.post(inv, event, redelivered=redelivered)

    async def voted(self, event: Event, redelivered: bool) -> None:
        """A vote: the counts updated in place."""
        inv = await self._investigation(event)
        if inv is not None and inv.channel and inv.card_ts:
            await self.n.client.chat_update(
                channel=inv.channel,
                ts=inv.card_ts,
                text=investigation_view.fallback_text(inv),
                blocks=investigation_view.result_blocks(inv),
            )

    async def _target(self, inv: Investigation) -> tuple[str | None, str | None]:
        """(channel id, thread ts): the given channel, else the incident's card thread."""
        if inv.target_channel:
            return await self.n.channels.resolve(inv.target_channel), None
        if inv.incident_id:
            incident = await self.n.incidents.get(inv.incident_id)
            if incident and incident.channel and incident.card_ts:
                return incident.channel, incident.card_ts
        ref = self.n.config.default_channel
        return (await self.n.channels.resolve(ref) if ref else None), None

    async def post(self, inv: Investigation, event: Event, *, redelivered: bool) -> None:
        if await self.store.message_ref(inv.id, "card"):
            return
        try:
            channel, thread_ts = await self._target(inv)
        except ChannelNotFound as exc:
            log.error("investigation %s could not be posted: %s", inv.id, exc)
            await self.store.set_delivery_error(inv.id, f"channel_not_found ({exc.name})")
            return
        if channel is None:
            return
        if redelivered:
            ts = await self.n.find_by_metadata(event.event_id, channel, thread_ts)
            if ts:
                await self.store.record_message(inv.id, "card", channel, ts)
                return
        try:
            resp = await self.n.client.chat_postMessage(
                channel=channel,
                thread_ts=thread_ts,
                text=investigation_view.fallback_text(inv),
                blocks=investigation_view.result_blocks(inv),
                metadata=metadata(event, "investigation_id"),
                unfurl_links=False,
            )
        except SlackApiError as exc:
            if not is_transient(exc):  # refused for good: the result says why (GET shows it)
                error = str(exc.response.get("error") or "unknown_error")
                await self.store.set_delivery_error(inv.id, error)
            raise
        await self.store.record_message(inv.id, "card", resp["channel"], resp["ts"])
