"""`/incident followup add|list|done` and `/incident role`: parse, call the domain, answer
the person. Inside an incident channel the incident id may be left out of `role`.
"""

from __future__ import annotations

from typing import Any

from app.domain.errors import InvalidInput
from app.domain.incident_record import ROLE_USAGE
from app.domain.incidents import normalise_id
from listeners.commands.parse import ParsedCommand, user_id_from
from views import incident_record as views

FOLLOWUP_USAGE = (
    "`/incident followup add INC-42 <text>`, `/incident followup list [INC-42]` or "
    "`/incident followup done F-3`"
)


async def followup(beacon: Any, parsed: ParsedCommand, user: str, *_unused: Any) -> str:
    record = beacon.record
    action, _, rest = parsed.rest.partition(" ")
    rest = rest.strip()
    match action.lower():
        case "add":
            raw_id, _, text = rest.partition(" ")
            if not raw_id:
                raise InvalidInput(f"Which incident? Usage: {FOLLOWUP_USAGE}")
            incident_id = normalise_id(raw_id)
            fid = await record.add_followup(incident_id, user, text)
            return f"Follow-up *{fid}* added to *{incident_id}*."
        case "list":
            only = normalise_id(rest.split()[0]) if rest else None
            return views.followup_list_text(await record.followups(only), only)
        case "done":
            if not rest:
                raise InvalidInput(f"Which follow-up? Usage: {FOLLOWUP_USAGE}")
            item = await record.finish_followup(rest.split()[0], user)
            return f"Follow-up *{item.id}* of *{item.incident_id}* is done."
    raise InvalidInput(f"Usage: {FOLLOWUP_USAGE}")


async def role(beacon: Any, parsed: ParsedCommand, user: str, command: dict, *_unused: Any) -> str:
    record = beacon.record
    words = parsed.words
    if not words:
        known = ", ".join(r.name for r in beacon.config.roles)
        raise InvalidInput(f"Which role ({known})? Usage: {ROLE_USAGE}")
    name = record.role(words[0]).name
    incident_id = holder = None
    for word in words[1:]:
        mention = user_id_from(word)
        if mention:
            holder = mention
        elif incident_id is None:
            incident_id = normalise_id(word)
        else:
            raise InvalidInput(f"I don't understand `{word}`. Usage: {ROLE_USAGE}")
    holder = holder or user  # `/incident role scribe`: take it yourself
    incident_id = await record.assign_role_here(
        user, name, holder, incident_id, command.get("channel_id")
    )
    who = "You are" if holder == user else f"<@{holder}> is"
    return f"{who} now *{views.role_title(name)}* for *{incident_id}*."
