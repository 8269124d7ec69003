"""The sandbox's JSON API drives the emulator as people do; the run command with no tokens."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from slack_sdk.web.async_client import AsyncWebClient

from app.main import Runtime
from sandbox.world import DEFAULT_API_PORT, SAMPLE_USERS, Sandbox

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
    # One workspace, installed with the bot token: no rail of workspaces, no Add to Slack.
    assert [w["name"] for w in snap["workspaces"]] == ["Beacon Sandbox"]
    assert snap["install_url"] is None and snap["installed"] is True
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


def clean_env(**extra: str) -> dict[str, str]:
    """The environment of a newcomer: no Slack, Beacon or Redis settings."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "BEACON_", "REDIS_", "API_", "METRICS_"))
    }
    return {**env, "PYTHONPATH": str(ROOT), **extra}


async def declare(http: aiohttp.ClientSession, sb: Sandbox, title: str) -> Any:
    """Declare through the page's API as alice in #incidents; the card once it has View."""
    incidents = sb.emu.channel_by_name("incidents").id
    assert (await post(http, sb, "command", channel=incidents, text="/incident"))["ok"]
    view = (await state(http, sb))["views"][-1]
    values = {"Title": title, "Severity": "P4 · Low (LOW)"}
    assert (await post(http, sb, "submit", view_id=view["id"], values=values))["ok"]
    card = await sb.emu.wait_message(incidents, title, timeout=10)
    return await sb.emu.wait_for(
        lambda: (m := sb.emu.message(incidents, card.ts)) and "View" in m.buttons() and m, 10
    )


def view_url(card: Any) -> str:
    for _place, block in card.all_blocks():
        for el in block.get("elements") or []:
            if el.get("type") == "button" and el.get("text", {}).get("text") == "View":
                return str(el["url"])
    raise AssertionError("the card has no View button")


async def test_view_permalink_opens_the_card_in_the_page(sandbox, http):
    card = await declare(http, sandbox, "Search is slow")
    url = view_url(card)
    async with http.get(f"{sandbox.url}api/permalink", params={"url": url}) as resp:
        where = await resp.json()
    assert where == {"ok": True, "channel": card.channel, "ts": card.ts, "thread_ts": None,
                     "team": sandbox.emu.team_id}
    snap = await state(http, sandbox)
    assert snap["team_domain"] and f"https://{snap['team_domain']}.slack.com/" in url

    # A reply's permalink names its thread; other links are not the page's to open.
    said = {"channel": card.channel, "text": "looking", "thread_ts": card.ts}
    assert (await post(http, sandbox, "command", **said))["ok"]
    reply = sandbox.emu.thread(card.channel, card.ts)[-1]
    client = AsyncWebClient(token=sandbox.emu.bot_token, base_url=sandbox.emu.base_url)
    link = await client.chat_getPermalink(channel=card.channel, message_ts=reply.ts)
    async with http.get(f"{sandbox.url}api/permalink", params={"url": link["permalink"]}) as r:
        assert (await r.json())["thread_ts"] == card.ts
    for bad in ("https://example.com/archives/C1/p1700000000000100", url.replace("/p1", "/p9")):
        async with http.get(f"{sandbox.url}api/permalink", params={"url": bad}) as r:
            assert r.status == 400 and (await r.json())["ok"] is False


async def test_uploaded_timeline_is_listed_where_shared_and_readable(sandbox, http):
    card = await declare(http, sandbox, "Checkout returns 500s")
    said = await post(
        http, sandbox, "command", channel=card.channel, text="/incident timeline INC-1"
    )
    assert said["ok"], said
    shared = await sandbox.emu.wait_for(
        lambda: next((m for m in sandbox.emu.messages(card.channel) if m.files), None), 10
    )
    snap = await state(http, sandbox)
    shown = next(m for m in snap["messages"][card.channel] if m["ts"] == shared.ts)
    [file] = shown["files"]
    assert file["name"] == "INC-1-timeline.md" and file["title"] == "INC-1 timeline"
    async with http.get(f"{sandbox.url}api/files/{file['id']}") as resp:
        assert resp.status == 200 and resp.content_type == "text/plain"
        text = await resp.text()
    assert "INC-1" in text and "Checkout returns 500s" in text
    assert len(text.encode()) == file["size"]
    async with http.get(f"{sandbox.url}api/files/FNOPE") as resp:
        assert resp.status == 404


