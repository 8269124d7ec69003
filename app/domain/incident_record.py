"""The incident record: follow-ups, the retrospective, roles, messages pinned by
reaction. The calls listeners and the scheduler make; no Slack here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

from app.config import BeaconConfig
from app.config.roles import RoleConfig
from app.domain import timers
from app.domain.errors import InvalidInput
from app.domain.incidents import IncidentService, check
from app.domain.models import NOTE_MAX, FollowUp, Incident
from app.domain.ports import MessageReader, RecordRepository
from app.domain.refusals import Refusal, RefusalCode, RefusalError
from app.domain.results import Refused, Transition
from app.domain.timers import TimerSpec

FOLLOWUP_MAX = 500
ROLE_USAGE = "`/incident role commander INC-42 @user` (in the incident channel, the id can go)"


@dataclass(frozen=True)
class RetroDraft:
    incident: Incident
    today: str  # ISO date, UTC


@dataclass(frozen=True)
class MessageReaction:
    """Someone reacted to a message: with which emoji, where, and who wrote the message."""

    emoji: str
    channel: str
    ts: str
    actor: str
    author: str | None = None  # the message's author when Slack says so with the reaction


def normalise_followup_id(raw: str) -> str:
    """Accept 'F-3', 'f-3', '#3' or '3'."""
    text = raw.strip().upper().lstrip("#")
    if text.startswith("F-"):
        text = text[2:]
    if not text.isdigit():
        raise InvalidInput(f"`{raw}` is not a follow-up id. Ids look like F-3.")
    return f"F-{int(text)}"


def role_nudge_timer(config: BeaconConfig, incident: Incident) -> TimerSpec | None:
    """The one-off 'roles unclaimed' timer for a new incident, or None when not wanted."""
    minutes = config.role_nudge_minutes
    if not minutes or not config.roles or incident.severity not in config.role_nudge_for:
        return None
    return timers.role_nudge_timer(incident.id, incident.created_at + minutes * 60)


def raised_nudge_timer(
    config: BeaconConfig, incident_id: str, *, severity: str, previous: str, seq: int, at: float
) -> TimerSpec | None:
    """The nudge timer for a severity raised into `role_nudge_for` after declaration (P3 → P1),
    or None. Its id carries the severity change's seq: a replayed event arms nothing new."""
    minutes = config.role_nudge_minutes
    wanted = config.role_nudge_for
    if not minutes or not config.roles or severity not in wanted or previous in wanted:
        return None
    return timers.role_nudge_timer(incident_id, at + minutes * 60, seq=seq)


