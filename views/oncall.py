"""On-call answers in Slack mrkdwn: `/incident oncall`, overrides, `/incident route test` and
`/incident status`. Pure: the on-call and status services' data in, text out."""

from __future__ import annotations

from app.config import BeaconConfig, EventKind
from app.config.routing import Paging
from app.domain.models import Incident
from app.domain.oncall_service import (
    AddedOverride,
    DryRun,
    NotScheduleAdmin,
    OnCallAnswer,
    ScheduleNow,
    TargetNow,
)
from app.domain.status import StatusReport
from views.mrkdwn import date_time, escape, format_duration


def who(user: str | None) -> str:
    """A Slack user id as a mention; a person Slack does not know (an email) as text."""
    if not user:
        return "nobody"
    return f"<@{user}>" if "@" not in user else escape(user)


def _until(now: ScheduleNow) -> str:
    return f" until {date_time(now.until)}" if now.until else ""


def schedule_line(now: ScheduleNow) -> str:
    nxt = f", then {who(now.next_user)}" if now.until else ""
    return f"*{escape(now.schedule)}*: {who(now.user_id or now.user)}{_until(now)}{nxt}"


def oncall_text(answer: OnCallAnswer) -> str:
    if not answer.configured:
        return "No on-call schedules are configured (add `schedules:` to the config file)."
    if answer.service is not None:
        return f"Service {escape(answer.service)} pages no schedule (no escalation policy)."
    return "*On call now*\n" + "\n".join(schedule_line(s) for s in answer.schedules)


def override_text(added: AddedOverride) -> str:
    until = date_time(added.end)
    return f"<@{added.user}> is on call for *{escape(added.schedule)}* until {until}."


def not_admin_text(error: NotScheduleAdmin) -> str:
    admins = ", ".join(who(a) for a in error.admins) or "none configured"
    return f"Only the admins of schedule {escape(error.schedule)} can add overrides ({admins})."


def _target(target: TargetNow) -> str:
    if target.schedule:
        return f"{escape(target.schedule)} (now {who(target.person)})"
    if target.group:
        return f"group {escape(target.group)}"
    return who(target.person)


def dry_run_text(dry: DryRun) -> str:
    chosen = dry.route
    lines = [f"*Dry run* for service={escape(dry.service or '—')} severity={dry.severity} "
             "(nothing was created)"]
    if chosen.channel is None:
        lines.append("• Card: *nowhere*: every candidate channel filters this severity out.")
    else:
        lines.append(f"• Card: {escape(chosen.channel)} (rule: {chosen.rule})")
        lines.append(f"• Events on there: {', '.join(dry.events)}")
        if EventKind.SLA_BREACHED.value in dry.events:
            lines.append("• SLA breaches also get a channel notice")
    for skipped in chosen.skipped:
        lines.append(f"• Skipped {escape(skipped)}: its min_severity filters {dry.severity} out")
    if dry.policy is None:
        lines.append("• Escalation: none (no policy for this service and no default)")
        return "\n".join(lines)
    lines.append(f"• Escalation policy *{escape(dry.policy)}*:")
    for i, level in enumerate(dry.levels, start=1):
        targets = ", ".join(_target(t) for t in level.targets)
        after = format_duration(level.delay_minutes * 60)
        lines.append(f"    {i}. {targets} — then after {after}")
    lines.append(f"• SLA: acknowledge within {format_duration(dry.sla_ack_minutes * 60)}, "
                 f"resolve within {format_duration(dry.sla_resolve_minutes * 60)}")
    return "\n".join(lines)


_SLACK_STATE = {
    True: "✓ connected (Socket Mode)",
    False: "✗ disconnected, reconnecting",
    None: "HTTP mode",
}


def status_text(report: StatusReport, config: BeaconConfig) -> str:
    if report.database_error is None:
        redis_state = "✓ reachable"
    else:
        redis_state = f"✗ unreachable ({escape(report.database_error)})"
    counts = report.open_counts
    by_sev = counts.by_severity
    per_sev = " · ".join(f"{sev}: {by_sev.get(sev, 0)}" for sev in config.severities)
    lines = ["*Beacon status*", f"• Open incidents: {counts.total} ({per_sev})"]
    for now in report.on_call:
        person = f"<@{now.user_id}>" if now.user else "nobody"
        lines.append(f"• On call ({escape(now.schedule)}): {person}{_until(now)}")
    lines.append(f"• Redis: {redis_state}")
    lines.append(f"• Slack: {_SLACK_STATE[report.slack_connected]}")
    return "\n".join(lines)


def escalation_stopped_text(incident: Incident, config: BeaconConfig) -> str:
    """A lowered severity whose urgency does not escalate (urgency_paging)."""
    urgency = config.severity(incident.severity).urgency.value.lower()
    does = "pages nobody" if config.paging(incident.severity) is Paging.NOTIFY \
        else "does not escalate"
    return (f"🔕 Escalation stopped: {incident.severity} is {urgency} urgency, which {does}. "
            "Nobody else will be paged for it.")


def paged_by_level(paged: dict[str, int]) -> str:
    """'<@A> (level 1), <@B>, <@C> (level 2)': everyone with their own level."""
    levels: dict[int, list[str]] = {}
    for person, level in paged.items():
        levels.setdefault(level, []).append(f"<@{person}>")
    return ", ".join(f"{', '.join(people)} (level {level})"
                     for level, people in sorted(levels.items()))


def paged_text(incident: Incident, paged: dict[str, int], why: str) -> str:
    """The card thread's line for pages sent; `why` as Pager.page takes it."""
    who = paged_by_level(paged)
    match why:
        case "escalated":
            return f"⬆️ Escalated to {who}."
        case "snooze_over":
            return f"📟 Paged {who} again after the snooze."
        case "reopened":
            return f"📟 {incident.id} was reopened: paged {who}."
        case "severity":
            return f"📟 {incident.id} is now {incident.severity}: paged {who}."
    return f"📟 Paged {who}."
