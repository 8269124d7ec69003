"""Runbooks: the notifier's side. Starts runs on matching incident events and runs
one step per `incident.runbook_step` event.

Each step's Slack work is recorded under its own role (`rb:<run>:<step>`), so a redelivered
step event finds it done; its completion is a transition (RunbookStore.step_done) that puts
the result in the timeline and emits the next step (or arms a timer for `wait`). A step Slack
refuses stops the run: `runbook_fail` emits an event, and its notice in the card thread has a
"Retry step" button.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.errors import SlackApiError

from app.config.oncall import Target
from app.config.placeholders import fill
from app.config.runbooks import CreateThread, Runbook, Step
from app.domain.escalation import start_levels
from app.domain.models import Event, EventType, Incident
from app.notifier.context import Delivery
from app.notifier.handlers.channels import TRANSIENT, IncidentChannels, StepFailed
from app.notifier.handlers.oncall import Pager
from app.notifier.poster import metadata
from app.slack.channels import ChannelNotFound
from views import runbooks as views
from views.incident_channel import TOPIC_MAX
from views.mrkdwn import format_duration, truncate
from views.templates import placeholder_values

log = logging.getLogger("beacon.runbooks")

TRIGGERS = {
    EventType.TRIGGERED: "triggered",
    EventType.ACKNOWLEDGED: "acknowledged",
    EventType.ESCALATED: "escalated",
    EventType.RESOLVED: "resolved",
}
RUNBOOK_EVENTS = {
    EventType.RUNBOOK_STEP,
    EventType.RUNBOOK_STEP_DONE,
    EventType.RUNBOOK_STEP_FAILED,
}


class StepProblem(Exception):
    """Beacon's own reason a step cannot run (a code from views.runbooks.STEP_FIXES)."""


