"""app_uninstalled / tokens_revoked: the workspace's installation is removed (multi-workspace
mode); its incidents stay until retention drops them."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.context.async_context import AsyncBoltContext

from listeners.context import workspaces_of

log = logging.getLogger("beacon.workspaces")


async def handle_uninstalled(event: dict[str, Any], context: AsyncBoltContext) -> None:
    workspaces = workspaces_of(context)
    tokens = event.get("tokens") or {}
    bot = event.get("type") == "app_uninstalled" or bool(tokens.get("bot"))
    if workspaces is None:  # single-workspace mode: SLACK_BOT_TOKEN stops working
        if bot:
            log.error("Beacon was removed from workspace %s (%s): its bot token no longer works",
                      context.team_id, event.get("type"))
        return
    await workspaces.removed(
        context.enterprise_id,
        context.team_id,
        org_wide=bool(context.is_enterprise_install),
        bot=bot,
        users=list(tokens.get("oauth") or []),
    )
