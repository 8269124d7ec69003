"""One Beacon for several workspaces: installed from a browser by OAuth (over Socket Mode), each
served with its own token, ids, cards and config, nothing shared; uninstall, restart, refusals."""

from __future__ import annotations

import asyncio
import re
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import aiohttp
import pytest
from cryptography.fernet import Fernet
from redis.asyncio import Redis

from app.clock import FakeClock
from app.main import Runtime
from app.settings import Settings
from slack_emulator import SlackEmulator
from slack_emulator.driver import SlackUser
from slack_emulator.models import Message
from slack_emulator.state import Workspace
from tests.conftest import TEST_CONFIG
from tests.e2e.conftest import manifest_scopes
from tests.redis_proc import RedisProcess

A, B = "T0BEACON", "T0B"
# Workspace B posts to its own default channel (A keeps the top level's) and has an API token
# of its own in the file, next to BEACON_API_TOKEN's.
B_FILE_SECRET = "b-file-secret-0123456789"
CONFIG = TEST_CONFIG + (
    'workspaces:\n  T0B:\n    default_channel: "#b-incidents"\n'
    f"    api_tokens: {{alerts: {B_FILE_SECRET}}}\n"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Multi:
    emu: SlackEmulator
    settings: Settings
    clock: FakeClock
    redis: Redis
    runtime: Runtime
    alice: SlackUser  # in A
    bert: SlackUser  # in B

    @property
    def install_url(self) -> str:
        s = self.settings
        return f"http://{s.install_host}:{s.install_port}/slack/install"

    async def restart(self) -> None:
        await self.runtime.stop()
        self.runtime = Runtime(self.settings, clock=self.clock)
        await self.runtime.start()
        await self.emu.wait_connected(1)

    async def card(self, ws: Workspace, channel: str, incident_id: str) -> Message:
        cid = ws.channel_by_name(channel).id

        def find() -> Message | None:
            return next(
                (m for m in ws.messages(cid)
                 if f"*{incident_id}*" in m.all_text() and "View" in m.buttons()),
                None,
            )

        return await ws.wait_for(find, timeout=10)


async def browser_install(multi: Multi, team: str) -> tuple[int, str, str]:
    """What an admin does: open /slack/install, click Add to Slack, pick the workspace and
    Allow; Slack sends the browser back to Beacon. Returns (status, page, redirect URL)."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as browser:
        async with browser.get(multi.install_url) as page:
            assert page.status == 200
            add = re.search(r'id="add-to-slack" href="([^"]+)"', await page.text())
        assert add is not None
        authorize = add.group(1).replace("&amp;", "&")
        assert authorize.startswith(multi.emu.base_url.removesuffix("api/") + "oauth/v2/")
        async with browser.get(authorize) as page:
            allow = re.search(rf'id="allow-{team}" href="([^"]+)"', await page.text())
        assert allow is not None
        origin = multi.emu.base_url.removesuffix("/api/")
        approve = origin + allow.group(1).replace("&amp;", "&")
        async with browser.get(approve, allow_redirects=False) as back:
            location = back.headers["Location"]
        async with browser.get(location) as done:
            return done.status, await done.text(), location


@pytest.fixture
async def multi(
    redis: Redis, redis_server: RedisProcess, tmp_path: Path, clock: FakeClock
) -> AsyncIterator[Multi]:
    emu = SlackEmulator(scopes=manifest_scopes())
    await emu.start()
    emu.add_user("UALICE", "alice", "Alice Example", "alice@example.com")
    for name in ("incidents", "incidents-critical", "payments-oncall"):
        emu.add_channel(name, members=["UALICE"])
    b = emu.add_team(B, "Team B", "team-b")
    b.add_user("UBERT", "bert", "Bert Bee", "bert@b.example.com")
    for name in ("b-incidents", "incidents-critical", "payments-oncall"):
        b.add_channel(name, members=["UBERT"])
    emu.workspace.installed = False  # A too is added through the install pages
    config = tmp_path / "beacon.yml"
    config.write_text(CONFIG)
    settings = Settings(
        slack_app_token=emu.app_token,
        slack_client_id=emu.oauth.client_id,
        slack_client_secret=emu.oauth.client_secret,
        slack_api_url=emu.base_url,
        redis_url=redis_server.url,
        beacon_config=config,
        install_port=free_port(),
        beacon_secret_key=Fernet.generate_key().decode(),
        beacon_posts_per_second=0,
        api_port=free_port(),
        beacon_api_token=f"ops-a:secret-a@{A},ops-b:secret-b@{B}",
        metrics_port=free_port(),
    )
    assert settings.multi_workspace
    runtime = Runtime(settings, clock=clock)
    await runtime.start()
    await emu.wait_connected(1)
    multi = Multi(emu, settings, clock, redis, runtime, emu.user("alice"), emu.user("bert", B))
    yield multi
    await multi.runtime.stop()
    await emu.stop()


async def test_two_workspaces_side_by_side_nothing_shared(multi: Multi) -> None:
    emu, alice, bert = multi.emu, multi.alice, multi.bert
    a_ws, b_ws = emu.team(A), emu.team(B)

    # Not installed yet: the envelope is answered politely, nothing else happens.
    await alice.slash_command("/incident", "create Too early --sev P3",
                              channel=a_ws.channel_by_name("incidents").id)
    refused = await alice.wait_ephemeral("not installed")
    assert multi.install_url in refused.all_text()

    for team, name in ((A, "Beacon Test"), (B, "Team B")):
        status, page, _ = await browser_install(multi, team)
        assert status == 200 and f"Beacon is installed in {name}" in page
        assert "/invite @Beacon" in page and f"workspaces: {team}:" in page
    assert a_ws.bot_token != b_ws.bot_token

    # /incident in each; each card in its own workspace, ids independent.
    await alice.slash_command("/incident", "create Checkout down --sev P3",
                              channel=a_ws.channel_by_name("incidents").id)
    await alice.slash_command("/incident", "create Search slow --sev P3",
                              channel=a_ws.channel_by_name("incidents").id)
    await bert.slash_command("/incident", "create Login broken --sev P3",
                             channel=b_ws.channel_by_name("b-incidents").id)
    a1 = await multi.card(a_ws, "incidents", "INC-1")
    await multi.card(a_ws, "incidents", "INC-2")
    b1 = await multi.card(b_ws, "b-incidents", "INC-1")  # B's config: its own channel
    assert "Checkout down" in a1.all_text() and "Login broken" in b1.all_text()
    assert "Checkout down" not in str(b_ws.channels) and "Login broken" not in str(a_ws.channels)
    # Every Slack write was made with the token of the workspace it went to.
    for call in emu.calls_to("chat.postMessage"):
        team = a_ws if call.args.get("channel") in a_ws.channels else b_ws
        assert call.token == team.bot_token, call.args.get("channel")

    # B cannot reach A's incident: INC-2 exists only in A.
    await bert.slash_command("/incident", "ack INC-2", channel=b_ws.channel_by_name(
        "b-incidents").id)
    assert "can't find incident INC-2" in (await bert.wait_ephemeral("INC-2")).all_text()
    # Nor click A's card: a copy of A's INC-2 card clicked from B is refused as not found.
    a2 = await multi.card(a_ws, "incidents", "INC-2")
    copy = b_ws.post_message(b_ws.channel_by_name("b-incidents"), b_ws.bot_user_id, a2.text,
                             a2.blocks, a2.attachments)
    await bert.click(copy, "Acknowledge")
    assert "can't find incident INC-2" in (await bert.wait_ephemeral("find incident")).all_text()
    assert "Acknowledged" not in multi_fresh(a_ws, a2).all_text()
    # B's own INC-1 is B's to acknowledge; A's INC-1 does not change.
    await bert.click(b1, "Acknowledge")
    await b_ws.wait_for(lambda: "Acknowledged" in multi_fresh(b_ws, b1).all_text(), 10)
    assert "Acknowledged" not in multi_fresh(a_ws, a1).all_text()

    # Restart: both installations are still served.
    await multi.restart()
    await bert.slash_command("/incident", "create Second in B --sev P3",
                             channel=b_ws.channel_by_name("b-incidents").id)
    await alice.slash_command("/incident", "create Third in A --sev P3",
                              channel=a_ws.channel_by_name("incidents").id)
    await multi.card(b_ws, "b-incidents", "INC-2")
    await multi.card(a_ws, "incidents", "INC-3")

    # Uninstall B: its envelopes are refused politely; A keeps working.
    await emu.uninstall(B)
    cells = multi.runtime.cells
    assert cells is not None
    await b_ws.wait_for(lambda: B not in cells.cells, 10)
    await bert.slash_command("/incident", "list", channel=b_ws.channel_by_name(
        "b-incidents").id)
    await bert.wait_ephemeral("not installed")
    await alice.slash_command("/incident", "create Fourth in A --sev P3",
                              channel=a_ws.channel_by_name("incidents").id)
    await multi.card(a_ws, "incidents", "INC-4")
    # B's incident history stays (until retention); its installation is gone.
    assert await multi.redis.exists(f"beacon:{B}:v1:incident:INC-1:hash")
    assert await multi.redis.smembers("beacon:v1:installations:set") == {f"-:{A}"}


def multi_fresh(ws: Workspace, message: Message) -> Message:
    fresh = ws.message(message.channel, message.ts)
    assert fresh is not None
    return fresh


async def test_bad_state_and_replayed_code_get_a_clear_page(multi: Multi) -> None:
    status, _, location = await browser_install(multi, B)
    assert status == 200
    redirect = urlparse(location)
    base = f"http://{redirect.netloc}{redirect.path}"
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as browser:
        # A made-up state from a browser that never started an install.
        async with browser.get(base, params={"state": "forged", "code": "x"}) as page:
            assert page.status == 400
            assert "another browser" in await page.text()
        # The same redirect again (the code and the state already used).
        async with browser.get(location) as page:
            assert page.status in (400, 401)
            assert "Beacon was not installed" in await page.text()
        # A fresh install whose redirect carries the old, used code.
        async with browser.get(multi.install_url) as page:
            assert page.status == 200
        state = next(c.value for c in browser.cookie_jar)
        code = dict(p.split("=", 1) for p in redirect.query.split("&"))["code"]
        async with browser.get(base, params={"state": state, "code": code}) as page:
            assert page.status == 401
            text = await page.text()
            assert "did not accept the authorization code" in text and "Start again" in text
    # Cancelled on Slack's page: said so.
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as browser:
        async with browser.get(multi.install_url):
            pass
        state = next(c.value for c in browser.cookie_jar)
        async with browser.get(base, params={"state": state, "error": "access_denied"}) as page:
            assert "cancelled" in await page.text()


async def test_an_api_token_creates_incidents_in_its_own_workspace(multi: Multi) -> None:
    a_ws, b_ws = multi.emu.team(A), multi.emu.team(B)
    api = f"http://127.0.0.1:{multi.settings.api_port}/api/v1/incidents"

    async def create(secret: str, title: str) -> tuple[int, dict]:
        async with aiohttp.ClientSession() as http, http.post(
            api, json={"title": title, "severity": "P3"},
            headers={"Authorization": f"Bearer {secret}"},
        ) as resp:
            return resp.status, await resp.json()

    # B is not installed yet: its token is told so, in JSON.
    status, body = await create("secret-b", "Too early")
    assert status == 403 and "not installed in workspace T0B" in body["error"]
    await browser_install(multi, A)
    await browser_install(multi, B)
    status, body = await create("secret-b", "Disk full on b-db")
    assert status == 201, body
    assert body["incident"]["id"] == "INC-1"
    card = await multi.card(b_ws, "b-incidents", "INC-1")
    assert "Disk full on b-db" in card.all_text()
    status, body = await create("secret-a", "Queue stuck")
    assert status == 201 and body["incident"]["id"] == "INC-1"  # A's own first incident
    assert "Queue stuck" in (await multi.card(a_ws, "incidents", "INC-1")).all_text()
    assert "Queue stuck" not in str(b_ws.channels)
    # beacon.yml's workspaces.T0B.api_tokens: the second way, to the same workspace.
    status, body = await create(B_FILE_SECRET, "Cert expiring")
    assert status == 201 and body["incident"]["id"] == "INC-2", body
    assert "Cert expiring" in (await multi.card(b_ws, "b-incidents", "INC-2")).all_text()
    assert "Cert expiring" not in str(a_ws.channels)


async def test_a_workspace_whose_token_stops_working_waits_alone_and_doctor_says_so(
    multi: Multi, caplog: pytest.LogCaptureFixture,
) -> None:
    from app.ops.doctor import diagnose

    emu, alice, bert = multi.emu, multi.alice, multi.bert
    a_ws, b_ws = emu.team(A), emu.team(B)
    await browser_install(multi, A)
    await browser_install(multi, B)
    emu.oauth.uninstall(b_ws)  # revoked while Beacon was not told (no events)
    await bert.slash_command("/incident", "create Lost in B --sev P3",
                             channel=b_ws.channel_by_name("b-incidents").id)
    await alice.slash_command("/incident", "create Fine in A --sev P3",
                              channel=a_ws.channel_by_name("incidents").id)
    await multi.card(a_ws, "incidents", "INC-1")  # A is not held up by B
    await a_ws.wait_for(lambda: any(
        "refuses workspace T0B's token (token_revoked)" in r.getMessage()
        for r in caplog.records), 10)
    assert not b_ws.messages("b-incidents")
    # B's event is kept, pending, not given up.
    pending = await multi.redis.xpending(f"beacon:{B}:v1:events:stream", "notifier")
    assert pending["pending"] >= 1
    lines = [c.line() for c in await diagnose(multi.settings)]
    assert any(line.startswith("✗ workspace Team B (T0B): Slack rejected its token "
                               "(token_revoked)") for line in lines), lines
    assert any(line.startswith("✓ workspace Beacon Test (T0BEACON): bot token is valid")
               for line in lines), lines


async def test_health_and_metrics_have_a_line_per_workspace(multi: Multi) -> None:
    from tests.e2e.test_ops import healthz, scrape, value, wait_health

    emu, alice, bert = multi.emu, multi.alice, multi.bert
    a_ws, b_ws = emu.team(A), emu.team(B)
    port = multi.settings.metrics_port
    status, body = await healthz(port)  # nothing installed yet: the process is fine
    assert status == 200 and body["status"] == "ok" and body["workspaces"] == {}, body
    assert value(await scrape(port), "beacon_redis_up") == 1

    await browser_install(multi, A)
    await browser_install(multi, B)
    await alice.slash_command("/incident", "create Fine in A --sev P3",
                              channel=a_ws.channel_by_name("incidents").id)
    await bert.slash_command("/incident", "create Fine in B --sev P3",
                             channel=b_ws.channel_by_name("b-incidents").id)
    await multi.card(a_ws, "incidents", "INC-1")
    await multi.card(b_ws, "b-incidents", "INC-1")
    status, body = await healthz(port)
    assert status == 200 and body["status"] == "ok", body
    assert body["slack_socket"] == "connected" and body["redis"] == "ok"
    assert body["workspaces"][A]["name"] == "Beacon Test"
    assert body["workspaces"][B]["status"] == "ok"
    assert body["workspaces"][B]["outbox"]["length"] >= 1
    samples = await scrape(port)
    for team in (A, B):  # each workspace's outbox and notifier, labelled
        assert ("beacon_outbox_lag", (("workspace", team),)) in samples
        assert value(samples, "beacon_outbox_lag", workspace=team) == 0
        assert value(samples, "beacon_notifier_events_applied_total", workspace=team) >= 1
        assert value(samples, "beacon_workspace_token_refused", workspace=team) == 0
    assert ("beacon_outbox_lag", ()) not in samples  # no unlabelled series to confuse

    # B's token is revoked without Beacon being told: reported, but the process stays up.
    emu.oauth.uninstall(b_ws)
    await bert.slash_command("/incident", "create Lost in B --sev P3",
                             channel=b_ws.channel_by_name("b-incidents").id)
    async with asyncio.timeout(10):
        while (await healthz(port))[1]["workspaces"][B]["status"] != "token_refused":  # noqa: ASYNC110
            await asyncio.sleep(0.02)
    status, body = await healthz(port)
    assert status == 200 and body["status"] == "degraded", body
    assert body["workspaces"][A]["status"] == "ok"
    assert any(r.startswith(f"workspace {B}: Slack refuses its token (token_revoked)")
               for r in body["reasons"]), body
    samples = await scrape(port)
    assert value(samples, "beacon_workspace_token_refused", workspace=B) == 1
    assert value(samples, "beacon_workspace_token_refused", workspace=A) == 0

    # Slack told at last (uninstalled): B is no longer served, nor listed, nor exported.
    await emu.uninstall(B)
    cells = multi.runtime.cells
    assert cells is not None
    await b_ws.wait_for(lambda: B not in cells.cells, 10)
    status, body = await healthz(port)
    assert status == 200 and list(body["workspaces"]) == [A] and body["status"] == "ok", body
    assert ("beacon_outbox_lag", (("workspace", B),)) not in await scrape(port)

    # The one Socket Mode connection down: the process cannot serve anyone, 503.
    assert multi.runtime.handler is not None
    await multi.runtime.handler.close_async()
    body = await wait_health(port, 503)
    assert body["failing"] == ["slack_socket"] and body["status"] == "failing"


async def test_an_org_wide_install_serves_each_workspace_of_the_org_apart(multi: Multi) -> None:
    """Enterprise Grid: installed once for the org (is_enterprise_install), one token; each
    workspace of the org is its own cell, its calls made with the org's token naming it."""
    emu = multi.emu
    org = "E0ORG"
    one = emu.add_team("T0ORG1", "Org One", enterprise_id=org)
    two = emu.add_team("T0ORG2", "Org Two", enterprise_id=org)
    for ws, uid, name in ((one, "UOLGA", "olga"), (two, "UTOM", "tom")):
        ws.add_user(uid, name, name.title(), f"{name}@org.example.com")
        for channel in ("incidents", "incidents-critical", "payments-oncall"):
            ws.add_channel(channel, members=[uid])
    status, page, _ = await browser_install(multi, org)
    assert status == 200 and f"Beacon is installed in {org}" in page, page
    assert one.org_install and two.org_install and one.bot_token == two.bot_token

    olga, tom = emu.user("olga", one.team_id), emu.user("tom", two.team_id)
    await olga.slash_command("/incident", "create Org one down --sev P3",
                             channel=one.channel_by_name("incidents").id)
    await olga.slash_command("/incident", "create Org one again --sev P3",
                             channel=one.channel_by_name("incidents").id)
    await tom.slash_command("/incident", "create Org two down --sev P3",
                            channel=two.channel_by_name("incidents").id)
    first = await multi.card(one, "incidents", "INC-1")
    await multi.card(one, "incidents", "INC-2")
    theirs = await multi.card(two, "incidents", "INC-1")  # ids independent per workspace
    assert "Org one down" in first.all_text() and "Org two down" in theirs.all_text()
    assert "Org two down" not in str(one.channels) and "Org one" not in str(two.channels)
    cells = multi.runtime.cells
    assert cells is not None
    a, b = cells.cells[one.team_id], cells.cells[two.team_id]
    assert a.beacon is not b.beacon and a.token == b.token == one.bot_token
    assert a.beacon.stores.keys.prefix == f"beacon:{one.team_id}"
    # Every call went with the org's token; those Slack needs it for named the workspace.
    org_calls = [c for c in emu.calls if c.token == one.bot_token]
    assert {c.args.get("team_id") for c in org_calls} <= {one.team_id, two.team_id, None}
    lists = [c for c in org_calls if c.method == "conversations.list"]
    assert {c.args.get("team_id") for c in lists} == {one.team_id, two.team_id}
    # A click in workspace two acts on its own INC-1 only.
    await tom.click(theirs, "Acknowledge")
    await two.wait_for(lambda: "Acknowledged" in multi_fresh(two, theirs).all_text(), 10)
    assert "Acknowledged" not in multi_fresh(one, first).all_text()


async def test_redis_down_makes_health_fail_with_several_workspaces(
    tmp_path: Path, clock: FakeClock
) -> None:
    from tests.e2e.test_ops import healthz, scrape, value, wait_health

    server = RedisProcess().start()
    emu = SlackEmulator(scopes=manifest_scopes())
    await emu.start()
    config = tmp_path / "beacon.yml"
    config.write_text(CONFIG)
    port = free_port()
    runtime = Runtime(Settings(
        slack_app_token=emu.app_token, slack_client_id=emu.oauth.client_id,
        slack_client_secret=emu.oauth.client_secret, slack_api_url=emu.base_url,
        redis_url=server.url, beacon_config=config, install_port=free_port(),
        metrics_port=port,
    ), clock=clock)
    try:
        await runtime.start()
        await emu.wait_connected(1)
        assert (await healthz(port))[0] == 200
        server.stop()
        body = await wait_health(port, 503)
        assert body["failing"] == ["redis"] and body["redis"].startswith("error:"), body
        assert value(await scrape(port), "beacon_redis_up") == 0  # /metrics still answers
    finally:
        await runtime.stop()
        await emu.stop()
        server.stop()
