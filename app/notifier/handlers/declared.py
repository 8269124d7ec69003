"""The declarer's confirmation, once the card is out: "Declared INC-1 → #payments-oncall" with
the card's link, back where they declared (the incident's `reply_to`, saved with it so a crash
loses nothing): the slash command's response_url, ephemeral in the channel, a DM (the global
shortcut), or a reply in the thread of the message it was declared from. Recorded under one
role, so a replayed event does not confirm twice."""

from __future__ import annotations

import logging
from functools import partial

from slack_sdk.errors import SlackApiError

from app.domain.answers import Answer
from app.domain.models import Event, Incident
from app.notifier.context import Delivery
from app.notifier.poster import error_code, is_transient
from app.slack.channels import ChannelNotFound
from views.declared import declared_thread_text, declared_where_text

log = logging.getLogger("beacon.notifier")

ROLE = "declared"


class DeclareConfirmation:
    def __init__(self, notifier: Delivery) -> None:
        self.n = notifier

    async def on_triggered(self, incident: Incident, event: Event, redelivered: bool) -> None:
        where = incident.reply_to
        if where is None or await self.n.messages.message_ref(incident.id, ROLE):
            return
        channel = incident.channel
        if channel is None:
            try:
                _, channel = await self.n.channel_for(incident)
            except ChannelNotFound:
                channel = None
        answer = Answer(user=where.user, text=declared_where_text(incident, channel),
                        response_url=where.response_url, channel=where.channel, at=where.at)
        if where.source_channel and where.source_ts:
            thread = partial(self._in_thread, incident, event, redelivered, channel, answer,
                             where.source_channel, where.source_ts)
            await self.n.aside(where.source_channel, thread, f"{incident.id}: declared reply")
            return
        # An answer like a listener's, in the person's lane; the event need not wait for it.
        await self.n.stores.answers.add_answer_once(answer, incident.id, ROLE)

    async def _in_thread(
        self, incident: Incident, event: Event, redelivered: bool, channel: str | None,
        answer: Answer, source_channel: str, source_ts: str,
    ) -> None:
        async def record(at: str, ts: str) -> None:
            await self.n.messages.record_message(incident.id, ROLE, at, ts)

        try:
            await self.n.poster.post(
                known=None, record=record, event=event, channel=source_channel,
                thread_ts=source_ts, lookup=redelivered,
                text=declared_thread_text(incident, channel),
            )
        except SlackApiError as exc:
            if is_transient(exc):
                raise
            # The bot cannot write there (not a member, archived): tell the declarer instead.
            log.info("%s: no reply in %s (%s): a DM to %s instead", incident.id, source_channel,
                     error_code(exc), answer.user)
            await self.n.stores.answers.add_answer_once(answer, incident.id, ROLE)
