"""What every section of beacon.yml shares: the strict model, the severities and small checks."""

from __future__ import annotations

from datetime import time
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict
from pydantic_core import ErrorDetails

SEVERITY_ORDER = ("P1", "P2", "P3", "P4")
Severity = Literal["P1", "P2", "P3", "P4"]


class Strict(BaseModel):
    """A part of beacon.yml: an unknown key is an error (a typo is never silently ignored) and
    the loaded config cannot change while Beacon runs."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def parse_hhmm(value: str) -> time:
    try:
        return time.fromisoformat(value)
    except ValueError:
        raise ValueError(f"'{value}' is not a time: write it like \"09:00\"") from None


def check_timezone(value: str, example: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone '{value}': use an IANA name like {example}") from None
    return value


def error_text(err: ErrorDetails) -> str:
    """pydantic's message without the "Value error, " it puts before a validator's own."""
    return err["msg"].removeprefix("Value error, ")


def yaml_problem(path: Path, exc: yaml.YAMLError) -> str:
    """One line for a YAML syntax error: the file, the line when known, and what is wrong."""
    mark = getattr(exc, "problem_mark", None)
    where = f" line {mark.line + 1}" if mark else ""
    return f"{path}{where}: not valid YAML ({getattr(exc, 'problem', exc)})"
