"""The cell registry on real Redis: Enterprise Grid org-wide installs, workspaces kept apart,
removal. (Install by OAuth, Socket Mode and Slack are in tests/e2e/test_workspaces.py.)"""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from redis.asyncio import Redis
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.oauth.installation_store.models.installation import Installation

from app.cells import Cells
from app.clock import FakeClock
from app.config import BeaconConfig
from app.settings import Settings
from app.store.installations import InstallationStore, Sealer
from app.store.keys import Keys
from tests.redis_proc import RedisProcess


@pytest.fixture
async def cells(
    redis: Redis, redis_server: RedisProcess, config: BeaconConfig, clock: FakeClock
) -> AsyncIterator[Cells]:
    settings = Settings(slack_api_url="http://127.0.0.1:9/api/", redis_url=redis_server.url)
    async with aiohttp.ClientSession() as session:
        registry = Cells(
            settings=settings, config=config, redis=redis,
            installations=InstallationStore(redis, Keys(), sealer=Sealer()),
            clock=clock, session=session,
        )
        yield registry
        await registry.stop()


def org_install(token: str) -> Installation:
    return Installation(
        app_id="A1", enterprise_id="E1", enterprise_name="Acme Org", team_id=None,
        bot_token=token, bot_id="BORG", bot_user_id="UORGBOT", bot_scopes="chat:write",
        user_id="UADMIN", is_enterprise_install=True,
    )


async def authorize(cells: Cells, team: str | None, *, org_wide: bool,
                    enterprise: str | None = "E1") -> tuple[AsyncBoltContext, object]:
    context = AsyncBoltContext({"is_enterprise_install": org_wide})
    result = await cells.authorize(
        context=context, enterprise_id=enterprise, team_id=team, user_id="U1"
    )
    return context, result


async def test_an_org_wide_install_serves_each_workspace_of_the_org_as_its_own_cell(
    cells: Cells,
) -> None:
    await cells.installations.async_save(org_install("xoxb-org"))
    ctx_a, result_a = await authorize(cells, "TA", org_wide=True)
    ctx_b, result_b = await authorize(cells, "TB", org_wide=True)
    assert result_a is not None and result_b is not None
    assert result_a["bot_token"] == result_b["bot_token"] == "xoxb-org"
    assert result_a["team_id"] == "TA" and result_a["enterprise_id"] == "E1"
    a, b = ctx_a["beacon"], ctx_b["beacon"]
    assert a is cells.cells["TA"].beacon and b is cells.cells["TB"].beacon and a is not b
    assert a.stores.keys.prefix == "beacon:TA" and b.stores.keys.prefix == "beacon:TB"
    # The same workspace again: the same cell, from memory.
    assert (await authorize(cells, "TA", org_wide=True))[0]["beacon"] is a
    # A workspace of the org that is not under an org-wide install, and one of no org: refused.
    assert (await authorize(cells, "TC", org_wide=False))[1] is None
    assert (await authorize(cells, "TX", org_wide=False, enterprise=None))[1] is None


async def test_removing_the_org_install_stops_every_workspace_of_it(cells: Cells) -> None:
    await cells.installations.async_save(org_install("xoxb-org"))
    await authorize(cells, "TA", org_wide=True)
    await authorize(cells, "TB", org_wide=True)
    await cells.removed("E1", "TA", org_wide=True, bot=True)
    assert cells.cells == {}
    assert await cells.installations.owners() == []
    assert (await authorize(cells, "TA", org_wide=True))[1] is None


async def test_a_reinstall_with_a_new_token_rebuilds_the_cell(cells: Cells) -> None:
    await cells.installations.async_save(org_install("xoxb-old"))
    old = (await authorize(cells, "TA", org_wide=True))[0]["beacon"]
    await cells.installations.async_save(org_install("xoxb-new"))
    await cells.open("E1", "TA", org_wide=True)
    ctx, result = await authorize(cells, "TA", org_wide=True)
    assert result["bot_token"] == "xoxb-new" and ctx["beacon"] is not old


async def test_installs_and_removals_by_another_instance_are_followed(cells: Cells) -> None:
    import asyncio

    await cells.start()  # subscribed before it returns
    other = InstallationStore(cells.redis, Keys(), sealer=Sealer())  # another instance's
    await other.async_save(Installation(
        app_id="A1", team_id="T9", team_name="Nine", bot_token="xoxb-9", bot_id="B9",
        bot_user_id="U9BOT", user_id="UADMIN",
    ))
    async with asyncio.timeout(5):
        while "T9" not in cells.cells:  # noqa: ASYNC110 - pub/sub delivery has no Event here
            await asyncio.sleep(0.01)
    assert cells.cells["T9"].beacon.stores.keys.prefix == "beacon:T9"
    await other.async_delete_all(enterprise_id=None, team_id="T9")
    async with asyncio.timeout(5):
        while "T9" in cells.cells:  # noqa: ASYNC110
            await asyncio.sleep(0.01)


async def test_an_uninstalled_workspaces_history_goes_when_retention_says(
    redis: Redis, redis_server: RedisProcess, config: BeaconConfig, clock: FakeClock
) -> None:
    import asyncio

    from app.config.retention import RetentionConfig
    from app.domain.models import NewIncident

    day = 86400
    kept = config.model_copy(update={"retention": RetentionConfig(resolved_days=5)})
    settings = Settings(slack_api_url="http://127.0.0.1:9/api/", redis_url=redis_server.url)
    async with aiohttp.ClientSession() as session:
        cells = Cells(settings=settings, config=kept, redis=redis, clock=clock, session=session,
                      installations=InstallationStore(redis, Keys(), sealer=Sealer()))
        await cells.start()
        try:
            nine = Installation(app_id="A1", team_id="T9", team_name="Nine", bot_token="xoxb-9",
                                bot_id="B9", bot_user_id="U9BOT", user_id="UADMIN")
            await cells.installations.async_save(nine)
            await cells.installed(nine)
            incidents = cells.cells["T9"].beacon.incidents
            done = await incidents.declare(NewIncident(title="old", severity="P3", reporter="U1"))
            still = await incidents.declare(NewIncident(title="open", severity="P3",
                                                        reporter="U1"))
            await incidents.resolve(done.id, "U1", "fixed")
            await cells.removed(None, "T9", org_wide=False, bot=True)
            assert "T9" not in cells.cells
            k = Keys().for_workspace("T9")
            # Its history stays while it is young…
            assert await cells.sweep_uninstalled() == 0
            assert await redis.exists(k.incident(done.id))
            # …and goes once retention is due, by the pass that runs without a cell.
            await clock.advance(6 * day)
            async with asyncio.timeout(5):
                while await redis.exists(k.incident(done.id)):  # noqa: ASYNC110 - its loop
                    await asyncio.sleep(0.01)
            assert await redis.exists(k.incident(still.id))  # open incidents are never retired
            assert await redis.zscore(k.incidents_archived_at(), done.id) is not None
        finally:
            await cells.stop()
