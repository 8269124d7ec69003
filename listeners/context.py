"""How listeners reach Beacon's objects: Bolt's context, filled by one middleware."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.cells import Cells
    from app.container import Beacon

BEACON = "beacon"  # the envelope's Beacon (its workspace's cell in multi-workspace mode)
WORKSPACES = "workspaces"  # multi-workspace mode: app/cells.Cells


def beacon_of(context: Any) -> Beacon:
    return context[BEACON]


def workspaces_of(context: Any) -> Cells | None:
    return context.get(WORKSPACES)


def user_of(body: dict[str, Any]) -> str:
    user = body.get("user")
    if isinstance(user, dict):
        return user["id"]
    return body.get("user_id") or (body.get("event") or {}).get("user", "")


def channel_of(body: dict[str, Any]) -> str | None:
    channel = body.get("channel")
    if isinstance(channel, dict):
        return channel.get("id")
    return body.get("channel_id") or (body.get("container") or {}).get("channel_id")
