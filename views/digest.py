"""The daily digest message."""

from __future__ import annotations

from typing import Any

from app.config import BeaconConfig
from app.domain.digest import Digest
from views.blocks import Block, context, field, header, section
from views.mrkdwn import date_time, escape, format_duration


def _trend(now: int, before: int) -> str:
    if now > before:
        return f"▲{now - before}"
    if now < before:
        return f"▼{before - now}"
    return "="


def _time(seconds: float | None) -> str:
    return format_duration(seconds) if seconds is not None else "—"


def digest_text(d: Digest) -> str:
    return (
        f"Beacon daily digest: {d.today.incidents} incidents in the last 24 h "
        f"({_trend(d.today.incidents, d.yesterday.incidents)} on the day before)"
    )


def service_name(key: str, config: BeaconConfig) -> str:
    """A service as the card names it; a key no longer configured (or none) as it is."""
    service = config.services.get(key)
    return service.name if service else key


def digest_blocks(d: Digest, config: BeaconConfig) -> list[dict[str, Any]]:
    blocks: list[Block] = [
        header("Daily incident digest"),
        context(f"{date_time(d.start)} → {date_time(d.end)}"),
    ]
    if d.quiet:
        blocks.append(section("😌 A quiet day: no incidents in the last 24 h, none open."))
        return blocks
    t, y = d.today, d.yesterday
    blocks.append(
        section(
            fields=[
                field("Incidents", f"{t.incidents} ({_trend(t.incidents, y.incidents)})"),
                field("Alerts", f"{t.alerts} ({_trend(t.alerts, y.alerts)})"),
                field("MTTA", f"{_time(t.mtta_s)} (day before {_time(y.mtta_s)})"),
                field("MTTR", f"{_time(t.mttr_s)} (day before {_time(y.mttr_s)})"),
            ],
        )
    )
    if t.by_severity:
        parts = [
            f"{sev}: {n} ({_trend(n, y.by_severity.get(sev, 0))})"
            for sev, n in t.by_severity.items()
        ]
        blocks.append(section("*By severity*  " + " · ".join(parts)))
    if t.by_service:
        parts = [f"{escape(service_name(svc, config))}: {n}"
                 for svc, n in list(t.by_service.items())[:10]]
        blocks.append(section("*By service*  " + " · ".join(parts)))
    open_parts = " · ".join(f"{sev}: {n}" for sev, n in d.open_now.items()) or "none"
    blocks.append(section(f"*Open now*  {open_parts}"))
    if d.votes:
        blocks.append(
            section(
                f"*Investigation accuracy*  {round((d.accuracy or 0) * 100)}% "
                f"of {d.votes} votes said Accurate"
            )
        )
    return blocks
