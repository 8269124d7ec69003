"""IncidentService: the calls listeners (and later the intake API) make."""

from __future__ import annotations

import uuid
from dataclasses import replace

from app.clock import Clock
from app.config import BeaconConfig
from app.domain.answers import Answer
from app.domain.errors import (
    AlreadyDone,
    BeaconError,
    IncidentNotFound,
    InvalidFields,
    InvalidInput,
)
from app.domain.escalation import severity_paging
from app.domain.listing import (
    IncidentPage,
    IncidentState,
    OpenCounts,
    check_limit,
    decode_cursor,
    encode_cursor,
)
from app.domain.models import (
    NOTE_MAX,
    TITLE_MAX,
    Incident,
    NewIncident,
    TimelineEntry,
)
from app.domain.ports import IncidentRepository
from app.domain.refusals import Refusal, RefusalCode, RefusalError
from app.domain.results import REPEATED, TOLD, Refused, Transition
from app.domain.timers import sla_rearm, sla_start


def ascii_digits(text: str) -> bool:
    """ASCII digits only: isdigit() alone lets '²' by, which int() refuses."""
    return text.isascii() and text.isdigit()


def normalise_id(raw: str) -> str:
    """Accept 'INC-42', 'inc-42', '#42' or '42'."""
    text = raw.strip().upper().lstrip("#")
    if ascii_digits(text):
        return f"INC-{int(text)}"
    if text.startswith("INC-") and ascii_digits(text[4:]):
        return f"INC-{int(text[4:])}"
    raise InvalidInput(f"`{raw}` is not an incident id. Ids look like INC-42.")


def check(incident_id: str, outcome: Transition | Refused, actor: str | None = None) -> Transition:
    """The transition, or the error that says why the incident's state refused it."""
    if isinstance(outcome, Transition):
        return outcome
    raise refusal_error(incident_id, outcome, actor)


def refusal_error(incident_id: str, outcome: Refused, actor: str | None = None) -> BeaconError:
    """The error that says why the incident's state refused a transition."""
    by, at = outcome.by, outcome.at
    match outcome.code:
        case "not_found":
            return IncidentNotFound(incident_id)
        case "acknowledged":
            code = RefusalCode.ALREADY_ACKNOWLEDGED
            return RefusalError(Refusal(code, incident_id, actor, by=by, at=at))
        case "resolved":
            code = RefusalCode.ALREADY_RESOLVED
            return RefusalError(Refusal(code, incident_id, actor, by=by, at=at))
        case "unchanged":  # the script reports the value it already has
            value = outcome.details[0] if outcome.details else None
            return RefusalError(Refusal(RefusalCode.UNCHANGED, incident_id, actor, value=value))
        case "past":
            return InvalidInput("That time has already passed: pick a time in the future.")
        case "not_acknowledged":
            return RefusalError(Refusal(RefusalCode.NOT_ACKNOWLEDGED, incident_id, actor))
    return RefusalError(Refusal(RefusalCode.REFUSED, incident_id, actor, value=outcome.code))


def resolve_deadline(incident: Incident, config: BeaconConfig) -> float:
    """When the resolve SLA runs out (as the card's SLA field shows it)."""
    start = sla_start(incident.created_at, incident.reopened_at)
    return start + config.severity(incident.severity).sla_resolve_minutes * 60


