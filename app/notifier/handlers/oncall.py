"""On-call side of the notifier: arms SLA and escalation timers, pages people, SLA notices.

Called by the Delivery for incident events; everything it posts carries the event id in
message metadata and is recorded on the incident, like every other post.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from functools import partial

from slack_sdk.errors import SlackApiError

from app.config import EventKind
from app.config.oncall import EscalationPolicy, Target
from app.domain.escalation import (
    Step,
    delay_s,
    escalates,
    next_step,
    paging_policy,
    start_levels,
)
from app.domain.models import Event, EventType, Incident, Status
from app.domain.oncall import on_call
from app.domain.routing import event_enabled
from app.domain.timers import escalation_timer, sla_timer
from app.notifier.context import Delivery
from app.notifier.handlers.cards import PAGE_ROLE, page_role
from app.notifier.poster import metadata
from app.ops.metrics import METRICS
from views import oncall as oncall_views
from views.mrkdwn import escape, format_duration

log = logging.getLogger("beacon.pager")


class Pager:
    def __init__(self, notifier: Delivery) -> None:
        self.n = notifier
        self.incidents = notifier.incidents
        self.messages = notifier.messages
        self.oncall = notifier.oncall
        self.timers = notifier.timers
        self.config = notifier.config
        self.client = notifier.client
        self.clock = notifier.clock

    # --- entry points ----------------------------------------------------------------------
    async def on_triggered(
        self, incident: Incident, event: Event, redelivered: bool = False
    ) -> bool:
        """Arms SLA and escalation timers and pages the first levels, as the severity's urgency
        says (urgency_paging). True when the incident changed (its escalation level)."""
        timers = self._sla_timers(incident)
        policy = paging_policy(self.config, incident.service, incident.severity)
        first = start_levels(policy, incident.severity) if policy else 0
        if policy is None or not escalates(self.config, incident.severity):
            # SLA timers only: nothing below reads them, they go with the finish
            await self.n.arm_later(incident.id, timers)
            if policy is not None:  # pages its first levels once
                await self.page(incident, event, policy, range(1, first + 1), why="triggered")
            return False
        fields = {"esc_level": first, "esc_round": 0}
        due = incident.created_at + delay_s(policy, first)
        timers.append(self._esc_timer(incident.id, Step(first, 0), due))
        await self.timers.arm(incident.id, fields=fields, timers=timers)
        fresh = await self.incidents.get(incident.id) or incident
        await self.page(fresh, event, policy, range(1, first + 1), why="triggered")
        return True

    async def on_reopened(
        self, incident: Incident, event: Event, redelivered: bool = False
    ) -> None:
        """Reopened: the resolve SLA and, when its urgency escalates, escalation start over
        from the reopen, in a round of their own (timer ids carry the reopen's seq, so they are
        the same when the event is replayed and differ from every earlier round's)."""
        epoch = str(event.seq)
        sev = self.config.severity(incident.severity)
        timers: list[dict[str, object]] = []
        if sev.sla_ack_minutes and incident.status is Status.TRIGGERED:
            timers.append(self._sla_timer(incident.id, "ack", sev.sla_ack_minutes, event.at,
                                          epoch))
        if sev.sla_resolve_minutes:
            timers.append(self._sla_timer(incident.id, "resolve", sev.sla_resolve_minutes,
                                          event.at, epoch))
        policy = paging_policy(self.config, incident.service, incident.severity)
        first = int(event.data.get("esc_start") or 0)
        if policy and first:
            due = event.at + delay_s(policy, first)
            timers.append(self._esc_timer(incident.id, Step(first, 0), due, epoch=epoch))
        if timers and policy and first:  # paging may advance the escalation timer at once
            await self.timers.arm(incident.id, fields={}, timers=timers)
        elif timers:
            await self.n.arm_later(incident.id, timers)
        if policy and incident.status is Status.TRIGGERED:
            levels = first or start_levels(policy, incident.severity)
            await self.page(incident, event, policy, range(1, levels + 1), why="reopened")

    async def on_severity_changed(
        self, incident: Incident, event: Event, redelivered: bool = False
    ) -> None:
        """severity.lua stopped or started escalation with the new severity's urgency: say so,
        arm the first escalation timer, page the first levels when nobody was paged before."""
        data = event.data
        found = self.config.policy_for(incident.service)
        if found is None:
            return
        policy = found[1]
        if data.get("escalation") == "stopped":
            text = oncall_views.escalation_stopped_text(incident, self.config)
            await self.thread(incident, event, text)
        if data.get("escalation") == "started" and incident.esc_level:
            level = int(data.get("esc_start") or 1)
            timer = self._esc_timer(incident.id, Step(level, 0), event.at + delay_s(policy, level),
                                    suffix=f":s{event.seq}", epoch=incident.epoch)
            await self.timers.arm(incident.id, fields={}, timers=[timer])
        levels = int(data.get("page") or 0)
        if levels and incident.status is Status.TRIGGERED \
                and not incident.snoozed_at(self.clock.now()):
            await self.page(incident, event, policy, range(1, levels + 1), why="severity",
                            timer_suffix=f":s{event.seq}")

    async def on_escalated(
        self, incident: Incident, event: Event, redelivered: bool = False
    ) -> None:
        found = self.config.policy_for(incident.service)
        level = int(event.data["level"])
        if found is None:
            return
        if incident.status is not Status.TRIGGERED or incident.snoozed_at(self.clock.now()):
            # The escalation was decided just before an ack/snooze: page nobody now.
            state = "acknowledged" if incident.is_open else "resolved"
            if incident.snoozed_at(self.clock.now()):
                state = "snoozed"
            await self.thread(incident, event, f"Escalation to level {level} stopped: "
                                               f"{incident.id} is already {state}.")
            return
        await self.page(incident, event, found[1], [level], why="escalated")

    async def on_unsnoozed(
        self, incident: Incident, event: Event, redelivered: bool = False
    ) -> None:
        policy = paging_policy(self.config, incident.service, incident.severity)
        if incident.status is not Status.TRIGGERED or policy is None:
            if incident.assignee:
                await self.snooze_over(incident, event)
            return
        level = incident.esc_level or 1
        if incident.esc_level and escalates(self.config, incident.severity):
            step = Step(level, incident.esc_round)
            due = self.clock.now() + delay_s(policy, level)
            timer = self._esc_timer(incident.id, step, due, suffix=f":w{event.seq}",
                                    epoch=incident.epoch)
            await self.timers.arm(incident.id, fields={}, timers=[timer])
        if incident.assignee:
            await self.snooze_over(incident, event)
        else:
            await self.page(incident, event, policy, [level], why="snooze_over",
                            timer_suffix=f":w{event.seq}")

    async def snooze_over(self, incident: Incident, event: Event) -> None:
        """The assignee's DM when a snooze ends, in their own DM lane."""
        assignee = incident.assignee
        assert assignee
        role = f"wake:{event.event_id}"
        if await self.messages.message_ref(incident.id, role):
            return
        message = self.n.cards.dm_message(
            incident, f"⏰ Snooze is over: {incident.id} needs attention again.")
        await self.n.aside(assignee, partial(
            self.n.poster.post, known=None,
            record=lambda ch, ts: self.messages.record_message(incident.id, role, ch, ts),
            event=event, channel=assignee, **message,
        ), f"{incident.id}: snooze-over DM to {assignee}")

    async def on_sla_breached(
        self, incident: Incident, event: Event, redelivered: bool = False
    ) -> None:
        kind = event.data["kind"]
        minutes = int(event.data.get("minutes", 0))
        verb = "acknowledged" if kind == "ack" else "resolved"
        text = (f"⚠️ SLA breached: {incident.id} was not {verb} within "
                f"{format_duration(minutes * 60)}.")
        METRICS.sla_breaches.labels(kind=kind, severity=incident.severity).inc()
        await self.thread(incident, event, text, always=True)
        ref, channel = await self.n.channel_for(incident)
        if await self.n.rollups.is_member(incident.id):
            return
        if channel and event_enabled(self.config, ref or "", EventKind.SLA_BREACHED):
            role = f"notice:{event.event_id}"
            if await self.messages.message_ref(incident.id, role):
                return
            link = f"<{incident.permalink}|{incident.id}>" if incident.permalink else incident.id
            resp = await self.client.chat_postMessage(
                channel=channel, unfurl_links=False, metadata=metadata(event),
                text=f"⚠️ {link} ({incident.severity}, {escape(incident.title)}) missed its "
                     f"time to be {verb} ({format_duration(minutes * 60)}).",
            )
            await self.messages.record_message(incident.id, role, resp["channel"], resp["ts"])

    # --- paging ----------------------------------------------------------------------------
    async def page(
        self, incident: Incident, event: Event, policy: EscalationPolicy,
        levels: Iterable[int], *, why: str, timer_suffix: str = "",
    ) -> None:
        """Page everyone at `levels` (each at their own level, the first one they are on),
        say so in the card thread and record it in the timeline. `why`: what caused it
        (triggered, escalated, reopened, severity, snooze_over); `timer_suffix`: the one the
        escalation timer armed with these pages carries (a level with nobody moves it on)."""
        levels = list(levels)
        paged: dict[str, int] = {}  # user -> the level they are paged at (their own)
        skipped: list[str] = []
        for level in levels:
            for target in policy.levels[level - 1].targets:
                for user in await self.resolve(target):
                    profile = await self.n.directory.profile(user)
                    if profile.get("deleted") or not profile.get("known", True):
                        skipped.append(user)
                        continue
                    paged.setdefault(user, level)
        last = max(levels)
        reopened = why == "reopened"
        if await self.n.rollups.is_member(incident.id) and not reopened:
            # A storm: one DM per person lists everything they are paged for, kept current.
            for user, level in paged.items():
                await self.n.rollups.page(incident, event, user)
                METRICS.pages.labels(level=str(level)).inc()
        else:
            for user, level in paged.items():  # counted in METRICS.pages once sent
                await self.dm(incident, event, user, level, reopened=reopened)
        if paged:
            await self.incidents.record_pages(
                incident.id, event.seq, list(paged.items()), why, self.clock.now())
        if skipped:
            gone = ", ".join(f"<@{u}>" for u in skipped)
            await self.thread(incident, event, f"Skipped {gone}: no longer in the workspace.",
                              role_suffix=":skipped")
        if not paged:
            if not incident.esc_level:  # pages once, no escalation to move on to
                await self.thread(incident, event, f"Level {last} has nobody to page.")
                return
            nxt = next_step(policy, Step(last, incident.esc_round))
            note = f"Level {last} has nobody to page"
            note += ": escalating on at once." if nxt else "; nobody is left to escalate to."
            await self.thread(incident, event, note)
            timer = self._esc_timer(incident.id, Step(last, incident.esc_round), 0,
                                    suffix=timer_suffix, epoch=incident.epoch)
            await self.timers.advance_timer(str(timer["id"]), self.clock.now())
            return
        await self.thread(incident, event, oncall_views.paged_text(incident, paged, why))

    async def resolve(self, target: Target) -> list[str]:
        """Slack user ids behind a target, now."""
        try:
            if target.user:
                uid = await self.n.directory.user_id(target.user)
                return [uid] if uid else []
            if target.schedule:
                schedule = self.config.schedules[target.schedule]
                extra = await self.oncall.overrides(target.schedule)
                current = on_call(schedule, self.clock.now(), extra).user
                uid = await self.n.directory.user_id(current) if current else None
                return [uid] if uid else []
            if target.group:
                resp = await self.client.usergroups_users_list(usergroup=target.group)
                return list(resp.get("users") or [])
        except SlackApiError as exc:
            log.warning("cannot resolve %s: %s", target, exc.response.get("error"))
        return []

    # --- posting helpers -------------------------------------------------------------------
    async def dm(
        self, incident: Incident, event: Event, user: str, level: int, *, reopened: bool = False
    ) -> bool:
        """Page one person by DM. A reopen brings their earlier page DM back to life (updated in
        place, buttons back) instead of sending a copy."""
        role = page_role(event, user, level)
        if await self.messages.message_ref(incident.id, role):
            return False
        if reopened:
            earlier = await self._earlier_page(incident.id, user)
            if earlier is not None:
                await self.messages.record_message(incident.id, role, *earlier)
                METRICS.pages.labels(level=str(level)).inc()
                return True  # Cards.refresh re-renders it with the reopened state
        message = self.n.cards.page_message(incident, role)

        async def send() -> None:  # in the person's own DM lane
            await self.n.poster.post(
                known=None,
                record=lambda ch, ts: self.messages.record_message(incident.id, role, ch, ts),
                event=event,
                channel=user,
                **message,
            )
            METRICS.pages.labels(level=str(level)).inc()

        await self.n.aside(user, send, f"{incident.id}: page DM to {user}")
        return True

    async def _earlier_page(self, incident_id: str, user: str) -> tuple[str, str] | None:
        for role, place in (await self.messages.messages(incident_id)).items():
            if role.startswith(f"{PAGE_ROLE}:") and f":{user}:" in role:
                channel, ts = place.split(" ", 1)
                return channel, ts
        return None

    async def thread(
        self, incident: Incident, event: Event, text: str, *, always: bool = False,
        role_suffix: str = "",
    ) -> None:
        if not incident.channel or not incident.card_ts:
            return
        if await self.n.rollups.is_member(incident.id):
            return  # a storm: its rollup row and the storm page DMs show this, not 200 replies
        ref, _ = await self.n.channel_for(incident)
        if not always and not event_enabled(self.config, ref or incident.channel,
                                            EventKind.ESCALATED):
            return
        role = f"oncall:{event.event_id}{role_suffix}"
        if await self.messages.message_ref(incident.id, role):
            return
        resp = await self.client.chat_postMessage(
            channel=incident.channel, thread_ts=incident.card_ts, text=text,
            metadata=metadata(event), unfurl_links=False,
        )
        await self.messages.record_message(incident.id, role, resp["channel"], resp["ts"])

    # --- timers ----------------------------------------------------------------------------
    def _sla_timers(self, incident: Incident) -> list[dict[str, object]]:
        sev = self.config.severity(incident.severity)
        out: list[dict[str, object]] = []
        for kind, minutes in (("ack", sev.sla_ack_minutes), ("resolve", sev.sla_resolve_minutes)):
            if minutes:
                out.append(self._sla_timer(incident.id, kind, minutes, incident.created_at))
        return out

    @staticmethod
    def _sla_timer(
        incident_id: str, kind: str, minutes: int, start: float, epoch: str = ""
    ) -> dict[str, object]:
        return sla_timer(incident_id, kind, minutes, start, epoch=epoch)

    @staticmethod
    def _esc_timer(
        incident_id: str, step: Step, due: float, suffix: str = "", epoch: str = ""
    ) -> dict[str, object]:
        return escalation_timer(incident_id, step, due, suffix=suffix, epoch=epoch)



__all__ = ["EventType", "Pager"]
