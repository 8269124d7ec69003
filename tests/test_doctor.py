"""`python -m app doctor` and `config check`: each problem set up for real, and its line."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from redis.asyncio import Redis

from app.ops.doctor import Check, check_people, diagnose, manifest_scopes
from app.settings import Settings
from slack_emulator import SlackEmulator
from tests.redis_proc import RedisProcess, free_port

ROOT = Path(__file__).resolve().parents[1]
CHANNELS = ("incidents", "incidents-critical", "payments-oncall")


@pytest.fixture(scope="module")
def durable_redis() -> Iterator[RedisProcess]:
    """A Redis set up as recommended: AOF on, noeviction (the default policy)."""
    server = RedisProcess(appendonly=True).start()
    yield server
    server.stop()


@pytest.fixture
async def emu() -> AsyncIterator[SlackEmulator]:
    emulator = SlackEmulator(scopes=manifest_scopes())
    await emulator.start()
    members = [
        emulator.add_user("UALICE", "alice", "Alice Example", "alice@example.com"),
        emulator.add_user("UBOB", "bob", "Bob Example", "bob@example.com"),
    ]
    for name in CHANNELS:
        emulator.add_channel(name, members=members)
    yield emulator
    await emulator.stop()


def settings_for(emu: SlackEmulator, redis_url: str | None, config_path: Path, **kw) -> Settings:
    values = {
        "slack_bot_token": emu.bot_token,
        "slack_app_token": emu.app_token,
        "slack_api_url": emu.base_url,
        "redis_url": redis_url,
        "beacon_config": config_path,
        **kw,
    }
    return Settings(**values)


def lines(checks: list[Check]) -> list[str]:
    return [c.line() for c in checks]


def failures(checks: list[Check]) -> list[str]:
    return [c.line() for c in checks if c.ok is False]


async def test_a_healthy_install_passes_every_check(emu, durable_redis, config_path):
    checks = await diagnose(settings_for(emu, durable_redis.url, config_path), send_to="#incidents")
    assert failures(checks) == []
    text = "\n".join(lines(checks))
    for expected in (
        "✓ bot token is valid: @beacon",
        "✓ bot scopes cover manifest.yml",
        "✓ Socket Mode connection opens (hello received)",
        "✓ channel #payments-oncall exists (public) and Beacon is a member",
        "✓ user emails visible (2 of 2 people)",
        "✓ Redis persistence: appendonly yes",
        "✓ Redis maxmemory-policy noeviction",
        "✓ posted a test card to #incidents",
    ):
        assert expected in text, text
    assert "Redis memory" in text and "in a year" in text, text
    posted = emu.messages(emu.channel_by_name("incidents").id)
    assert "Beacon doctor: test message" in posted[-1].all_text()
    # the real card of a sample incident marked TEST, with no buttons that could act
    test_card = posted[-1]
    assert "*INC-TEST*" in test_card.all_text() and "*TEST* card" in test_card.all_text()
    assert test_card.attachments and test_card.buttons() == []
    assert not [c for c in emu.calls if c.method == "chat.delete"]  # deletes nothing


async def test_missing_scope_is_named_with_the_fix(emu, durable_redis, config_path):
    emu.scopes.remove("users:read.email")
    bad = failures(await diagnose(settings_for(emu, durable_redis.url, config_path)))
    assert any(
        line.startswith("✗ bot token lacks scopes: users:read.email — fix: add them at")
        and "reinstall the app" in line
        for line in bad
    ), bad
    assert any("✗ user emails are not visible" in line for line in bad), bad


async def test_channel_the_bot_is_not_in(emu, durable_redis, config_path):
    payments = emu.channel_by_name("payments-oncall")
    payments.members.discard(emu.bot_user_id)
    payments.is_private = True  # private and without Beacon: invisible to it, as in Slack
    critical = emu.channel_by_name("incidents-critical")
    critical.members.discard(emu.bot_user_id)
    bad = failures(await diagnose(settings_for(emu, durable_redis.url, config_path)))
    assert (
        "✗ Beacon is not in #incidents-critical — fix: type /invite @Beacon in #incidents-critical"
        in bad
    )
    assert (
        "✗ channel #payments-oncall not found — fix: create it, or if it is private, "
        "type /invite @Beacon in #payments-oncall" in bad
    )


async def test_redis_without_persistence_or_with_eviction(emu, redis_server, config_path):
    # The tests' shared redis-server runs appendonly no; set an evicting policy on it briefly.
    client = Redis.from_url(redis_server.url, decode_responses=True)
    await client.config_set("maxmemory-policy", "allkeys-lru")
    try:
        bad = failures(await diagnose(settings_for(emu, redis_server.url, config_path)))
    finally:
        await client.config_set("maxmemory-policy", "noeviction")
        await client.aclose()
    assert any(line.startswith("✗ Redis persistence is off (appendonly no)") for line in bad), bad
    assert any("✗ Redis maxmemory-policy is allkeys-lru" in line for line in bad), bad


async def test_unreachable_redis(emu, config_path):
    url = f"redis://127.0.0.1:{free_port()}/0"
    bad = failures(await diagnose(settings_for(emu, url, config_path)))
    assert any(f"✗ Redis at {url} is unreachable" in line for line in bad), bad


@pytest.mark.parametrize(
    ("tokens", "expected"),
    [
        (
            {"slack_bot_token": "xoxb-revoked-token"},
            "✗ Slack rejected SLACK_BOT_TOKEN (invalid_auth)",
        ),
        ({"slack_bot_token": "xoxp-user-token"}, "✗ SLACK_BOT_TOKEN looks wrong (starts 'xoxp-…'"),
        ({"slack_app_token": ""}, "✗ SLACK_APP_TOKEN is not set — fix: at https://api.slack.com"),
        (
            {"slack_app_token": "xapp-1-revoked"},
            "✗ Socket Mode: apps.connections.open failed (invalid_auth)",
        ),
    ],
)
async def test_bad_tokens(emu, durable_redis, config_path, tokens, expected):
    settings = settings_for(emu, durable_redis.url, config_path, **tokens)
    bad = failures(await diagnose(settings))
    assert any(line.startswith(expected) for line in bad), bad


async def test_socket_mode_refused_when_too_many_connections(emu, durable_redis, config_path):
    emu.max_connections = 0
    bad = failures(await diagnose(settings_for(emu, durable_redis.url, config_path)))
    assert any("✗ Socket Mode: Slack answered 'too_many_websockets'" in line for line in bad), bad


async def test_people_named_in_the_config_must_resolve(emu, durable_redis, tmp_path):
    # Raw YAML is read, so this works for any section that names people (schedules, approvers).
    path = tmp_path / "people.yml"
    path.write_text(
        "schedules:\n  primary:\n    layers:\n      - users: ['@alice', bob@example.com, '@zed']\n"
        "approvals:\n  approvers: [UBOB]\n"
    )
    from slack_sdk.web.async_client import AsyncWebClient

    client = AsyncWebClient(token=emu.bot_token, base_url=emu.base_url)
    bad = failures(await check_people(client, path))
    assert bad == [
        "✗ people in the config Slack does not know: @zed (schedules.primary.layers.0.users) — "
        "fix: use their Slack handle (@name), email or user id, and make sure they are in the "
        "workspace"
    ]


async def test_bad_config_file(emu, durable_redis, tmp_path):
    path = tmp_path / "bad.yml"
    path.write_text("default_channel: '#incidents'\nservicez: {}\n")
    bad = failures(await diagnose(settings_for(emu, durable_redis.url, path)))
    assert bad[0].startswith("✗ config file: ") and "servicez: unknown key" in bad[0], bad


async def run_cli(*args: str, env: dict[str, str]) -> tuple[int, str, str]:
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "BEACON_", "REDIS_"))
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "app",
        *args,
        env={**clean, **env, "PYTHONPATH": str(ROOT)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    return proc.returncode or 0, out.decode(), err.decode()


async def test_doctor_command_exit_status_gates_a_deploy(emu, durable_redis, config_path):
    env = {
        "SLACK_BOT_TOKEN": emu.bot_token,
        "SLACK_APP_TOKEN": emu.app_token,
        "SLACK_API_URL": emu.base_url,
        "REDIS_URL": durable_redis.url,
        "BEACON_CONFIG": str(config_path),
    }
    code, out, _ = await run_cli("doctor", "--send-test-message", "#random", env=env)
    assert code == 1
    assert "✗ test message: channel #random not found" in out
    assert out.rstrip().endswith("1 problem(s) found.")
    code, out, err = await run_cli("doctor", env=env)
    assert (code, out.rstrip().splitlines()[-1]) == (0, "All checks passed."), out + err


async def test_config_check_prints_the_routing_table(config_path):
    code, out, err = await run_cli("config", "check", env={"BEACON_CONFIG": str(config_path)})
    assert code == 0, err
    rows = [line.split() for line in out.splitlines()]
    assert out.splitlines()[0] == f"✓ config file {config_path} is valid"
    # payments P4 is below #payments-oncall's min_severity P3: it falls through to the default.
    assert ["payments", "P1", "#payments-oncall", "service", "payments"] == rows[2][:5]
    assert ["payments", "P4", "#incidents", "default", "channel"] == rows[5][:5]
    assert ["(no", "service)", "P1", "#incidents-critical", "severity", "P1", "-", "all"] in rows
    assert any(r[:2] == ["checkout", "P2"] and r[2] == "#incidents" for r in rows)


async def test_config_check_with_a_bad_file(tmp_path):
    path = tmp_path / "bad.yml"
    path.write_text("default_channel: '#x'\nchannels:\n  '#x': {min_severity: P7}\n")
    code, _out, err = await run_cli("config", "check", env={"BEACON_CONFIG": str(path)})
    assert code == 2
    assert f"beacon: {path}: channels.#x.min_severity: use one of P1, P2, P3, P4" in err


def test_memory_projection_per_incident_and_a_year():
    from app.ops.doctor import memory_check
    from app.store.connect import MemoryFacts

    facts = MemoryFacts(used_bytes=20_000_000, incidents=10_000, archived=0, declared_per_day=200)
    unbounded = memory_check(facts, None)
    assert unbounded.ok is None and "≈ 2.0 KB each" in unbounded.line()
    assert "≈ 166 MB in a year" in unbounded.line() and "no retention" in unbounded.line()
    bounded = memory_check(facts, 30)
    assert bounded.ok and "retention keeps 30 days" in bounded.line()
    assert "≈ 72 MB in a year" in bounded.line()
