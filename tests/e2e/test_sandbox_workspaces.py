"""The sandbox with two workspaces (`python -m app sandbox --workspaces 2`): Beacon in
multi-workspace mode, Acme installed at start by OAuth, Globex installed from the page's
"Add to Slack" flow; each workspace's people, channels, incidents and ids its own."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from app.main import Runtime
from sandbox.world import TEAMS, Sandbox, oauth_install
from slack_emulator.models import Message
from slack_emulator.state import Workspace

ACME, GLOBEX = TEAMS[0].id, TEAMS[1].id


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    async with Sandbox(Runtime, port=0, workspaces=2) as sb:
        yield sb


async def state(sb: Sandbox, team: str | None = None, **query: str) -> dict[str, Any]:
    params = {**query, **({"team": team} if team else {})}
    async with aiohttp.ClientSession() as http, http.get(
        f"{sb.url}api/state", params=params
    ) as resp:
        return {"status": resp.status, **await resp.json()}


async def command(sb: Sandbox, team: str, user: str, channel: str, text: str) -> dict[str, Any]:
    body = {"team": team, "user": user, "channel": channel, "text": text}
    async with aiohttp.ClientSession() as http, http.post(
        f"{sb.url}api/command", json=body
    ) as resp:
        return await resp.json()


async def card(ws: Workspace, incident_id: str, channel: str = "incidents") -> Message:
    cid = ws.channel_by_name(channel).id

    def find() -> Message | None:
        return next(
            (m for m in ws.messages(cid)
             if f"*{incident_id}*" in m.all_text() and "Acknowledge" in m.buttons()),
            None,
        )

    return await ws.wait_for(find, timeout=15)


async def test_two_workspaces_each_with_its_own_people_incidents_and_ids(sandbox: Sandbox):
    acme, globex = sandbox.emu.team(ACME), sandbox.emu.team(GLOBEX)

    # Acme was installed at start through the real OAuth flow; Globex is not installed yet.
    a = await state(sandbox)
    assert a["team"] == "Acme" and a["team_id"] == ACME and a["installed"] is True
    assert a["me"]["name"] == "alice" and a["people"] == ["alice", "bob", "carol", "dan"]
    assert [(w["name"], w["installed"]) for w in a["workspaces"]] == [
        ("Acme", True), ("Globex", False)]
    install_url = a["install_url"]
    assert install_url and install_url.endswith("/slack/install")
    assert len(sandbox.emu.calls_to("oauth.v2.access")) == 1
    g = await state(sandbox, GLOBEX)
    assert g["team"] == "Globex" and g["installed"] is False
    assert g["me"]["name"] == "erin" and g["people"] == ["erin", "frank", "grace"]
    assert "incidents" in [c["name"] for c in g["channels"] if c["kind"] == "channel"]
    assert {c["id"] for c in g["channels"]}.isdisjoint({c["id"] for c in a["channels"]})

    # Before Globex installs Beacon, its people are told so, with the page to install it.
    g_incidents = globex.channel_by_name("incidents").id
    result = await command(sandbox, GLOBEX, "erin", g_incidents, "/incident list")
    assert result["ok"], result
    told = await globex.wait_for(
        lambda: next((m for m in globex.ephemerals("UERIN") if "not installed" in m.text), None),
        timeout=10,
    )
    assert install_url in told.all_text()

    # The page's "Add to Slack": Beacon's install page → Slack's authorize → back to Beacon.
    page = await oauth_install(install_url, GLOBEX)
    assert "Beacon is installed in Globex" in page
    assert (await state(sandbox, GLOBEX))["installed"] is True
    assert acme.bot_token != globex.bot_token

    # /incident in each: INC-1 in each, each card in its own workspace.
    a_incidents = acme.channel_by_name("incidents").id
    for team, user, channel, title in (
        (ACME, "alice", a_incidents, "Checkout down"),
        (GLOBEX, "frank", g_incidents, "Login broken"),
    ):
        result = await command(sandbox, team, user, channel, f"/incident create {title} --sev P3")
        assert result["ok"], result
    a1, g1 = await card(acme, "INC-1"), await card(globex, "INC-1")
    assert "Checkout down" in a1.all_text() and "Login broken" in g1.all_text()

    # The state API shows each workspace its own: Globex never sees Acme's card, nor back.
    a, g = await state(sandbox, ACME, user="bob"), await state(sandbox, GLOBEX, user="grace")
    assert a["me"]["name"] == "bob" and g["me"]["name"] == "grace"
    a_text, g_text = str(a["messages"]), str(g["messages"])
    assert "Checkout down" in a_text and "Login broken" not in a_text
    assert "Login broken" in g_text and "Checkout down" not in g_text
    shown = next(m for m in g["messages"][g_incidents] if m["ts"] == g1.ts)
    assert shown["is_bot"] and "INC-1" in str(shown["attachments"] or shown["blocks"])

    # A click from Globex goes to Globex's Beacon; Acme's INC-1 does not change.
    async with aiohttp.ClientSession() as http, http.post(f"{sandbox.url}api/click", json={
        "team": GLOBEX, "user": "grace", "label": "Acknowledge",
        "target": {"channel": g_incidents, "ts": g1.ts},
    }) as resp:
        assert (await resp.json())["ok"]
    await globex.wait_for(
        lambda: "Acknowledged" in globex.message(g_incidents, g1.ts).all_text(), 10)
    assert "Acknowledged" not in acme.message(a_incidents, a1.ts).all_text()

    # "Fire a test alert": the intake API's token is Acme's, so only Acme's page offers it.
    assert g["alert"]["enabled"] is False and "belongs to Acme" in g["alert"]["reason"]
    assert a["alert"]["enabled"] is True
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{sandbox.url}api/alert", json={"team": GLOBEX}) as resp:
            assert resp.status == 400 and "belongs to Acme" in (await resp.json())["error"]
        async with http.post(f"{sandbox.url}api/alert", json={"team": ACME}) as resp:
            assert (await resp.json())["ok"]
    alerted = await card(acme, "INC-2", "incidents-critical")  # the sample alert is critical
    assert "Checkout error rate" in alerted.all_text()
    assert "Checkout error rate" not in str(globex.channels)

    # Someone of another workspace, or a workspace that is not there: a clear 400.
    wrong = await state(sandbox, GLOBEX, user="alice")
    assert wrong["status"] == 400 and "alice" in wrong["error"]
    missing = await state(sandbox, "T0NOPE")
    assert missing["status"] == 400 and "no workspace 'T0NOPE'" in missing["error"]
