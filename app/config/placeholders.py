"""`{{incident.x}}` placeholders in runbooks and templates: which exist, and filling them in.

Pure and config-free, so the config loader can check files with it and views can render.
"""

from __future__ import annotations

import re
from typing import Any

PLACEHOLDER = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
INCIDENT_FIELDS = (
    "id",
    "severity",
    "service",
    "channel",
    "title",
    "status",
    "assignee",
    "permalink",
)
INCIDENT_PLACEHOLDERS = frozenset(f"incident.{f}" for f in INCIDENT_FIELDS)
# The built-in text of the message a template replaces (already safe mrkdwn).
MESSAGE_TEXT = "message.text"

# Plausible values to check a file's Block Kit with at start-up.
SAMPLE_VALUES = {
    "incident.id": "INC-1042",
    "incident.severity": "P1",
    "incident.service": "payments",
    "incident.channel": "<#C0123ABCD>",
    "incident.title": "Checkout is failing for card payments in the EU region",
    "incident.status": "triggered",
    "incident.assignee": "<@U0123ABCD>",
    "incident.permalink": "https://example.slack.com/archives/C0123ABCD/p1700000000000100",
    MESSAGE_TEXT: "Acknowledged by <@U0123ABCD> after 3m.",
}


def names_in(text: str) -> list[str]:
    return PLACEHOLDER.findall(text)


def strings(obj: Any, path: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], str]]:
    """Every string inside a JSON-like value, with its path (keys and list indexes)."""
    if isinstance(obj, str):
        return [(path, obj)]
    if isinstance(obj, dict):
        return [hit for k, v in obj.items() for hit in strings(v, (*path, k))]
    if isinstance(obj, list | tuple):
        return [hit for i, v in enumerate(obj) for hit in strings(v, (*path, i))]
    return []


def fill(obj: Any, values: dict[str, str]) -> Any:
    """A copy of `obj` with every known placeholder replaced (values must be escaped already)."""
    if isinstance(obj, str):
        return PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), obj)
    if isinstance(obj, dict):
        return {k: fill(v, values) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [fill(v, values) for v in obj]
    return obj
