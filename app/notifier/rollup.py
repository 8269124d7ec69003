"""Storm rollups: when more new incidents arrive for a channel than Slack lets Beacon post there
(about one message a second), the channel gets one rollup message listing each of them, kept
current, instead of a card each; and each person paged gets one DM per storm listing what they
are paged for, instead of one per incident.

The rollup stays the card of the incidents it lists: their thread replies go in its thread and
its rows show their state. Individual cards do not follow when the storm settles: they would be
a second storm (one post a second for minutes) repeating what the rollup already shows.
"""

from __future__ import annotations

import asyncio
import logging

from slack_sdk.errors import SlackApiError

from app.domain.models import Event, Incident
from app.notifier.context import Delivery
from app.notifier.poster import is_transient
from app.store.rollups import Admission, StormRules
from views import rollup as views

log = logging.getLogger("beacon.rollup")

ROLE = "rollup"
REFRESH_EVERY_S = 2.0  # one chat.update per rollup per pass: Slack's Tier 3 is ~50 a minute


class Rollups:
    def __init__(self, notifier: Delivery, rules: StormRules | None = None) -> None:
        self.n = notifier
        self.store = notifier.stores.rollups
        self.rules = rules or StormRules()
        self._members: set[str] = set()

    # --- admitting incidents ---------------------------------------------------------------
    async def take(self, incident: Incident, event: Event, channel: str, redelivered: bool) -> bool:
        """True when the incident goes on the channel's rollup instead of getting a card."""
        if await self.is_member(incident.id):
            return True
        if self.rules.threshold <= 0:
            return False
        admitted = await self.store.admit(
            channel, incident.id, self.n.clock.now(), self.n.lanes.waiting_cards(channel) - 1,
            self.rules,
        )
        if admitted is None:
            return False
        ref = await self._message(admitted, channel, event, redelivered)
        await self.store.set_incident_rollup(incident.id, admitted.rid)
        await self.n.messages.record_message(incident.id, ROLE, *ref)
        await self.n.messages.record_message(
            incident.id, "card", *ref, card=True,
            permalink=(await self.store.message(admitted.rid)).get("permalink", ""),
        )
        self._members.add(incident.id)
        await self.store.mark_dirty(f"rollup:{admitted.rid}")
        return True

    async def _message(
        self, admitted: Admission, channel: str, event: Event, redelivered: bool
    ) -> tuple[str, str]:
        """Where the rollup message is; the instance that opened it posts it, others wait."""
        for _ in range(200):
            found = await self.store.message(admitted.rid)
            if found.get("ts"):
                return found["channel"], found["ts"]
            if admitted.new_message:
                break
            await asyncio.sleep(0.05)
        incidents = await self._incidents(await self.store.items(admitted.rid))
        place = await self.n.poster.post(
            known=None,
            record=lambda ch, ts: self.store.set_message(admitted.rid, ch, ts, ""),
            event=event,
            channel=channel,
            lookup=redelivered,
            text=views.rollup_text(incidents, admitted.started),
            blocks=views.rollup_blocks(
                admitted.rid, incidents, self.n.config, started=admitted.started,
                now=self.n.clock.now(), continued=admitted.rid != admitted.storm,
            ),
        )
        link = await self.n.client.chat_getPermalink(channel=place[0], message_ts=place[1])
        await self.store.set_message(admitted.rid, *place, str(link["permalink"]))
        log.warning("storm in %s: new incidents go on rollup %s", channel, admitted.rid)
        return place

    async def bulk_reply(self, incident: Incident, event: Event) -> None:
        """Acknowledge all: one reply in the rollup's thread for the whole batch."""
        batch = str(event.data.get("bulk") or "")
        rid = batch.split(":", 1)[0]
        info = await self.store.message(rid)
        if not info.get("ts"):
            return
        mine, posted = await self.store.claim_bulk(rid, batch, event.event_id)
        if not mine:
            return
        channel = info["channel"]

        async def record(_: str, ts: str) -> None:
            await self.store.bulk_posted(rid, batch, ts)

        await self.n.poster.post(
            known=(channel, posted) if posted else None, record=record, event=event,
            channel=channel, thread_ts=info["ts"], lookup=True,
            text=views.ack_all_reply(event.actor),
        )

    async def is_member(self, incident_id: str) -> bool:
        if incident_id in self._members:
            return True
        if self.rules.threshold <= 0:
            return False  # storms are off here
        if await self.n.messages.message_ref(incident_id, ROLE):
            self._members.add(incident_id)
            return True
        return False

    # --- keeping rollups and storm pages current -------------------------------------------
    async def refresh_for(self, incident: Incident) -> bool:
        """The incident changed: True (and its rollup marked for re-rendering) when its card is
        a rollup row."""
        if not await self.is_member(incident.id):
            return False
        rid = await self._rollup_of(incident.id)
        if rid is None:
            return True
        dirty = [f"rollup:{rid}"]
        storm = (await self.store.message(rid)).get("storm") or rid
        for field in await self.store.message(storm):
            if field.startswith("dm:"):  # a storm page DM: re-rendered if it lists the incident
                dirty.append(f"page:{storm}:{field[3:]}")
        await self.store.mark_dirty(*dirty)
        return True

    async def _rollup_of(self, incident_id: str) -> str | None:
        return await self.store.incident_rollup(incident_id)

    async def page(self, incident: Incident, event: Event, user: str) -> None:
        """Page `user` for a storm incident: their storm DM lists it (posted once per storm)."""
        rid = await self._rollup_of(incident.id)
        if rid is None:
            return
        info = await self.store.message(rid)
        storm = info.get("storm") or rid
        await self.store.page(storm, user, incident.id, self.n.clock.now())
        if await self.store.page_dm(storm, user) is None:
            await self._post_page_dm(storm, user, event)
        else:
            await self.store.mark_dirty(f"page:{storm}:{user}")

    async def _post_page_dm(self, storm: str, user: str, event: Event) -> None:
        incidents = await self._incidents(await self.store.paged_for(storm, user))
        permalink = (await self.store.message(storm)).get("permalink", "")
        await self.n.poster.post(
            known=None,
            record=lambda ch, ts: self.store.set_page_dm(storm, user, ch, ts),
            event=event,
            channel=user,
            text=views.storm_page_text(len(incidents)),
            blocks=views.storm_page_blocks(
                incidents, self.n.config, permalink=permalink, now=self.n.clock.now()),
        )

    async def _incidents(self, ids: list[str]) -> list[Incident]:
        return await self.n.incidents.get_many(ids)

    async def run(self, stop: asyncio.Event) -> None:
        """Re-render what changed, at most once per pass each: a storm's many changes become
        a few updates."""
        while not stop.is_set():
            try:
                for name in await self.store.take_dirty(50):
                    try:
                        await self.render(name)
                    except SlackApiError as exc:
                        if is_transient(exc):
                            await self.store.mark_dirty(name)
                            raise
                        self.n.count_refusal(str(exc.response.get("error", "")))
                        log.warning("%s not updated: %s", name, exc.response.get("error"))
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("rollup refresh failed (%s); retrying", exc)
            await self.n.clock.sleep(REFRESH_EVERY_S)

    async def render(self, name: str) -> None:
        kind, _, rest = name.partition(":")
        if kind == "rollup":
            info = await self.store.message(rest)
            if not info.get("ts"):
                await self.store.mark_dirty(name)  # not posted yet
                return
            incidents = await self._incidents(await self.store.items(rest))
            started = float(info.get("started") or 0)
            await self.n.client.chat_update(
                channel=info["channel"], ts=info["ts"],
                text=views.rollup_text(incidents, started),
                blocks=views.rollup_blocks(
                    rest, incidents, self.n.config, started=started, now=self.n.clock.now(),
                    continued=info.get("storm", rest) != rest),
            )
        elif kind == "page":
            storm, _, user = rest.partition(":")
            ref = await self.store.page_dm(storm, user)
            if ref is None:
                return
            incidents = await self._incidents(await self.store.paged_for(storm, user))
            permalink = (await self.store.message(storm)).get("permalink", "")
            await self.n.client.chat_update(
                channel=ref[0], ts=ref[1], text=views.storm_page_text(len(incidents)),
                blocks=views.storm_page_blocks(
                    incidents, self.n.config, permalink=permalink, now=self.n.clock.now()),
            )