class RunbookRunner:
    def __init__(self, notifier: Delivery) -> None:
        self.n = notifier
        self.incidents = notifier.incidents
        self.messages = notifier.messages
        self.config = notifier.config
        self.client = notifier.client
        self.clock = notifier.clock
        self.runs = notifier.stores.runbooks
        self.channels = IncidentChannels(notifier)

    # --- entry points ------------------------------------------------------------------------
    async def start_matching(self, incident: Incident, event: Event, redelivered: bool) -> None:
        """Start every runbook whose trigger matches this event (once per event)."""
        on = TRIGGERS.get(event.type)
        if on is None:
            return
        for rb in self.config.runbooks:
            t = rb.trigger
            if t.on != on or not t.matches(incident.severity, incident.service):
                continue
            due = event.at + t.after_minutes * 60 if t.after_minutes else 0
            await self.runs.start(
                incident.id,
                f"{rb.name}@{event.event_id}",
                rb.name,
                len(rb.steps),
                self.clock.now(),
                due=due,
                if_status=t.if_status,
            )

    # --- one step ----------------------------------------------------------------------------
    def _runbook(self, name: str) -> Runbook | None:
        return next((rb for rb in self.config.runbooks if rb.name == name), None)

    async def run_step(self, incident: Incident, event: Event, redelivered: bool) -> None:
        run_id, index = str(event.data["run"]), int(event.data["step"])
        rb = self._runbook(str(event.data["runbook"]))
        if rb is None or index >= len(rb.steps):
            await self.runs.fail(incident.id, run_id, index, "?", "runbook_removed", self.now())
            return
        step = rb.steps[index]
        if event.data.get("retry"):
            await self.mark_retried(incident, event, rb, step, index)
        try:
            result, delay = await self.execute(incident, event, run_id, index, step, redelivered)
        except SlackApiError as exc:
            code = str(exc.response.get("error", ""))
            if code in TRANSIENT:
                raise  # the event stays pending and is replayed
            await self.runs.fail(incident.id, run_id, index, step.type, code, self.now())
            return
        except StepFailed as exc:
            await self.runs.fail(incident.id, run_id, index, step.type, exc.code, self.now())
            return
        except StepProblem as exc:
            await self.runs.fail(incident.id, run_id, index, step.type, str(exc), self.now())
            return
        text = f"Runbook {rb.name}, step {index + 1} ({step.type}): {result}"
        await self.runs.step_done(
            incident.id, run_id, index, text, self.now(), delay,
            step_type=step.type, outcome=str(result),
        )

    def now(self) -> float:
        return self.clock.now()

    async def execute(
        self, incident: Incident, event: Event, run: str, index: int, step: Step, redelivered: bool
    ) -> tuple[str, float]:
        """Do one step's Slack work; (what happened, seconds to wait before the next step)."""
        opts = step.options
        role = f"rb:{run}:{index}"
        incident = await self.incidents.get(incident.id) or incident  # earlier steps changed it
        match step.type:
            case "create_channel":
                return await self.create_channel(incident, redelivered), 0
            case "send_message" | "create_thread":
                return await self.send(incident, event, run, role, opts, redelivered), 0
            case "invite_users":
                return await self.invite(incident, opts), 0
            case "set_topic":
                channel = self._channel(incident)
                if opts.text:
                    topic = truncate(fill(opts.text, self._values(incident)), TOPIC_MAX)
                    await self.client.conversations_setTopic(channel=channel, topic=topic)
                else:
                    await self.channels.set_topic(incident)
                return f"topic of <#{channel}> set", 0
            case "add_bookmark":
                return await self.bookmark(incident, role, opts), 0
            case "post_summary":
                channel = self._channel(incident)
                await self.channels.post_summary(incident, event, channel, redelivered=redelivered)
                return f"summary posted and pinned in <#{channel}>", 0
            case "archive_channel":
                channel = self._channel(incident)
                await self.channels.archive(incident, event)
                return f"<#{channel}> archived", 0
            case "wait":
                return f"waiting {format_duration(opts.minutes * 60)}", opts.minutes * 60
        raise StepProblem(f"unknown_step {step.type}")

    # --- the steps ---------------------------------------------------------------------------
    def _values(self, incident: Incident) -> dict[str, str]:
        return placeholder_values(incident, self.config)

    @staticmethod
    def _channel(incident: Incident) -> str:
        if not incident.incident_channel:
            raise StepProblem("no_incident_channel")
        return incident.incident_channel

    async def create_channel(self, incident: Incident, redelivered: bool) -> str:
        if incident.incident_channel:
            return f"<#{incident.incident_channel}> already exists"
        created = await self.channels.create(incident, redelivered=redelivered)
        channel = await self.messages.set_incident_channel(incident.id, created) or created
        fresh = await self.incidents.get(incident.id)
        if fresh is not None:
            await self.n.update_card(fresh)  # the card links the channel
        return f"created <#{channel}>"

    async def _target(
        self, incident: Incident, run: str, to: str | None, thread: bool
    ) -> tuple[str, str | None]:
        if to is None and thread:
            to = "incident_channel"
        if to is None:  # after a create_thread, replies go in its thread
            parent = await self.messages.message_ref(incident.id, f"rb:{run}:thread")
            if parent:
                return parent
            to = "card_thread"
        if to == "incident_channel":
            return self._channel(incident), None
        if to == "card_thread":
            if not incident.channel or not incident.card_ts:
                raise StepProblem("no_card")
            return incident.channel, (None if thread else incident.card_ts)
        try:
            return await self.n.channels.resolve(to), None
        except ChannelNotFound:
            raise StepProblem(f"channel_not_found ({to})") from None

    async def send(
        self, incident: Incident, event: Event, run: str, role: str, opts: Any, redelivered: bool
    ) -> str:
        thread = isinstance(opts, CreateThread)
        channel, thread_ts = await self._target(incident, run, opts.to, thread)
        values = self._values(incident)
        text = fill(opts.text, values) if opts.text else f"{incident.id}: runbook message"
        blocks = fill(opts.blocks, values) if opts.blocks else None
        if not await self.n.already_posted(
            incident.id, role, event, channel, thread_ts, redelivered
        ):
            resp = await self.client.chat_postMessage(
                channel=channel,
                thread_ts=thread_ts,
                text=text,
                blocks=blocks,
                metadata=metadata(event),
                unfurl_links=False,
            )
            await self.messages.record_message(incident.id, role, resp["channel"], resp["ts"])
        ref = await self.messages.message_ref(incident.id, role)
        assert ref is not None
        if thread:
            await self.messages.record_message(incident.id, f"rb:{run}:thread", ref[0], ref[1])
            return f"thread started in <#{ref[0]}>"
        return f"message posted in <#{ref[0]}>" + (" (thread)" if thread_ts else "")

    async def invite(self, incident: Incident, opts: Any) -> str:
        channel = self._channel(incident)
        pager = Pager(self.n)
        wanted: list[str] = []
        for ref in opts.users:
            found = await pager.resolve(Target(user=ref))
            if not found:
                raise StepProblem(f"user_not_found ({ref})")
            wanted += found
        for group in opts.groups:
            wanted += await pager.resolve(Target(group=group))
        policy = self.config.policy_for(incident.service) if opts.oncall else None
        if policy:
            for level in range(1, start_levels(policy[1], incident.severity) + 1):
                for target in policy[1].levels[level - 1].targets:
                    wanted += await pager.resolve(target)
        members = set((await self.client.conversations_members(channel=channel))["members"])
        missing = list(dict.fromkeys(u for u in wanted if u not in members))
        if not missing:
            return f"everyone was already in <#{channel}>"
        await self.client.conversations_invite(channel=channel, users=",".join(missing))
        return "invited " + ", ".join(f"<@{u}>" for u in missing)

    async def bookmark(self, incident: Incident, role: str, opts: Any) -> str:
        channel = self._channel(incident)
        values = self._values(incident)
        link = fill(opts.link, values).strip()
        if not link:
            raise StepProblem("no_link")
        if not await self.messages.message_ref(incident.id, role):
            resp = await self.client.bookmarks_add(
                channel_id=channel, title=fill(opts.title, values), type="link", link=link
            )
            bookmark = str(resp["bookmark"]["id"])
            await self.messages.record_message(incident.id, role, channel, bookmark)
        return f"bookmark added in <#{channel}>"

    # --- failures and retries ----------------------------------------------------------------
    async def announce_failure(self, incident: Incident, event: Event, redelivered: bool) -> None:
        data = event.data
        run, index = str(data["run"]), int(data["step"])
        log.warning(
            "%s: runbook %s stopped at step %s: %s",
            incident.id,
            data.get("runbook"),
            index + 1,
            data.get("error"),
        )
        if not incident.channel or not incident.card_ts:
            return  # no card to tell it on; the timeline has it
        role = f"rb-fail:{event.event_id}"
        if not await self.messages.message_ref(incident.id, role):
            blocks = views.failure_blocks(
                incident.id,
                run,
                str(data["runbook"]),
                index,
                str(data.get("step_type")),
                str(data.get("error")),
            )
            resp = await self.client.chat_postMessage(
                channel=incident.channel,
                thread_ts=incident.card_ts,
                text=views.failure_text(
                    str(data["runbook"]), index, str(data.get("step_type")), str(data["error"])
                ),
                blocks=blocks,
                metadata=metadata(event),
                unfurl_links=False,
            )
            await self.messages.record_message(incident.id, role, resp["channel"], resp["ts"])
        ref = await self.messages.message_ref(incident.id, role)
        assert ref is not None
        await self.messages.record_message(incident.id, f"rb-fail:{run}:{index}", ref[0], ref[1])

    async def mark_retried(
        self, incident: Incident, event: Event, rb: Runbook, step: Step, index: int
    ) -> None:
        """The failure notice loses its button, so nobody retries twice."""
        ref = await self.messages.message_ref(incident.id, f"rb-fail:{event.data['run']}:{index}")
        if ref is None:
            return
        text = views.retried_text(rb.name, index, step.type, event.actor)
        try:
            section = {"type": "section", "text": {"type": "mrkdwn", "text": text}}
            await self.client.chat_update(channel=ref[0], ts=ref[1], text=text, blocks=[section])
        except SlackApiError as exc:
            if str(exc.response.get("error", "")) in TRANSIENT:
                raise
            log.warning("could not update the failure notice: %s", exc.response.get("error"))

