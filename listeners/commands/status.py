"""`/incident status` and `/incident digest`: the state of things, ephemeral."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

from app.domain.oncall import on_call
from app.store.errors import StoreError
from views.digest import digest_blocks, digest_text
from views.mrkdwn import date_time, escape

if TYPE_CHECKING:
    from app.container import Beacon


async def status(beacon: Beacon) -> str:
    lines = ["*Beacon status*"]
    try:
        await beacon.stores.ping()
        redis_state = "✓ reachable"
    except (StoreError, OSError) as exc:
        redis_state = f"✗ unreachable ({escape(str(exc))})"
    open_now = await beacon.incidents.list_open() if redis_state.startswith("✓") else []
    counts = Counter(i.severity for i in open_now)
    per_sev = " · ".join(f"{sev}: {counts.get(sev, 0)}" for sev in beacon.config.severities)
    lines.append(f"• Open incidents: {len(open_now)} ({per_sev})")
    for name, schedule in beacon.config.schedules.items():
        state = on_call(schedule, beacon.clock.now(), await beacon.oncall.overrides(name))
        who = f"<@{await beacon.directory.user_id(state.user)}>" if state.user else "nobody"
        until = f" until {date_time(state.until.timestamp())}" if state.until else ""
        lines.append(f"• On call ({escape(name)}): {who}{until}")
    lines.append(f"• Redis: {redis_state}")
    connected = await beacon.slack_connected() if beacon.slack_connected else None
    slack_state = {
        True: "✓ connected (Socket Mode)",
        False: "✗ disconnected, reconnecting",
        None: "HTTP mode",
    }[connected]
    lines.append(f"• Slack: {slack_state}")
    return "\n".join(lines)


async def digest(beacon: Beacon) -> tuple[str, list[dict[str, Any]]]:
    assert beacon.digest is not None
    built = await beacon.digest.build()
    return digest_text(built), digest_blocks(built)
