"""Texts and blocks of the incident record: follow-ups, the retrospective, roles, messages
pinned to the timeline. Pure functions; the retrospective modal is in views/modals/retro.py.
"""

from __future__ import annotations

from typing import Any

from app.config import BeaconConfig
from app.config.roles import RoleConfig, role_title
from app.domain.models import FollowUp, Incident
from views.blocks import Block, actions, button, context, section
from views.context import IncidentRef, RoleClaim
from views.ids import ActionId, BlockId
from views.mrkdwn import escape, format_duration, truncate, user

SECTION_MAX = 3000  # Slack's limit for a section's text
PINNED_NOTE = "📌 Added to the timeline"


# --- the incident channel's summary: who holds which role ------------------------------------


def role_blocks(incident: Incident, config: BeaconConfig) -> list[dict[str, Any]]:
    """One section per role with its holder and a Claim button."""
    if not config.roles:
        return []
    blocks: list[Block] = [context("*Roles*")]
    for role in config.roles:
        holder = incident.roles.get(role.name)
        who = f"<@{holder}>" if holder else "_unclaimed_"
        claim = None
        if incident.is_open:
            claim = button(
                truncate(f"Claim {role.name}", 75),
                ActionId.ROLE_CLAIM,
                RoleClaim(incident_id=incident.id, role=role.name).dump(),
            )
        blocks.append(section(f"*{role_title(role.name)}:* {who}", accessory=claim))
    return blocks


def role_assigned_text(incident_id: str, role: str, holder: str, actor: str, previous: str) -> str:
    how = "claimed it" if actor == holder else f"assigned by {user(actor)}"
    was = f", taking over from {user(previous)}" if previous else ""
    return f"🎖️ {user(holder)} is now *{role_title(role)}* for {incident_id} ({how}{was})."


def role_dm_text(incident: Incident, role: RoleConfig | None, name: str, actor: str) -> str:
    how = (
        "You claimed" if actor and actor == incident.roles.get(name) else f"{user(actor)} gave you"
    )
    lines = [f"{how} the *{role_title(name)}* role for *{incident.id}*: {escape(incident.title)}."]
    if role and role.duties:
        lines.append(f"*Your duties:* {role.duties}")
    where = f"<#{incident.incident_channel}>" if incident.incident_channel else "the card thread"
    lines.append(f"The incident is worked on in {where}.")
    return "\n".join(lines)


def roles_unclaimed_text(incident: Incident, roles: list[str], minutes: int) -> str:
    names = ", ".join(f"*{role_title(r)}*" for r in roles)
    first = roles[0] if roles else "commander"
    return (
        f"🎖️ {incident.id} has had no {names} for {format_duration(minutes * 60)}. Claim a "
        f"role with the buttons on the pinned summary, or `/incident role {first} @someone`."
    )


# --- the resolve summary: Schedule retrospective ---------------------------------------------


def resolution_blocks(text: str, incident: Incident) -> list[dict[str, Any]]:
    """The resolve summary as sections (Slack caps each at 3000) and the retrospective button."""
    blocks: list[Block] = []
    chunk = ""
    for line in text.split("\n"):
        line = truncate(line, SECTION_MAX)
        if chunk and len(chunk) + 1 + len(line) > SECTION_MAX:
            blocks.append(section(chunk))
            chunk = ""
        chunk = f"{chunk}\n{line}" if chunk else line
    if chunk:
        blocks.append(section(chunk))
    retro = button(
        "Schedule retrospective",
        ActionId.RETRO_SCHEDULE,
        IncidentRef(incident_id=incident.id).dump(),
    )
    blocks.append(actions([retro], block_id=BlockId.RESOLUTION_ACTIONS))
    return blocks


def retro_text(incident_id: str, actor: str, data: dict[str, Any]) -> str:
    again = " (moved from {})".format(data["previous_date"]) if data.get("previous_date") else ""
    lines = [
        f"🗓️ Retrospective of {incident_id} scheduled for *{data.get('date')}*{again}, "
        f"owner {user(str(data.get('owner') or ''))} (by {user(actor)})."
    ]
    if data.get("notes"):
        lines.append(">" + escape(truncate(str(data["notes"]), 1500)).replace("\n", "\n>"))
    return "\n".join(lines)


# --- follow-ups ------------------------------------------------------------------------------


def followup_added_text(incident_id: str, actor: str, data: dict[str, Any]) -> str:
    text = escape(truncate(str(data.get("text", "")), 1000))
    return (
        f"📝 Follow-up *{data.get('followup_id')}* added by {user(actor)}: {text}\n"
        f"Mark it done with `/incident followup done {data.get('followup_id')}`."
    )


def followup_done_text(actor: str, data: dict[str, Any]) -> str:
    text = escape(truncate(str(data.get("text", "")), 1000))
    return f"✅ Follow-up *{data.get('followup_id')}* done by {user(actor)}: {text}"


def followup_list_text(items: list[FollowUp], incident_id: str | None) -> str:
    if not items:
        if incident_id:
            return (
                f"{incident_id} has no follow-ups. Add one with "
                f"`/incident followup add {incident_id} <text>`."
            )
        return "No open follow-ups."
    head = f"*Follow-ups of {incident_id}*" if incident_id else "*Open follow-ups*"
    lines = [head]
    for item in items[:50]:
        mark = "✅" if item.done else "◻️"
        where = "" if incident_id else f" ({item.incident_id})"
        text = escape(truncate(item.text, 200))
        done = f" — done by {user(item.done_by)}" if item.done and item.done_by else ""
        lines.append(f"{mark} *{item.id}*{where} {text}{done}")
    if len(items) > 50:
        lines.append(f"… and {len(items) - 50} more.")
    return truncate("\n".join(lines), SECTION_MAX)


# --- messages pinned to the timeline ---------------------------------------------------------


def pinned_detail(data: dict[str, Any]) -> str:
    """': <link|message> from @author: text' for the timeline."""
    link = str(data.get("permalink") or "")
    what = f"<{link}|message>" if link.startswith("https://") else "message"
    text = escape(truncate(str(data.get("text") or ""), 300))
    return f": {what} from {user(str(data.get('author') or '') or None)}: {text}"
