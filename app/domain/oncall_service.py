"""On call from Slack: who is on call now, overrides (only a schedule's admins may add one), and
the dry run of where a new incident would go and who it would page.

No Slack here: people named in the config (ids or emails) become user ids through a lookup
port, and what is found is returned as data that views/oncall.py words.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from app.clock import Clock
from app.config import BeaconConfig
from app.config.oncall import Override
from app.domain.errors import BeaconError, InvalidInput, UnknownName
from app.domain.oncall import on_call
from app.domain.ports import OverrideRepository, UserLookup
from app.domain.routing import Route, route

OVERRIDE_USAGE = "Usage: `/incident oncall override @user until 2h [schedule]`"
OVERRIDE_MAX = timedelta(days=60)


class NotScheduleAdmin(BeaconError):
    """Only a schedule's admins may add overrides to it."""

    def __init__(self, schedule: str, admins: tuple[str, ...]) -> None:
        super().__init__(
            f"Only the admins of schedule {schedule} can add overrides "
            f"({', '.join(admins) or 'none configured'})."
        )
        self.schedule = schedule
        self.admins = admins  # their Slack user ids, sorted


@dataclass(frozen=True)
class ScheduleNow:
    """Who is on a schedule now, until when, and who is next."""

    schedule: str
    user: str | None  # as the schedule names them (an id or an email); None: nobody
    user_id: str | None  # their Slack user id, when Slack knows them
    until: float | None  # when the answer changes next, within the look-ahead
    next_user: str | None = None  # the next person, as their Slack id when Slack knows them


@dataclass(frozen=True)
class OnCallAnswer:
    """`/incident oncall [schedule|service]`."""

    schedules: tuple[ScheduleNow, ...] = ()
    configured: bool = True  # False: the config has no schedules at all
    service: str | None = None  # a service that pages no schedule, when that was asked


@dataclass(frozen=True)
class OverrideRequest:
    """`/incident oncall override @user until <end> [schedule]`, read from the command."""

    user: str
    schedule: str | None  # None: the only schedule there is
    after_s: int | None = None  # the override ends this long from now,
    at: float | None = None  # or at this time; neither when the end could not be read


@dataclass(frozen=True)
class AddedOverride:
    user: str
    schedule: str
    end: float


@dataclass(frozen=True)
class TargetNow:
    """An escalation target as it would be paged now: a schedule with who is on it, a user
    group, or a person."""

    schedule: str | None = None
    group: str | None = None
    person: str | None = None  # a Slack user id, else the config's reference; None: nobody


@dataclass(frozen=True)
class LevelNow:
    targets: tuple[TargetNow, ...]
    delay_minutes: int


@dataclass(frozen=True)
class DryRun:
    """`/incident route test`: where the card would go and who would be paged, creating
    nothing."""

    service: str | None
    severity: str
    route: Route
    events: tuple[str, ...]  # the events the card's channel gets, sorted; empty when nowhere
    policy: str | None  # the escalation policy's name; None when there is none
    levels: tuple[LevelNow, ...] = ()
    sla_ack_minutes: int = 0
    sla_resolve_minutes: int = 0