async def test_unread_markers_appear_and_clear(sandbox, http):
    general = sandbox.emu.channel_by_name("general").id

    def unread(snap: dict, channel: str) -> int:
        return next(c["unread"] for c in snap["channels"] if c["id"] == channel)

    assert unread(await state(http, sandbox), general) == 0
    await post(http, sandbox, "command", user="bob", channel=general, text="deploy going out")
    await post(http, sandbox, "command", user="bob", channel=general, text="done")
    await post(http, sandbox, "command", user="alice", channel=general, text="thanks")
    assert unread(await state(http, sandbox, "alice"), general) == 2  # her own is not unread
    assert unread(await state(http, sandbox, "bob"), general) == 1
    assert (await post(http, sandbox, "seen", channel=general))["ok"]
    assert unread(await state(http, sandbox, "alice"), general) == 0
    assert unread(await state(http, sandbox, "bob"), general) == 1  # per person

    # Beacon's DM counts too: the App Home opens a DM with a welcome or not; a bot post does.
    dm = sandbox.emu.dm_channel("UALICE")
    sandbox.emu.post_message(dm, sandbox.emu.bot_user_id, "You were paged for INC-9")
    assert unread(await state(http, sandbox, "alice"), dm.id) == 1
    bad = await post(http, sandbox, "seen", channel="CNOPE")
    assert bad["ok"] is False


