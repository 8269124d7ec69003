"""Field types of the intake API's bodies and parameters: each refuses what its OpenAPI schema
says it refuses, with the pattern in the schema and a plain-words message in the 422.

Patterns use only what ECMA-262 (JSON Schema), Python and Rust regexes read alike: character
classes with \\x and \\u escapes, anchors, repeats. Text is checked in Python, not by the pattern
(same verdict, a better message, no backtracking).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar

import annotated_types as at
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    WithJsonSchema,
)

from app.intake.http import ApiError

# C0, DEL and C1 controls; multi-line text allows tab, line feed and carriage return.
_CONTROL = "\\x00-\\x1f\\x7f-\\x9f"
_TEXT_CONTROL = "\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f"
# What str.strip() removes besides controls: a field of only these (and controls) is blank.
_SPACE = " \\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000"

LINE_PATTERN = f"^[^{_CONTROL}]*$"
FILLED_LINE_PATTERN = f"^[^{_CONTROL}]*[^{_CONTROL}{_SPACE}][^{_CONTROL}]*$"
TEXT_PATTERN = f"^[^{_TEXT_CONTROL}]*$"
FILLED_TEXT_PATTERN = f"^[^{_TEXT_CONTROL}]*[^{_CONTROL}{_SPACE}][^{_TEXT_CONTROL}]*$"

_LINE_BAD = re.compile(f"[{_CONTROL}]")
_TEXT_BAD = re.compile(f"[{_TEXT_CONTROL}]")

USER_ID_PATTERN = "^[UW][A-Z0-9]{2,20}$"
GROUP_ID_PATTERN = "^S[A-Z0-9]{2,20}$"
INCIDENT_ID_PATTERN = "^([Ii][Nn][Cc]-)?[0-9]{1,9}$"
CURSOR_PATTERN = "^[A-Za-z0-9_-]{0,200}$"  # a next_cursor (url-safe base64); "": the first page
APPROVAL_ID_PATTERN = "^([Aa][Pp][Rr]-)?[0-9]{1,9}$"
INVESTIGATION_ID_PATTERN = "^([Ii][Nn][Vv]-)?[0-9]{1,9}$"
# A channel name as Slack allows it (lower case, digits, - and _; up to 80), with or without
# '#', or a channel id.
CHANNEL_PATTERN = "^(#?[a-z0-9_-]{1,80}|[CG][A-Z0-9]{2,20})$"
# An email address as users.lookupByEmail takes it: one @, no spaces or controls.
EMAIL_PATTERN = "^[^@\\x00-\\x20\\x7f-\\x9f]+@[^@\\x00-\\x20\\x7f-\\x9f]+$"


class Body(BaseModel):
    """A request body: no unknown fields, and JSON types as the schema says (no `false` for a
    number, no "1" for an integer)."""

    model_config = ConfigDict(extra="forbid", strict=True)


def _check(value: str, bad: re.Pattern[str], filled: bool) -> str:
    found = bad.search(value)
    if found:
        raise ValueError(f"has a control character (U+{ord(found.group()):04X}); send plain text")
    if filled and not value.strip():
        raise ValueError("is blank; write something")
    return value


@dataclass(frozen=True)
class Line(at.GroupedMetadata):
    """`Annotated[str, Line(n)]`: one line of at most n characters, no control characters;
    `filled`: not empty, nor only spaces."""

    max_length: int
    filled: bool = True

    multiline: ClassVar[bool] = False

    def __iter__(self) -> Iterator[Any]:
        if self.multiline:
            pattern = FILLED_TEXT_PATTERN if self.filled else TEXT_PATTERN
            bad = _TEXT_BAD
        else:
            pattern = FILLED_LINE_PATTERN if self.filled else LINE_PATTERN
            bad = _LINE_BAD
        yield Field(
            min_length=1 if self.filled else None,
            max_length=self.max_length,
            json_schema_extra={"pattern": pattern},
        )
        yield AfterValidator(lambda value: _check(value, bad, self.filled))


@dataclass(frozen=True)
class Text(Line):
    """`Annotated[str, Text(n)]`: like Line, and may span lines (tab, LF and CR allowed)."""

    multiline: ClassVar[bool] = True


@dataclass(frozen=True)
class Id(at.GroupedMetadata):
    """`Annotated[str, Id(PATTERN, "what it is")]`: an identifier matching an ASCII pattern."""

    pattern: str
    what: str

    def __iter__(self) -> Iterator[Any]:
        def check(value: str) -> str:
            if not full_match(self.pattern, value):
                raise ValueError(f"is not {self.what}")
            return value

        yield Field(json_schema_extra={"pattern": self.pattern})
        yield AfterValidator(check)


def full_match(pattern: str, value: str) -> bool:
    """Whether all of `value` matches `pattern` (Python's `$` would let a final newline by)."""
    return re.fullmatch(pattern, value) is not None


def _assignee(value: str) -> str:
    if not (full_match(USER_ID_PATTERN, value) or full_match(EMAIL_PATTERN, value)):
        raise ValueError("give a Slack user id (U0123ABC) or an email")
    return value


# A Slack user id as is, or an email looked up with users.lookupByEmail.
Assignee = Annotated[
    str,
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": USER_ID_PATTERN},
                {"type": "string", "pattern": EMAIL_PATTERN, "maxLength": 254},
            ]
        }
    ),
    Field(max_length=254),
    AfterValidator(_assignee),
]


def _integral(value: Any) -> Any:
    # JSON Schema counts 3600.0 as an integer; strict pydantic would not.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


JsonInt = Annotated[int, BeforeValidator(_integral)]


# --- query and path parameters ----------------------------------------------------------------
_INT = re.compile(r"-?[0-9]{1,12}")
# A decimal as JSON or repr() writes it (2.5, 1e-05, -0.0); not inf, nan or 1_000.
_NUMBER = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")


def int_param(raw: str | None, name: str, default: int, low: int, high: int) -> int:
    """A whole-number query parameter from `low` to `high` (ASCII digits only)."""
    if raw is None:
        return default
    value = int(raw) if _INT.fullmatch(raw) else low - 1
    if not low <= value <= high:
        raise ApiError(422, f"{name}: a whole number from {low} to {high}.", name)
    return value


def number_param(raw: str | None, name: str, default: float, low: float, high: float) -> float:
    """A decimal query parameter from `low` to `high` (no inf, nan or signs)."""
    if raw is None:
        return default
    value = float(raw) if len(raw) <= 64 and _NUMBER.fullmatch(raw) else low - 1
    if not low <= value <= high:
        raise ApiError(422, f"{name}: a number of seconds from {low:g} to {high:g}.", name)
    return value
