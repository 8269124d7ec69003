"""`roles:`, `role_nudge_minutes:` and `timeline_emoji:` in beacon.yml.

Roles per incident (commander, communications, scribe by default), with the duties the holder
is sent in a DM; unclaimed roles on the severities in `role_nudge_for` are nudged once.
"""

from __future__ import annotations

import re

from pydantic import field_validator

from app.config.base import Strict


class RoleConfig(Strict):
    name: str
    duties: str = ""

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not re.fullmatch(r"[a-z][a-z0-9_-]{0,29}", value):
            raise ValueError(
                "use a lowercase word (letters, digits, - or _, at most 30), like 'commander'"
            )
        return value


def role_title(name: str) -> str:
    """A role as people read it: 'communications' -> 'Communications'."""
    return name.replace("_", " ").replace("-", " ").capitalize()


DEFAULT_ROLES: tuple[RoleConfig, ...] = (
    RoleConfig(
        name="commander",
        duties="Lead the response: decide, delegate, and keep everyone on one plan. "
        "Call for help early and declare when the incident is over.",
    ),
    RoleConfig(
        name="communications",
        duties="Keep stakeholders informed: post a status update "
        "(`/incident update`) at least every 30 minutes and answer questions outside "
        "the incident channel.",
    ),
    RoleConfig(
        name="scribe",
        duties="Keep the record: pin important messages to the timeline with a 📌 reaction, "
        "note decisions (`/incident note`) and collect follow-ups (`/incident followup add`).",
    ),
)


def check_roles(roles: tuple[RoleConfig, ...]) -> tuple[RoleConfig, ...]:
    names = [r.name for r in roles]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ValueError(f"role '{dupes[0]}' is listed twice: give each role one entry")
    return roles


def check_emoji(value: str) -> str:
    name = value.strip().strip(":")
    if not re.fullmatch(r"[a-z0-9_+'-]+", name):
        raise ValueError("write the emoji's name without colons, like pushpin")
    return name
