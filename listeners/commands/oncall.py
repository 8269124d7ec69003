"""`/incident oncall ...` and `/incident route test ...`: on-call answers, dry-run routing."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from app.config import EventKind
from app.config.oncall import Override
from app.domain.errors import InvalidInput
from app.domain.oncall import on_call
from app.domain.routing import route
from listeners.commands.parse import ParsedCommand, user_id_from
from views.mrkdwn import date_time, escape, parse_duration

if TYPE_CHECKING:
    from app.container import Beacon


def _who(user: str | None) -> str:
    if not user:
        return "nobody"
    return f"<@{user}>" if "@" not in user else escape(user)


async def _mention(beacon: Beacon, ref: str | None) -> str:
    """A config user (id or email) as a mention when Slack knows the email."""
    uid = await beacon.directory.user_id(ref) if ref else None
    return _who(uid or ref)


async def _schedule_line(beacon: Beacon, name: str) -> str:
    schedule = beacon.config.schedules[name]
    extra = await beacon.oncall.overrides(name)
    state = on_call(schedule, beacon.clock.now(), extra)
    until = f" until {date_time(state.until.timestamp())}" if state.until else ""
    nxt = f", then {await _mention(beacon, state.next_user)}" if state.until else ""
    return f"*{escape(name)}*: {await _mention(beacon, state.user)}{until}{nxt}"


async def oncall(beacon: Beacon, parsed: ParsedCommand, user: str) -> str:
    words = parsed.words
    if words and words[0].lower() == "override":
        return await _override(beacon, words[1:], user)
    config = beacon.config
    if not config.schedules:
        return "No on-call schedules are configured (add `schedules:` to the config file)."
    names = list(config.schedules)
    if words:
        key = words[0]
        if key in config.schedules:
            names = [key]
        elif key in config.services:
            found = config.policy_for(key)
            names = sorted({t.schedule for lvl in found[1].levels for t in lvl.targets
                            if t.schedule}) if found else []
            if not names:
                return f"Service {escape(key)} pages no schedule (no escalation policy)."
        else:
            known = ", ".join([*config.schedules, *config.services])
            raise InvalidInput(f"No schedule or service called `{escape(key)}`. Known: {known}.")
    lines = [await _schedule_line(beacon, n) for n in names]
    return "*On call now*\n" + "\n".join(lines)


_UNTIL = re.compile(r"^(?:until\s+)?(.+)$", re.I)


def _parse_until(text: str, now: float) -> float:
    """'2h', '90m', or an ISO time '2026-11-26T09:00' / '2026-11-26 09:00' (UTC)."""
    seconds = parse_duration(text)
    if seconds:
        return now + seconds
    try:
        when = datetime.fromisoformat(text.strip().replace(" ", "T"))
    except ValueError:
        raise InvalidInput(
            "When should the override end? Write `until 2h` or `until 2026-11-26T09:00` (UTC)."
        ) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.timestamp()


async def _override(beacon: Beacon, words: list[str], actor: str) -> str:
    usage = "Usage: `/incident oncall override @user until 2h [schedule]`"
    if len(words) < 3:
        raise InvalidInput(usage)
    target = user_id_from(words[0])
    if target is None:
        raise InvalidInput(f"Name the person as a mention. {usage}")
    rest = " ".join(words[1:])
    schedules = beacon.config.schedules
    name = None
    for candidate in schedules:
        if rest.endswith(" " + candidate):
            name, rest = candidate, rest[: -len(candidate) - 1]
    if name is None:
        if len(schedules) != 1:
            raise InvalidInput(f"Which schedule? Add its name at the end. {usage}")
        name = next(iter(schedules))
    schedule = schedules[name]
    admins = {await beacon.directory.user_id(a) for a in schedule.admins}
    if actor not in admins:
        raise InvalidInput(
            f"Only the admins of schedule {escape(name)} can add overrides "
            f"({', '.join(_who(a) for a in sorted(a for a in admins if a)) or 'none configured'})."
        )
    match = _UNTIL.match(rest.strip())
    now = beacon.clock.now()
    end = _parse_until(match.group(1) if match else rest, now)
    if end <= now or end - now > timedelta(days=60).total_seconds():
        raise InvalidInput("An override must end in the future and within 60 days.")
    override = Override(user=target, start=datetime.fromtimestamp(now, UTC),
                        end=datetime.fromtimestamp(end, UTC))
    await beacon.oncall.add_override(name, override, end)
    return f"<@{target}> is on call for *{escape(name)}* until {date_time(end)}."


_KV = re.compile(r"(\w+)=(\S+)")


async def route_test(beacon: Beacon, parsed: ParsedCommand) -> str:
    words = parsed.words
    if not words or words[0].lower() != "test":
        raise InvalidInput("Usage: `/incident route test service=payments severity=P2`")
    args = dict(_KV.findall(parsed.rest))
    config = beacon.config
    service = args.get("service")
    severity = (args.get("severity") or args.get("sev") or "P3").upper()
    if service and service not in config.services:
        raise InvalidInput(f"Unknown service `{escape(service)}`. Known: "
                           f"{', '.join(config.services) or 'none'}.")
    if severity not in config.severities:
        raise InvalidInput("Severity must be P1, P2, P3 or P4.")
    chosen = route(config, service=service, severity=severity)
    lines = [f"*Dry run* for service={escape(service or '—')} severity={severity} "
             "(nothing was created)"]
    if chosen.channel is None:
        lines.append("• Card: *nowhere*: every candidate channel filters this severity out.")
    else:
        lines.append(f"• Card: {escape(chosen.channel)} (rule: {chosen.rule})")
        events = sorted(e.value for e in config.channel_filter(chosen.channel).events)
        lines.append(f"• Events on there: {', '.join(events)}")
        if EventKind.SLA_BREACHED.value in events:
            lines.append("• SLA breaches also get a channel notice")
    for skipped in chosen.skipped:
        lines.append(f"• Skipped {escape(skipped)}: its min_severity filters {severity} out")
    found = config.policy_for(service)
    if found is None:
        lines.append("• Escalation: none (no policy for this service and no default)")
    else:
        name, policy = found
        lines.append(f"• Escalation policy *{escape(name)}*:")
        for i, level in enumerate(policy.levels, start=1):
            who = []
            for target in level.targets:
                if target.schedule:
                    extra = await beacon.oncall.overrides(target.schedule)
                    now_user = on_call(config.schedules[target.schedule], beacon.clock.now(),
                                       extra).user
                    who.append(
                        f"{escape(target.schedule)} (now {await _mention(beacon, now_user)})"
                    )
                elif target.group:
                    who.append(f"group {escape(target.group)}")
                else:
                    who.append(await _mention(beacon, target.user))
            lines.append(f"    {i}. {', '.join(who)} — then after {level.delay_minutes} min")
        sev = config.severity(severity)
        lines.append(f"• SLA: acknowledge within {sev.sla_ack_minutes} min, resolve within "
                     f"{sev.sla_resolve_minutes} min")
    return "\n".join(lines)
