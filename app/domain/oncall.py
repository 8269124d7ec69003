"""Who is on call: rotations, layers, restrictions and overrides, in each schedule's zone.

Pure functions of (schedule, time): no Redis, no Slack. Day rotations hand off at a local
wall-clock time, so a 09:00 hand-off stays at 09:00 across daylight-saving changes. The
overrides people add from Slack are kept through OnCallService (oncall_service.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from app.config.oncall import DAYS, Layer, Override, Schedule, active


@dataclass(frozen=True)
class Shift:
    user: str
    start: datetime  # UTC
    end: datetime  # UTC; when this layer's rotation hands over
    source: str  # layer name or "override"


def _utc(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def layer_shift(layer: Layer, schedule: Schedule, at: datetime) -> Shift:
    """The rotation's shift at `at`, ignoring restrictions."""
    zone = schedule.zone
    length, unit = layer.shift
    handoff = datetime.strptime(layer.handoff, "%H:%M").time()
    anchor_local = datetime.combine(layer.start, handoff, tzinfo=zone)
    if unit == "h":
        anchor = anchor_local.astimezone(UTC)
        index = int((at - anchor).total_seconds() // (length * 3600))
        start = anchor + timedelta(hours=index * length)
        end = start + timedelta(hours=length)
    else:
        local = at.astimezone(zone)
        day = local.date() if local.time() >= handoff else local.date() - timedelta(days=1)
        index = (day - layer.start).days // length
        first = layer.start + timedelta(days=index * length)
        start = datetime.combine(first, handoff, tzinfo=zone).astimezone(UTC)
        end = datetime.combine(first + timedelta(days=length), handoff, tzinfo=zone).astimezone(
            UTC
        )
    user = layer.users[index % len(layer.users)]
    return Shift(user=user, start=start, end=end, source=layer.name)


def _layer_active(layer: Layer, schedule: Schedule, at: datetime) -> bool:
    local = at.astimezone(schedule.zone)
    return active(layer, local.weekday(), local.hour * 60 + local.minute)


def who_at(schedule: Schedule, at: datetime, overrides: tuple[Override, ...] = ()) -> Shift | None:
    """The person on call at `at`: the newest active override, else the last active layer."""
    for override in reversed((*schedule.overrides, *overrides)):
        start, end = override.start.astimezone(UTC), override.end.astimezone(UTC)
        if start <= at < end:
            return Shift(user=override.user, start=start, end=end, source="override")
    for layer in reversed(schedule.layers):
        if _layer_active(layer, schedule, at):
            return layer_shift(layer, schedule, at)
    return None


def _change_points(schedule: Schedule, at: datetime, overrides: tuple[Override, ...],
                   horizon: timedelta) -> list[datetime]:
    """Every moment after `at` (within horizon) where the answer could change."""
    points: set[datetime] = set()
    end = at + horizon
    for layer in schedule.layers:
        t = at
        for _ in range(400):
            shift = layer_shift(layer, schedule, t)
            if shift.end > end:
                break
            points.add(shift.end)
            t = shift.end
        if layer.restrict is not None:
            local = at.astimezone(schedule.zone)
            for d in range(0, horizon.days + 2):
                day = local.date() + timedelta(days=d)
                for edge in (layer.restrict.start, layer.restrict.end):
                    hh, mm = (24, 0) if edge == "24:00" else map(int, edge.split(":"))
                    moment = datetime.combine(day, datetime.min.time(), tzinfo=schedule.zone)
                    points.add((moment + timedelta(hours=hh, minutes=mm)).astimezone(UTC))
    for override in (*schedule.overrides, *overrides):
        points.add(override.start.astimezone(UTC))
        points.add(override.end.astimezone(UTC))
    return sorted(p for p in points if at < p <= end)


@dataclass(frozen=True)
class OnCall:
    user: str | None
    since_source: str
    until: datetime | None
    next_user: str | None


def on_call(
    schedule: Schedule, now: float, overrides: tuple[Override, ...] = (),
    horizon: timedelta = timedelta(days=35),
) -> OnCall:
    at = _utc(now)
    current = who_at(schedule, at, overrides)
    user = current.user if current else None
    for point in _change_points(schedule, at, overrides, horizon):
        nxt = who_at(schedule, point, overrides)
        if (nxt.user if nxt else None) != user:
            return OnCall(user, current.source if current else "", point,
                          nxt.user if nxt else None)
    return OnCall(user, current.source if current else "", None, None)


__all__ = ["DAYS", "OnCall", "Shift", "layer_shift", "on_call", "who_at"]
