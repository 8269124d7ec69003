"""Multi-workspace mode: one Beacon (a "cell") per installed workspace.

A cell is a whole Beacon built by the composition root from the workspace's bot token and a key
prefix carrying its team id (`beacon:T0123:v1:…`): its own stores, incident ids, outbox lanes,
timers, notifier, scheduler, retention, Home publisher and config (beacon.yml's `workspaces:`
section). Nothing is shared between cells but the Redis connection and the HTTP session, so no
incident, card or page can cross workspaces.

Cells are opened at start-up for every installation in the store, on the first envelope of a
workspace (an org-wide install serves each workspace of the org from its one token), and when
another instance installs one (the store publishes every change); they are closed when the app
is uninstalled or its token revoked; its data stays until `retention:` says otherwise, applied
by a light pass over every workspace once served (a hash in Redis) but no longer installed.
Bolt authorizes each envelope here, from memory: an ack
never waits on Slack or on the store once the cell is open.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import aiohttp
from slack_bolt.authorization import AuthorizeResult
from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.installation_store.models.installation import Installation

from app.clock import Clock
from app.config import BeaconConfig
from app.container import Beacon
from app.domain.retention import IncidentRetention
from app.notifier.engine import GROUP as NOTIFIER_GROUP
from app.ops.metrics import Metrics
from app.settings import Settings
from app.store import Stores
from app.store.installations import InstallationStore, owner_of, split_owner
from app.store.keys import Keys

if TYPE_CHECKING:
    from app.store.connect import Redis

log = logging.getLogger("beacon.workspaces")

BEACON = "beacon"  # listeners.context.BEACON: where listeners find their cell's Beacon
RESUBSCRIBE_S = 1.0


@dataclass
class Cell:
    key: str  # the team id; an org's enterprise id for envelopes without a team
    owner: str  # the installation it is served by (store.owner_of)
    token: str
    bot: Bot
    beacon: Beacon

    def authorize_result(self, user_id: str | None) -> AuthorizeResult:
        bot = self.bot
        return AuthorizeResult(
            enterprise_id=bot.enterprise_id,
            team_id=bot.team_id or (self.key if self.key != bot.enterprise_id else None),
            team=bot.team_name,
            bot_user_id=bot.bot_user_id,
            bot_id=bot.bot_id,
            bot_token=bot.bot_token,
            bot_scopes=bot.bot_scopes,
            user_id=user_id,
        )


class Cells:
    """Team id -> its cell; opens and closes them. One per process."""

    def __init__(
        self,
        *,
        settings: Settings,
        config: BeaconConfig,
        redis: Redis,
        installations: InstallationStore,
        clock: Clock,
        session: aiohttp.ClientSession,
        metrics: Metrics | None = None,
    ) -> None:
        self.settings = settings
        self.metrics = metrics  # the runtime's: a closed workspace's series are dropped
        self.config = config
        self.redis = redis
        self.installations = installations
        self.clock = clock
        self.session = session
        self.cells: dict[str, Cell] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._listener: asyncio.Task[None] | None = None
        self._retention: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()  # a cancel can be lost in a sleep's timeout; this cannot
        self._retired: dict[str, IncidentRetention] = {}  # uninstalled workspaces' retention
        # Set by the runtime: whether the one Socket Mode connection is up.
        self.slack_connected: Callable[[], Awaitable[bool]] | None = None

    # --- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """A cell for every workspace installed (org-wide installs open per workspace, on
        their first envelope), then follow installs and removals by any instance."""
        self._stop.clear()
        subscribed = asyncio.Event()
        self._listener = asyncio.create_task(self._follow(subscribed), name="beacon-workspaces")
        await subscribed.wait()  # nothing installed from here on is missed
        for owner in await self.installations.owners():
            enterprise_id, team_id = split_owner(owner)
            if team_id:
                await self.open(enterprise_id, team_id, org_wide=False)
        if self.config.keeps_history_bounded:  # else there is nothing a pass could remove
            self._retention = asyncio.create_task(
                self._retain_uninstalled(), name="beacon-uninstalled-retention"
            )

    async def stop(self) -> None:
        self._stop.set()
        for task in (self._listener, self._retention):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        for key in list(self.cells):
            await self.close(key)

    def all(self) -> list[Cell]:
        return list(self.cells.values())

    # --- opening and closing ---------------------------------------------------------------

    async def get(
        self, enterprise_id: str | None, team_id: str | None, org_wide: bool
    ) -> Cell | None:
        cell = self.cells.get(team_id or enterprise_id or "")
        if cell is not None:
            return cell
        return await self.open(enterprise_id, team_id, org_wide=org_wide)

    async def open(
        self, enterprise_id: str | None, team_id: str | None, *, org_wide: bool
    ) -> Cell | None:
        """The workspace's cell, built and started if it has an installation; else None."""
        key = team_id or enterprise_id
        if not key:
            return None
        async with self._locks.setdefault(key, asyncio.Lock()):
            bot = await self.installations.async_find_bot(
                enterprise_id=enterprise_id, team_id=team_id, is_enterprise_install=org_wide
            )
            cell = self.cells.get(key)
            if cell is not None and bot is not None and cell.token == bot.bot_token:
                return cell
            if cell is not None:  # reinstalled with a new token, or removed
                await self.close(key)
            if bot is None or not bot.bot_token:
                return None
            return await self._start(key, bot)

    async def _start(self, key: str, bot: Bot) -> Cell:
        s = self.settings
        config = self.config.for_workspace(key, bot.team_name)
        beacon = Beacon.for_settings(
            s,
            config=config,
            redis=self.redis,
            clock=self.clock,
            session=self.session,
            token=bot.bot_token or "",
            prefix=Keys(s.redis_prefix).for_workspace(key).prefix,
            # the org's one token: each call names the workspace
            team_id=key if bot.is_enterprise_install and key != bot.enterprise_id else None,
        )
        beacon.slack_connected = self.slack_connected
        beacon.notifier.poster.team = beacon.channels.team = key  # named in their log lines
        if beacon.retention is not None:
            beacon.retention.workspace = key  # its outbox metrics carry the workspace label
        await beacon.stores.outbox.ensure_group(NOTIFIER_GROUP)
        await beacon.stores.migrations.run_pending(self.clock.now())
        beacon.workers.start()
        cell = Cell(
            key=key,
            owner=owner_of(bot.enterprise_id, bot.team_id, bot.is_enterprise_install),
            token=bot.bot_token or "",
            bot=bot,
            beacon=beacon,
        )
        self.cells[key] = cell
        self._retired.pop(key, None)
        await self.installations.remember_served(key, cell.owner, bot.team_name)
        log.info("serving workspace %s (%s)", bot.team_name or bot.enterprise_name, key)
        return cell

    async def close(self, key: str) -> None:
        """Stop serving a workspace (its data stays, for retention to drop)."""
        cell = self.cells.pop(key, None)
        if cell is not None:
            await cell.beacon.workers.stop()
            if self.metrics is not None:
                self.metrics.forget(key)
            log.info("stopped serving workspace %s (%s)", cell.bot.team_name, key)

    async def installed(self, installation: Installation) -> None:
        """The install pages saved an installation: serve it now."""
        org_wide = bool(installation.is_enterprise_install)
        if not org_wide:
            await self.open(installation.enterprise_id, installation.team_id, org_wide=False)

    async def removed(
        self, enterprise_id: str | None, team_id: str | None, *, org_wide: bool, bot: bool,
        users: list[str] | None = None,
    ) -> None:
        """The app was uninstalled (bot=True) or installers' tokens revoked (users)."""
        store = self.installations
        owner_team = None if org_wide else team_id
        for user in users or []:
            await store.async_delete_installation(
                enterprise_id=enterprise_id, team_id=owner_team, user_id=user
            )
        if bot:
            await store.async_delete_all(enterprise_id=enterprise_id, team_id=owner_team)
            await self._close_owner(owner_of(enterprise_id, team_id, org_wide))

    async def _close_owner(self, owner: str) -> None:
        for key in [k for k, c in self.cells.items() if c.owner == owner]:
            await self.close(key)

    # --- retention of uninstalled workspaces -----------------------------------------------

    async def sweep_uninstalled(self) -> int:
        """One retention pass over the data of workspaces no longer installed (an open cell
        runs its own): what `retention:` (the workspace's section, else the top level) says is
        due goes; open incidents stay. Returns how much was removed."""
        served = await self.installations.served()
        installed = set(await self.installations.owners())
        removed = 0
        for key, (owner, name) in served.items():
            if owner in installed or key in self.cells:
                continue
            kept = self._retired.get(key)
            if kept is None:
                config = self.config.for_workspace(key, name or None)
                stores = Stores(self.redis, Keys(self.settings.redis_prefix).for_workspace(key))
                kept = IncidentRetention(stores.incidents, config.retention, self.clock,
                                         (stores.approvals, stores.investigations))
                self._retired[key] = kept
            swept = await kept.sweep()
            if swept:
                log.info("retention removed %d items of uninstalled workspace %s (%s)",
                         swept, name or "?", key)
            removed += swept
        return removed

    async def _retain_uninstalled(self) -> None:
        """sweep_uninstalled every retention.interval_minutes (the top level's)."""
        interval = self.config.retention.interval_minutes * 60
        while not self._stop.is_set():
            try:
                await self.sweep_uninstalled()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("retention of uninstalled workspaces failed; retried next time")
            deadline = self.clock.now() + interval
            # In slices to the deadline: FakeClock.sleep returns early, and a stop never waits.
            while not self._stop.is_set() and self.clock.now() < deadline:
                await self.clock.sleep(min(1.0, deadline - self.clock.now()))

    # --- Bolt --------------------------------------------------------------------------------

    async def authorize(
        self,
        *,
        context: Any,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None,
    ) -> AuthorizeResult | None:
        """Bolt's authorize: the envelope's cell, put in the context for the listeners."""
        cell = await self.get(enterprise_id, team_id, bool(context.is_enterprise_install))
        if cell is None:
            log.warning(
                "envelope from workspace %s%s, where Beacon is not installed: refused",
                team_id, f" (org {enterprise_id})" if enterprise_id else "",
            )
            return None
        context[BEACON] = cell.beacon
        return cell.authorize_result(user_id)

    # --- other instances ---------------------------------------------------------------------

    async def _follow(self, subscribed: asyncio.Event) -> None:
        while True:
            try:
                async for change in self.installations.changes(subscribed):
                    await self._changed(change)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # Redis away: listen again, never stop following
                log.warning("lost the installations channel (%s); subscribing again", exc)
                subscribed.set()
                await asyncio.sleep(RESUBSCRIBE_S)

    async def _changed(self, change: str) -> None:
        sign, owner = change[:1], change[1:]
        enterprise_id, team_id = split_owner(owner)
        try:
            if sign == "-":
                await self._close_owner(owner)
            elif sign == "+" and team_id:
                await self.open(enterprise_id, team_id, org_wide=False)
            elif sign == "+":  # an org-wide install: reopen its workspaces with the new token
                for key in [k for k, c in self.cells.items() if c.owner == owner]:
                    await self.open(enterprise_id, key, org_wide=True)
        except Exception:
            log.exception("could not follow the installation change %s", change)
