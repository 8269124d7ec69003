"""`retention:` in beacon.yml: how long resolved incidents stay in Redis."""

from __future__ import annotations

from pydantic import Field

from app.config.base import Strict


class RetentionConfig(Strict):
    """`resolved_days`: resolved incidents older than this are archived (one compressed entry
    each, still shown by `/incident show` and the API) and their keys removed; approvals decided
    or expired, and investigation results posted, longer ago are removed too; unset keeps
    everything. `reopen_window_days`: how long after a resolve the keys that only matter while
    an incident is open (its message refs, the notifier's marker, pinned messages) are kept, so
    a reopen still updates its card; a reopen keeps them again."""

    resolved_days: int | None = Field(default=None, ge=1)
    # Archive entries are dropped this long after their incident was resolved; unset keeps them.
    archive_days: int | None = Field(default=None, ge=1)
    reopen_window_days: int = Field(default=30, ge=1)
    interval_minutes: int = Field(default=60, ge=1)  # how often the clean-up runs