async def test_run_command_without_tokens_starts_the_sandbox_and_prints_the_api_token(tmp_path):
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "app",
        cwd=tmp_path,
        env=clean_env(BEACON_SANDBOX_PORT="0", API_PORT="0"),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        assert proc.stdout is not None
        async with asyncio.timeout(30):
            lines = [(await proc.stdout.readline()).decode() for _ in range(4)]
        said, up, api, curl = lines
        assert said.startswith("beacon: SLACK_BOT_TOKEN and SLACK_APP_TOKEN are not set")
        assert "sandbox" in said and "Connect a workspace" in said
        assert said.count("\n") == 1
        url = up.split("open ", 1)[1].split()[0]
        async with aiohttp.ClientSession() as session, session.get(f"{url}api/state") as resp:
            assert (await resp.json())["me"]["name"] == "alice"
        token = re.search(r"export CI_TOKEN=(\S+)", api)[1]  # type: ignore[index]
        assert f"with token {token}" in api
        assert not list(tmp_path.iterdir())  # the sandbox needs no beacon.yml, makes none

        # The printed curl line, run as printed, declares an incident.
        command = curl.split("try: ", 1)[1].strip()
        out = await asyncio.to_thread(
            subprocess.run, ["bash", "-c", command], capture_output=True, text=True, timeout=30
        )
        assert '"id": "INC-1"' in out.stdout.replace('"id":"INC-1"', '"id": "INC-1"'), out

        # README's curl lines, verbatim, with $CI_TOKEN exported as printed (only the port
        # differs: this test cannot count on 8088 being free).
        readme = (ROOT / "README.md").read_text(encoding="utf-8")
        for line in (x for x in readme.splitlines() if x.startswith("curl ")):
            assert '"$T"' in line or "$CI_TOKEN" in line, line  # as exported at start-up
        assert f"127.0.0.1:{DEFAULT_API_PORT}/api/v1" in readme
        block = readme.split("## Intake API", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
        api_url = re.search(r"(http://127\.0\.0\.1:\d+/api/v1)", api)[1]  # type: ignore[index]
        assert f"API=http://127.0.0.1:{DEFAULT_API_PORT}/api/v1" in block
        script = block.replace(f"127.0.0.1:{DEFAULT_API_PORT}/api/v1", api_url.split("//")[1])
        first = script.split("\n\n")[0:2]  # the T= and API= line, then the declare
        out = await asyncio.to_thread(
            subprocess.run,
            ["bash", "-c", "\n".join(first)],
            capture_output=True,
            text=True,
            timeout=30,
            env={**os.environ, "CI_TOKEN": token},
        )
        assert '"created": true' in out.stdout.replace('"created":true', '"created": true'), out
    finally:
        proc.send_signal(signal.SIGTERM)
        async with asyncio.timeout(20):
            await proc.wait()
    assert proc.returncode == 0


@pytest.mark.parametrize(
    ("flag", "env", "fix"),
    [
        ("--port", "BEACON_SANDBOX_PORT", "pass --port N or set BEACON_SANDBOX_PORT=N"),
        ("--api-port", "API_PORT", "pass --api-port N or set API_PORT=N"),
        ("--metrics-port", "METRICS_PORT", "pass --metrics-port N or set METRICS_PORT=N"),
    ],
)
def test_a_busy_port_is_refused_before_anything_starts(tmp_path, flag, env, fix):
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen(1)
        port = held.getsockname()[1]
        others = {"--port": "0", "--api-port": "0"}
        args = [a for k, v in others.items() if k != flag for a in (k, v)]
        for how in ([flag, str(port)], []):  # the option, then the setting
            extra = {} if how else {env: str(port)}
            done = subprocess.run(
                [sys.executable, "-m", "app", "sandbox", *args, *how],
                cwd=tmp_path,
                env=clean_env(**extra),
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert done.returncode == 2, done
            assert done.stdout == ""  # nothing started, nothing said to be up
            [line] = done.stderr.splitlines()
            assert line.startswith(f"beacon: port {port} (") and "is in use" in line
            assert line.endswith(f"{fix} (0: any free port)") or line.endswith(f"{fix} (0: off)")


def fake_checkout(tmp_path: Path) -> tuple[Path, Path]:
    """A copy of scripts/ beside a stub venv python that logs its arguments."""
    root = tmp_path / "beacon"
    shutil.copytree(ROOT / "scripts", root / "scripts")
    shutil.copy(ROOT / "beacon.example.yml", root)
    shutil.copy(ROOT / "pyproject.toml", root)
    log = tmp_path / "calls.log"
    stub = f'#!/bin/sh\necho "python $*" >> {log}\n'
    for name in ("python",):
        (root / ".venv/bin").mkdir(parents=True, exist_ok=True)
        (root / ".venv/bin" / name).write_text(stub)
        (root / ".venv/bin" / name).chmod(0o755)
    bin_dir = tmp_path / "bin"  # what bootstrap looks for, and apt-get logging its arguments
    bin_dir.mkdir()
    for tool in (
        "bash",
        "sh",
        "sha1sum",
        "cut",
        "id",
        "rm",
        "touch",
        "dirname",
        "grep",
        "cp",
        "printf",
        "chmod",
    ):
        (bin_dir / tool).symlink_to(shutil.which(tool) or tool)
    for name, body in {
        "redis-server": "",
        "python3": "",
        # apt-get "installs" a package as a command of that name on PATH
        "apt-get": f'echo "apt-get $*" >> {log}\nfor p in "$@"; do case "$p" in -*|install|update)'
        f' ;; *) printf "#!/bin/sh\\n" > {bin_dir}/"$p"; chmod +x {bin_dir}/"$p";; esac; done',
        "sudo": '"$@"',
    }.items():
        (bin_dir / name).write_text(f"#!/bin/sh\n{body}\n")
        (bin_dir / name).chmod(0o755)
    return root, log


def run_script(root: Path, tmp_path: Path, *args: str, **env: str) -> str:
    clean = clean_env(**env)
    clean["PATH"] = str(tmp_path / "bin")  # only the stubs and the tools the scripts use
    done = subprocess.run(
        [str(root / "scripts" / args[0]), *args[1:]],
        cwd=root,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done
    return done.stdout


def test_run_sh_makes_no_beacon_yml_for_the_sandbox(tmp_path):
    root, log = fake_checkout(tmp_path)
    said = run_script(root, tmp_path, "run.sh")
    assert not (root / "beacon.yml").exists() and "beacon.yml" not in said
    assert log.read_text().splitlines()[-1] == "python -m app"
    run_script(root, tmp_path, "run.sh", "sandbox", SLACK_BOT_TOKEN="xoxb-1", SLACK_APP_TOKEN="x")
    assert not (root / "beacon.yml").exists()

    # With real tokens (here from .env) the bot needs a config: it is made once, from the example.
    (root / ".env").write_text("SLACK_BOT_TOKEN=xoxb-1\nSLACK_APP_TOKEN=xapp-1\n")
    said = run_script(root, tmp_path, "run.sh")
    assert (root / "beacon.yml").read_text() == (ROOT / "beacon.example.yml").read_text()
    assert "created beacon.yml" in said


def test_bootstrap_profiles_install_what_each_needs_once(tmp_path):
    root, log = fake_checkout(tmp_path)
    run_script(root, tmp_path, "bootstrap.sh", "run")
    calls = log.read_text()
    assert "install -q -e .\n" in calls and "[test]" not in calls
    assert "redis-sentinel" not in calls  # the bot needs no Sentinel, pytest or ruff

    log.write_text("")
    run_script(root, tmp_path, "bootstrap.sh", "run")
    assert log.read_text() == ""  # idempotent

    run_script(root, tmp_path, "bootstrap.sh", "test")
    calls = log.read_text()
    assert "install -y -qq redis-sentinel prometheus-alertmanager" in calls
    assert "-e .[test]" in calls

    log.write_text("")
    run_script(root, tmp_path, "bootstrap.sh", "run")
    run_script(root, tmp_path, "bootstrap.sh", "test")
    assert log.read_text() == ""  # the test profile serves run too
    assert [p.name for p in (root / ".venv").glob(".installed-*")] == [
        next((root / ".venv").glob(".installed-test-*")).name
    ]


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
