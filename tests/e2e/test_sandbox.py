"""The sandbox's JSON API drives the emulator as people do; the run command with no tokens."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from app.main import Runtime
from sandbox.world import SAMPLE_USERS, Sandbox

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    sb = Sandbox(Runtime, port=0)
    await sb.start()
    yield sb
    await sb.stop()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def post(http: aiohttp.ClientSession, sb: Sandbox, path: str, **body: Any) -> dict:
    async with http.post(f"{sb.url}api/{path}", json={"user": "alice", **body}) as resp:
        return await resp.json()


async def state(http: aiohttp.ClientSession, sb: Sandbox, user: str = "alice") -> dict:
    async with http.get(f"{sb.url}api/state", params={"user": user}) as resp:
        return await resp.json()


async def test_workspace_is_seeded_from_the_sample_config(sandbox, http):
    snap = await state(http, sandbox)
    assert snap["people"] == [u.name for u in SAMPLE_USERS]
    names = [c["name"] for c in snap["channels"] if c["kind"] == "channel"]
    for name in ("incidents", "incidents-critical", "payments-oncall", "general"):
        assert name in names
    assert [c["name"] for c in snap["channels"] if c["kind"] == "dm"] == ["Beacon"]
    assert {s["callback_id"] for s in snap["shortcuts"]["global"]} == {"declare_incident"}
    async with http.get(sandbox.url) as resp:
        assert "Beacon sandbox" in await resp.text()


async def test_modal_errors_stay_on_the_field_then_declare_and_act(sandbox, http):
    incidents = sandbox.emu.channel_by_name("incidents").id
    assert (await post(http, sandbox, "command", channel=incidents, text="/incident"))["ok"]
    view = (await state(http, sandbox))["views"][-1]
    assert view["title"] == "Declare incident"
    result = await post(
        http,
        sandbox,
        "submit",
        view_id=view["id"],
        values={"Title": "  ", "Severity": "P4 · Low (LOW)"},
    )
    assert result["errors"] == {"Title": "Give the incident a title."}
    again = (await state(http, sandbox))["views"][-1]
    assert again["errors"] == {"title": "Give the incident a title."}  # by block id, for the page

    result = await post(
        http,
        sandbox,
        "submit",
        view_id=view["id"],
        values={"Title": "Search is slow", "Severity": "P4 · Low (LOW)", "Assignee": "UBOB"},
    )
    assert result == {"ok": True, "errors": {}}
    card = await sandbox.emu.wait_message(incidents, "Search is slow", timeout=10)
    await sandbox.emu.wait_for(
        lambda: "Acknowledge" in sandbox.emu.message(incidents, card.ts).buttons(), 10
    )

    # bob clicks Acknowledge on the card; the thread reply names him.
    clicked = await post(
        http,
        sandbox,
        "click",
        user="bob",
        target={"channel": incidents, "ts": card.ts},
        label="Acknowledge",
    )
    assert clicked["ok"]
    await sandbox.emu.wait_message(
        incidents, "Acknowledged by <@UBOB>", thread_ts=card.ts, timeout=10
    )
    snap = await state(http, sandbox, "bob")
    shown = next(m for m in snap["messages"][incidents] if m["ts"] == card.ts)
    assert any("Acknowledged by" in r["text"] for r in shown["replies"])

    # A label that is not there is reported, not swallowed.
    missing = await post(
        http, sandbox, "click", target={"channel": incidents, "ts": card.ts}, label="Nope"
    )
    assert missing["ok"] is False and "no button 'Nope'" in missing["error"]


async def test_shortcuts_home_and_plain_messages(sandbox, http):
    general = sandbox.emu.channel_by_name("general").id
    assert (await post(http, sandbox, "command", channel=general, text="checkout looks broken"))[
        "ok"
    ]
    msg = sandbox.emu.messages(general)[-1]
    assert (msg.user, msg.text) == ("UALICE", "checkout looks broken")

    # The message's menu: the message shortcut prefills the declare form from it.
    await post(
        http,
        sandbox,
        "shortcut",
        callback_id="declare_incident_from_message",
        channel=general,
        ts=msg.ts,
    )
    view = (await state(http, sandbox))["views"][-1]
    assert view["title"] == "Declare incident"
    assert "checkout looks broken" in str(view["blocks"])
    assert (await post(http, sandbox, "close", view_id=view["id"]))["ok"]
    assert (await state(http, sandbox))["views"] == []

    await post(http, sandbox, "shortcut", callback_id="declare_incident")
    assert (await state(http, sandbox))["views"][-1]["title"] == "Declare incident"

    assert (await post(http, sandbox, "home"))["ok"]
    home = (await state(http, sandbox))["home"]
    assert home["type"] == "home" and "Beacon — incidents" in str(home["blocks"])


async def test_page_gets_live_updates(sandbox, http):
    async with http.get(f"{sandbox.url}api/events") as resp:
        assert resp.headers["Content-Type"].startswith("text/event-stream")
        first = await resp.content.readuntil(b"\n\n")
        assert b"data: change" in first  # the page loads once on connect
        sandbox.emu.post_message(sandbox.emu.channel_by_name("random"), "UBOB", "hello")
        async with asyncio.timeout(5):
            assert b"data: change" in await resp.content.readuntil(b"\n\n")


async def test_fire_a_test_alert_when_the_intake_api_has_it(sandbox, http):
    if sandbox.alert_path() is None:
        snap = await state(http, sandbox)
        assert snap["alert"]["enabled"] is False and "intake API is off" in snap["alert"]["reason"]
        result = await post(http, sandbox, "alert")
        assert result["ok"] is False
        return
    result = await post(http, sandbox, "alert")
    assert result["ok"], result
    assert (await state(http, sandbox))["alert"]["enabled"] is True
    await sandbox.emu.wait_for(
        lambda: any(
            "Checkout error rate" in m.all_text()
            for c in sandbox.emu.channels.values()
            for m in sandbox.emu.messages(c.id)
        ),
        timeout=10,
    )


async def test_run_command_without_tokens_starts_the_sandbox(tmp_path):
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "BEACON_", "REDIS_"))
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "app",
        cwd=tmp_path,
        env={**clean, "PYTHONPATH": str(ROOT), "BEACON_SANDBOX_PORT": "0"},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        assert proc.stdout is not None
        async with asyncio.timeout(30):
            said = (await proc.stdout.readline()).decode()
            up = (await proc.stdout.readline()).decode()
        assert said.startswith("beacon: SLACK_BOT_TOKEN and SLACK_APP_TOKEN are not set")
        assert "sandbox" in said and "Connect a workspace" in said
        assert said.count("\n") == 1
        url = up.split("open ", 1)[1].split()[0]
        async with aiohttp.ClientSession() as session, session.get(f"{url}api/state") as resp:
            assert (await resp.json())["me"]["name"] == "alice"
    finally:
        proc.send_signal(signal.SIGTERM)
        async with asyncio.timeout(20):
            await proc.wait()
    assert proc.returncode == 0


async def test_run_workflow_step_menu_runs_a_step_and_says_how_it_ended(sandbox, http):
    async with http.get(f"{sandbox.url}api/steps") as resp:
        steps = {s["callback_id"]: s for s in (await resp.json())["steps"]}
    assert set(steps) == {
        "declare_incident", "acknowledge_incident", "resolve_incident",
        "post_incident_update", "get_oncall",
    }
    assert steps["declare_incident"]["required"] == ["title", "severity"]
    done = await post(http, sandbox, "step", callback_id="declare_incident",
                      inputs={"title": "Checkout down", "severity": "P2", "user": "UALICE"})
    assert done["ok"] and done["state"] == "completed", done
    assert done["outputs"]["incident_id"] == "INC-1"
    again = await post(http, sandbox, "step", callback_id="resolve_incident",
                       inputs={"incident_id": "INC-404"})
    assert again["ok"] and again["state"] == "failed"
    assert again["error"].startswith("I can't find incident INC-404.")
    refused = await post(http, sandbox, "step", callback_id="declare_incident", inputs={})
    assert not refused["ok"] and "missing required parameter title" in refused["error"]