class IncidentRecord:
    def __init__(self, incidents: IncidentService, store: RecordRepository) -> None:
        self.incidents = incidents
        self.store = store
        self.config = incidents.config
        self.clock = incidents.clock

    # --- follow-ups --------------------------------------------------------------------------
    async def add_followup(self, incident_id: str, actor: str, text: str) -> str:
        text = text.strip()
        if not text:
            raise InvalidInput(
                "Write the follow-up after the id: `/incident followup add INC-42 <text>`."
            )
        if len(text) > FOLLOWUP_MAX:
            raise InvalidInput(
                f"Keep a follow-up to {FOLLOWUP_MAX} characters (it has {len(text)})."
            )
        fid, outcome = await self.store.add_followup(incident_id, actor, text, self.clock.now())
        check(incident_id, outcome, actor)
        return fid

    async def finish_followup(self, raw_id: str, actor: str) -> FollowUp:
        fid = normalise_followup_id(raw_id)
        outcome = await self.store.finish_followup(fid, actor, self.clock.now())
        if isinstance(outcome, Refused):
            if outcome.code == "not_found":
                raise InvalidInput(
                    f"I can't find follow-up {fid}. See them with `/incident followup list`."
                )
            if outcome.code == "done":
                code = RefusalCode.FOLLOWUP_DONE
                raise RefusalError(Refusal(code, fid, actor, by=outcome.by, at=outcome.at))
        item = await self.store.followup(fid)
        assert item is not None
        check(item.incident_id, outcome, actor)
        return item

    async def followups(self, incident_id: str | None) -> list[FollowUp]:
        if incident_id:
            await self.incidents.get(incident_id)  # an unknown id is said, not listed as empty
        return await self.store.followups(incident_id)

    # --- retrospective -----------------------------------------------------------------------
    def today(self) -> date:
        """Today (UTC): the earliest a retrospective may be scheduled for."""
        return datetime.fromtimestamp(self.clock.now(), UTC).date()

    async def retro_draft(self, incident_id: str) -> RetroDraft:
        """What the Schedule retrospective modal opens with."""
        return RetroDraft(await self.incidents.get(incident_id), self.today().isoformat())

    async def schedule_retro(
        self, incident_id: str, actor: str, day: str, owner: str, notes: str
    ) -> None:
        try:
            when = date.fromisoformat(day)
        except ValueError:
            raise InvalidInput("Pick a date for the retrospective.", field="date") from None
        if when < self.today():
            raise InvalidInput("That date has passed: pick today or later.", field="date")
        if not owner:
            raise InvalidInput("Pick who owns the retrospective.", field="owner")
        notes = notes.strip()
        if len(notes) > NOTE_MAX:
            raise InvalidInput(f"Keep the notes to {NOTE_MAX} characters.", field="notes")
        outcome = await self.store.schedule_retro(
            incident_id, actor, when.isoformat(), owner, notes, self.clock.now()
        )
        check(incident_id, outcome, actor)

    # --- roles -------------------------------------------------------------------------------
    def role(self, name: str) -> RoleConfig:
        wanted = name.strip().lower()
        for role in self.config.roles:
            if role.name == wanted:
                return role
        known = ", ".join(r.name for r in self.config.roles)
        raise InvalidInput(f"`{name}` is not a role here. Roles: {known}.")

    async def assign_role(self, incident_id: str, actor: str, role: str, user: str) -> Incident:
        name = self.role(role).name
        outcome = await self.store.assign_role(incident_id, actor, name, user, self.clock.now())
        if isinstance(outcome, Refused) and outcome.code == "holder":
            code = RefusalCode.ROLE_HELD
            raise RefusalError(Refusal(code, incident_id, actor, by=user, value=name))
        check(incident_id, outcome, actor)
        return await self.incidents.get(incident_id)

    async def assign_role_here(
        self, actor: str, role: str, user: str, incident_id: str | None, channel: str | None
    ) -> str:
        """assign_role on the incident named, else on the one whose channel this is; returns
        the incident's id."""
        if incident_id is None:
            incident_id = await self.incident_for_channel(channel)
            if incident_id is None:
                raise InvalidInput(
                    f"Which incident? Outside an incident channel, name it: {ROLE_USAGE}"
                )
        await self.assign_role(incident_id, actor, role, user)
        return incident_id

    async def nudge_due(self, timer_id: str, timer: dict[str, str]) -> Transition | Refused:
        """The scheduler's handler for `role_nudge` timers."""
        return await self.store.role_nudge(
            timer["incident_id"],
            timer_id,
            sorted(self.config.role_nudge_for),
            [r.name for r in self.config.roles],
            self.clock.now(),
        )

    async def incident_for_channel(self, channel: str | None) -> str | None:
        return await self.store.incident_for_channel(channel) if channel else None

    # --- timeline capture --------------------------------------------------------------------
    async def pin_reaction(self, reaction: MessageReaction, read: MessageReader) -> bool:
        """A `timeline_emoji` reaction in an incident channel adds the message to the timeline.
        False when the reaction is another emoji, outside an incident channel, or the message
        is on the timeline already. `read` fetches the message, only when it is wanted."""
        if reaction.emoji != self.config.timeline_emoji:
            return False
        incident_id = await self.incident_for_channel(reaction.channel)
        if incident_id is None:
            return False  # not an incident channel
        message = await read(reaction.channel, reaction.ts)
        return await self.pin_message(
            incident_id,
            reaction.actor,
            channel=reaction.channel,
            ts=reaction.ts,
            author=reaction.author or message.user,
            text=message.text,
            permalink=message.permalink,
            thread_ts=message.thread_ts or "",
        )

    async def pin_message(
        self,
        incident_id: str,
        actor: str,
        *,
        channel: str,
        ts: str,
        author: str,
        text: str,
        permalink: str,
        thread_ts: str = "",
    ) -> bool:
        """Add a message to the timeline; False when it was added before (a second 📌)."""
        text = re.sub(r"\s+", " ", text).strip()
        if len(text) > NOTE_MAX:
            text = text[: NOTE_MAX - 1] + "…"
        outcome = await self.store.pin_message(
            incident_id,
            actor,
            channel=channel,
            ts=ts,
            author=author,
            text=text,
            permalink=permalink,
            thread_ts=thread_ts,
            now=self.clock.now(),
        )
        if isinstance(outcome, Refused) and outcome.code == "pinned":
            return False
        check(incident_id, outcome, actor)
        return True
