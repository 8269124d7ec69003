"""`digest:` in beacon.yml: the daily digest of incidents."""

from __future__ import annotations

from pydantic import field_validator

from app.config.base import Strict, check_timezone, parse_hhmm


class DigestConfig(Strict):
    """The daily digest: where and when (local time in `timezone`)."""

    enabled: bool = True
    channel: str | None = None  # default: default_channel
    time: str = "09:00"
    timezone: str = "UTC"

    @field_validator("time")
    @classmethod
    def _hhmm(cls, value: str) -> str:
        parse_hhmm(value)
        return value

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        return check_timezone(value, "UTC")