class OnCallService:
    def __init__(
        self,
        config: BeaconConfig,
        clock: Clock,
        store: OverrideRepository,
        people: UserLookup,
    ) -> None:
        self.config = config
        self.clock = clock
        self.store = store
        self.people = people

    # --- who is on call -------------------------------------------------------------------
    async def overrides(self, schedule: str) -> tuple[Override, ...]:
        rows = await self.store.overrides(schedule, self.clock.now())
        return tuple(Override.model_validate(json.loads(r)) for r in rows)

    async def _user_id(self, ref: str | None) -> str | None:
        return await self.people.user_id(ref) if ref else None

    async def _person(self, ref: str | None) -> str | None:
        """A config's person as a Slack user id when Slack knows them, else as named."""
        return await self._user_id(ref) or ref

    async def now(self, name: str, *, with_next: bool = True) -> ScheduleNow:
        state = on_call(self.config.schedules[name], self.clock.now(), await self.overrides(name))
        until = state.until.timestamp() if state.until else None
        nxt = await self._person(state.next_user) if with_next and state.until else None
        return ScheduleNow(name, state.user, await self._user_id(state.user), until, nxt)

    async def lookup(self, key: str | None) -> OnCallAnswer:
        """Every schedule, one by name, or the schedules a service's escalation policy pages."""
        config = self.config
        if not config.schedules:
            return OnCallAnswer(configured=False)
        names = list(config.schedules)
        if key:
            if key in config.schedules:
                names = [key]
            elif key in config.services:
                found = config.policy_for(key)
                names = sorted({t.schedule for lvl in found[1].levels for t in lvl.targets
                                if t.schedule}) if found else []
                if not names:
                    return OnCallAnswer(service=key)
            else:
                known = ", ".join([*config.schedules, *config.services])
                raise UnknownName("No schedule or service called ", key, f". Known: {known}.")
        return OnCallAnswer(schedules=tuple([await self.now(n) for n in names]))

    # --- overrides ------------------------------------------------------------------------
    async def add_override(self, actor: str, request: OverrideRequest) -> AddedOverride:
        """Put `request.user` on call until the end asked for; only the schedule's admins may."""
        schedules = self.config.schedules
        name = request.schedule
        if name is None:
            if len(schedules) != 1:
                raise InvalidInput(f"Which schedule? Add its name at the end. {OVERRIDE_USAGE}")
            name = next(iter(schedules))
        admins = {await self.people.user_id(a) for a in schedules[name].admins}
        if actor not in admins:
            raise NotScheduleAdmin(name, tuple(sorted(a for a in admins if a)))
        now = self.clock.now()
        # The end is checked after who may add: a non-admin hears that first.
        if request.after_s:
            end = now + request.after_s
        elif request.at is not None:
            end = request.at
        else:
            raise InvalidInput(
                "When should the override end? Write `until 2h` or `until 2026-11-26T09:00` (UTC)."
            )
        if end <= now or end - now > OVERRIDE_MAX.total_seconds():
            raise InvalidInput("An override must end in the future and within 60 days.")
        override = Override(user=request.user, start=datetime.fromtimestamp(now, UTC),
                            end=datetime.fromtimestamp(end, UTC))
        await self.store.add_override(name, json.dumps(override.model_dump(mode="json")), end)
        return AddedOverride(request.user, name, end)

    # --- routing, as a dry run ------------------------------------------------------------
    async def dry_run(self, service: str | None, severity: str) -> DryRun:
        config = self.config
        if service and service not in config.services:
            raise UnknownName(
                "Unknown service ", service, f". Known: {', '.join(config.services) or 'none'}."
            )
        if severity not in config.severities:
            raise InvalidInput("Severity must be P1, P2, P3 or P4.")
        chosen = route(config, service=service, severity=severity)
        events: tuple[str, ...] = ()
        if chosen.channel is not None:
            events = tuple(sorted(e.value for e in config.channel_filter(chosen.channel).events))
        found = config.policy_for(service)
        if found is None:
            return DryRun(service, severity, chosen, events, policy=None)
        name, policy = found
        levels = []
        for level in policy.levels:
            targets = []
            for target in level.targets:
                if target.schedule:
                    state = await self.now(target.schedule, with_next=False)
                    targets.append(TargetNow(schedule=target.schedule,
                                             person=state.user_id or state.user))
                elif target.group:
                    targets.append(TargetNow(group=target.group))
                else:
                    targets.append(TargetNow(person=await self._person(target.user)))
            levels.append(LevelNow(tuple(targets), level.delay_minutes))
        sev = config.severity(severity)
        return DryRun(
            service, severity, chosen, events, name, tuple(levels),
            sla_ack_minutes=sev.sla_ack_minutes, sla_resolve_minutes=sev.sla_resolve_minutes,
        )
