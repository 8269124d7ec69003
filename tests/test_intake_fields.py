"""The intake API's text and id fields: what the server accepts is exactly what the OpenAPI
schema's pattern accepts, as a JSON Schema validator (ECMA-style regexes) reads it."""

from __future__ import annotations

from typing import Annotated, Any

import jsonschema_rs
from hypothesis import example, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from app.intake.fields import (
    CHANNEL_PATTERN,
    EMAIL_PATTERN,
    INCIDENT_ID_PATTERN,
    USER_ID_PATTERN,
    Assignee,
    Body,
    Id,
    Line,
    Text,
)


class Fields(Body):
    line: Annotated[str, Line(20)] | None = None
    open_line: Annotated[str, Line(20, filled=False)] | None = None
    text: Annotated[str, Text(20)] | None = None
    open_text: Annotated[str, Text(20, filled=False)] | None = None
    incident: Annotated[str, Id(INCIDENT_ID_PATTERN, "an incident id")] | None = None
    channel: Annotated[str, Id(CHANNEL_PATTERN, "a channel")] | None = None
    assignee: Assignee | None = None


SCHEMA = Fields.model_json_schema()
FIELD_SCHEMAS = {
    name: jsonschema_rs.Draft202012Validator(prop) for name, prop in SCHEMA["properties"].items()
}
# Characters where regex dialects and str.strip() part ways.
TRICKY = "\x00\t\n\r\x0b\x1c\x1f \x7f\x85\xa0\u1680\u2000\u200b\u2028\u3000\ufeff#@aZ09-_U"
# No lone surrogates: http.loads refuses them before any field sees them.
texts = st.text(st.sampled_from(TRICKY) | st.characters(exclude_categories=["Cs"]), max_size=6)


def server_takes(name: str, value: str) -> bool:
    try:
        Fields.model_validate({name: value})
    except ValidationError:
        return False
    return True


@settings(max_examples=300, deadline=None, database=None)
@given(name=st.sampled_from(sorted(FIELD_SCHEMAS)), value=texts)
@example(name="line", value="x\n")  # Python's `$` would match before a final newline
@example(name="text", value=" \u2003\n")
@example(name="incident", value="42\n")
@example(name="assignee", value="U0123ABC\n")
@example(name="channel", value="#ops\n")
def test_the_server_takes_exactly_what_the_schema_allows(name: str, value: str) -> None:
    assert server_takes(name, value) == FIELD_SCHEMAS[name].is_valid(value), (name, value)


def test_every_space_and_control_character_alone_and_inside() -> None:
    singles = [chr(c) for c in range(0xA1)] + [c for c in map(chr, range(0x3001)) if c.isspace()]
    for name, validator in FIELD_SCHEMAS.items():
        for char in singles + list(TRICKY):
            for value in (char, f"x{char}x", f"x{char}"):
                assert server_takes(name, value) == validator.is_valid(value), (name, value)


def test_examples_either_way() -> None:
    cases: list[tuple[str, Any, bool]] = [
        ("line", "Disk full", True),
        ("line", "\u00a0x\u3000", True),
        ("line", " \u2003 ", False),
        ("line", "tab\there", False),
        ("open_line", "", True),
        ("text", "a\r\n\tb", True),
        ("text", "\n\t", False),
        ("open_text", "\x85", False),
        ("incident", "inc-42", True),
        ("incident", "#42", False),
        ("assignee", "alice@example.com", True),
        ("assignee", "U0123ABC", True),
        ("assignee", "alice", False),
        ("channel", "#incident-ops_2", True),
        ("channel", "Ops", False),
    ]
    for name, value, ok in cases:
        assert server_takes(name, value) is ok, (name, value)
        assert FIELD_SCHEMAS[name].is_valid(value) is ok, (name, value)


def test_patterns_are_plain_ascii_regexes() -> None:
    for pattern in (CHANNEL_PATTERN, EMAIL_PATTERN, INCIDENT_ID_PATTERN, USER_ID_PATTERN):
        assert pattern.isascii() and pattern.startswith("^") and pattern.endswith("$")
