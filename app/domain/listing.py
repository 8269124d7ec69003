"""Lists and counts of incidents as the indexes answer them: pages with an opaque cursor,
open counts by severity and service, and the digest's per-bucket totals."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from enum import StrEnum

from app.domain.errors import InvalidInput
from app.domain.models import Incident

PAGE_MAX = 200  # the most one page of the API answers
STATS_BUCKET_S = 900  # lua/_prelude.lua: the digest's totals are kept per quarter hour


class IncidentState(StrEnum):
    """Which index a list reads."""

    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"
    ALL = "all"


@dataclass(frozen=True)
class IncidentPage:
    incidents: list[Incident]
    total: int  # how many the whole list holds now
    next_cursor: str | None = None  # None: this was the last page


@dataclass(frozen=True)
class OpenCounts:
    total: int
    acknowledged: int
    by_severity: dict[str, int] = field(default_factory=dict)
    by_service: dict[str, int] = field(default_factory=dict)  # '' for none


def encode_cursor(state: IncidentState, before: int) -> str:
    """Opaque to callers (Slack-style): the list it belongs to and the last number seen."""
    return base64.urlsafe_b64encode(f"{state}:{before}".encode()).decode().rstrip("=")


def decode_cursor(state: IncidentState, cursor: str) -> int:
    """The number the next page starts below; InvalidInput for a cursor of another list or
    one that is not ours."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        name, _, number = raw.partition(":")
        if name == state and number.isdigit():
            return int(number)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise InvalidInput("That cursor is not one this list gave out.", field="cursor")


def check_limit(limit: int) -> int:
    if not 1 <= limit <= PAGE_MAX:
        raise InvalidInput(f"limit is between 1 and {PAGE_MAX}.", field="limit")
    return limit