class IncidentService:
    def __init__(self, store: IncidentRepository, config: BeaconConfig, clock: Clock) -> None:
        self.store = store
        self.config = config
        self.clock = clock

    def validate_new(self, new: NewIncident) -> dict[str, str]:
        """Field errors (field name -> message) for a declaration; empty when valid."""
        errors: dict[str, str] = {}
        title = new.title.strip()
        if not title:
            errors["title"] = "Give the incident a title."
        elif len(title) > TITLE_MAX:
            errors["title"] = f"Keep the title to {TITLE_MAX} characters (it has {len(title)})."
        if new.severity not in self.config.severities:
            errors["severity"] = "Pick a severity: P1, P2, P3 or P4."
        if new.service and new.service not in self.config.services:
            known = ", ".join(self.config.services) or "none configured"
            errors["service"] = f"Unknown service '{new.service}'. Known: {known}."
        return errors

    async def declare(self, new: NewIncident) -> Incident:
        errors = self.validate_new(new)
        if errors:  # every field at fault, so a form can show them all at once
            raise InvalidFields(errors)
        incident_id, outcome = await self.store.declare(new, self.clock.now())
        check(incident_id, outcome, new.reporter)
        return await self.get(incident_id)

    async def get(self, incident_id: str) -> Incident:
        incident = await self.store.get(incident_id)
        if incident is None:
            raise IncidentNotFound(incident_id)
        return incident

    async def get_open(self, incident_id: str) -> Incident:
        """The incident, refused when it is resolved already (a stale Resolve button)."""
        incident = await self.get(incident_id)
        if not incident.is_open:
            raise AlreadyDone(f"{incident.id} is already resolved; nothing to do.")
        return incident

    async def timeline(self, incident_id: str) -> list[TimelineEntry]:
        return await self.store.timeline(incident_id)

    async def list_open(self, limit: int = 1000) -> list[Incident]:
        """The newest `limit` open incidents (for a count, use `open_counts`)."""
        return await self.store.list_open(limit)

    async def open_counts(self) -> OpenCounts:
        """Exact at any size: the indexes' counts, no incident read."""
        return await self.store.open_counts(list(self.config.severities))

    async def page(
        self, state: IncidentState, limit: int, cursor: str | None = None
    ) -> IncidentPage:
        """One page of a list, newest first; `cursor` is the previous page's next_cursor.
        Incidents declared meanwhile never shift later pages (they sort before them)."""
        before = decode_cursor(state, cursor) if cursor else None
        incidents, total, last = await self.store.page(state, check_limit(limit), before)
        next_cursor = encode_cursor(state, last) if last is not None else None
        return IncidentPage(incidents, total, next_cursor)

    async def open_by_severity(self, offset: int, limit: int) -> list[Incident]:
        """Open incidents by severity (most severe first), then newest first."""
        severities = list(self.config.severities)
        return await self.store.open_by_severity(severities, offset, limit)

    async def assigned_open(self, user: str, limit: int) -> tuple[list[Incident], int]:
        return await self.store.assigned_open(user, limit)

    async def acknowledge(self, incident_id: str, actor: str, *, once: str = "") -> Incident:
        """`once` names the request (a Slack envelope's fingerprint): the same `once` again
        is a redelivery, which changes nothing and is refused to nobody."""
        outcome = await self.store.acknowledge(incident_id, actor, self.clock.now(), once=once)
        if outcome != REPEATED:
            check(incident_id, outcome, actor)
        return await self.get(incident_id)

    async def acknowledge_click(
        self, incident_id: str, actor: str, *, once: str, tell: Answer
    ) -> None:
        """An Acknowledge click, in one Redis round trip: when the state refuses it (someone
        was first), the script itself records the refusal as the answer to `tell` (where the
        person clicked; its words are found when it is delivered), so nothing is raised and
        no second write follows. `once`: as in `acknowledge`."""
        now = self.clock.now()
        tell = replace(tell, at=tell.at or now)
        outcome = await self.store.acknowledge(incident_id, actor, now, once=once, tell=tell)
        if outcome not in (REPEATED, TOLD):
            check(incident_id, outcome, actor)

    async def acknowledge_all(self, rollup_id: str, actor: str) -> tuple[list[str], list[str]]:
        """Acknowledge every unacknowledged incident a storm rollup lists, each through the same
        transition as a click (so each is acknowledged exactly once, whoever else clicks).
        Returns (acknowledged, already acknowledged or resolved)."""
        ids = await self.store.rollup_items(rollup_id)
        if not ids:
            raise InvalidInput("This storm list has expired; use `/incident list` instead.")
        batch = f"{rollup_id}:{uuid.uuid4().hex[:8]}"
        done: list[str] = []
        skipped: list[str] = []
        for incident_id in ids:
            outcome = await self.store.acknowledge(
                incident_id, actor, self.clock.now(), batch=batch, of=len(ids)
            )
            (done if isinstance(outcome, Transition) else skipped).append(incident_id)
        return done, skipped

    async def resolve(
        self, incident_id: str, actor: str, note: str = "", *, once: str = ""
    ) -> Incident:
        """`once`: as in `acknowledge`."""
        note = note.strip()
        if len(note) > NOTE_MAX:
            raise InvalidInput(f"Keep the note to {NOTE_MAX} characters.", field="note")
        keep = self.config.retention.reopen_window_days * 86400
        now = self.clock.now()
        outcome = await self.store.resolve(incident_id, actor, note, now, keep, once=once)
        if outcome != REPEATED:
            check(incident_id, outcome, actor)
        return await self.get(incident_id)

    async def snooze(self, incident_id: str, actor: str, seconds: float) -> Incident:
        if seconds <= 0 or seconds > 7 * 86400:
            raise InvalidInput("Snooze for between 1 minute and 7 days.", field="duration")
        # Snoozing needs the incident acknowledged (snooze.lua refuses otherwise): a snooze
        # silences paging, and silence with nobody owning the incident is how pages get lost.
        # PagerDuty has the same rule; the other choice, a snooze that acknowledges, would let
        # a click on a menu take an incident without saying so.
        deadline = resolve_deadline(await self.get(incident_id), self.config)
        now = self.clock.now()
        outcome = await self.store.snooze(incident_id, actor, now + seconds, now, deadline)
        check(incident_id, outcome, actor)
        return await self.get(incident_id)

    async def assign(self, incident_id: str, actor: str, assignee: str) -> Incident:
        outcome = await self.store.assign(incident_id, actor, assignee, self.clock.now())
        check(incident_id, outcome, actor)
        return await self.get(incident_id)

    async def set_severity(self, incident_id: str, actor: str, severity: str) -> Incident:
        severity = severity.upper()
        if severity not in self.config.severities:
            raise InvalidInput(f"`{severity}` is not a severity. Use P1, P2, P3 or P4.")
        sev = self.config.severity(severity)
        for _ in range(3):  # a reopen in between starts a new round: build its timers again
            # The new severity's urgency decides paging (escalation stops or starts with it)
            # and its SLA minutes the deadlines: the armed SLA timers move to them.
            current = await self.get(incident_id)
            paging = severity_paging(self.config, current.service, severity)
            start = sla_start(current.created_at, current.reopened_at)
            sla = sla_rearm(incident_id, sev.sla_ack_minutes, sev.sla_resolve_minutes, start,
                            epoch=current.epoch)
            outcome = await self.store.set_severity(
                incident_id, actor, severity, self.clock.now(), paging,
                sla=sla, epoch=current.epoch)
            if not (isinstance(outcome, Refused) and outcome.code == "moved"):
                break
        check(incident_id, outcome, actor)
        return await self.get(incident_id)

    async def add_note(self, incident_id: str, actor: str, text: str) -> Incident:
        text = text.strip()
        if not text:
            raise InvalidInput("Write the note after the id: `/incident note INC-42 <text>`.")
        if len(text) > NOTE_MAX:
            raise InvalidInput(f"Keep the note to {NOTE_MAX} characters (it has {len(text)}).")
        outcome = await self.store.add_note(incident_id, actor, text, self.clock.now())
        check(incident_id, outcome, actor)
        return await self.get(incident_id)
