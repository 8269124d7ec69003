"""Start-up failures: one clear line on stderr, exit code 2, no traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.config import load_config
from app.settings import StartupError
from tests.redis_proc import free_port

ROOT = Path(__file__).resolve().parents[1]
GOOD = {"SLACK_BOT_TOKEN": "xoxb-1-2-abc", "SLACK_APP_TOKEN": "xapp-1-A1-2-abc"}


def run_app(env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess:
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "BEACON_", "REDIS_"))
    }
    clean.update(env)
    return subprocess.run(
        [sys.executable, "-m", "app"],
        cwd=tmp_path,
        env={**clean, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
    )


def one_line(proc: subprocess.CompletedProcess) -> str:
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


@pytest.mark.parametrize(
    ("env", "expect"),
    [
        # No tokens at all starts the sandbox (tests/e2e/test_sandbox.py); one of two stops.
        ({"SLACK_APP_TOKEN": "xapp-1-A1-2-abc"}, "SLACK_BOT_TOKEN is not set"),
        ({"SLACK_BOT_TOKEN": "xoxb-1-2-abc"}, "SLACK_APP_TOKEN is not set"),
        (
            {"SLACK_BOT_TOKEN": "xoxp-user-token", "SLACK_APP_TOKEN": "xapp-1"},
            "SLACK_BOT_TOKEN looks wrong",
        ),
        ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xoxb-1"}, "SLACK_APP_TOKEN looks wrong"),
        ({**GOOD, "BEACON_MODE": "http"}, "SLACK_SIGNING_SECRET is not set"),
        ({**GOOD, "LOG_LEVEL": "loud"}, "LOG_LEVEL is invalid"),
        (
            {**GOOD, "API_HEADER_TIMEOUT_S": "0"},
            "API_HEADER_TIMEOUT_S is invalid: Input should be greater than 0.",
        ),
        ({**GOOD, "API_MAX_CONNECTIONS": "lots"}, "API_MAX_CONNECTIONS is invalid"),
    ],
)
def test_bad_or_missing_tokens(env, expect, tmp_path):
    line = one_line(run_app(env, tmp_path))
    assert expect in line
    if "TOKEN" in expect:
        assert "api.slack.com/apps" in line  # says how to get it


def test_missing_config_file(tmp_path):
    line = one_line(run_app(GOOD, tmp_path))
    assert "config file beacon.yml not found" in line


def test_redis_down_at_startup(tmp_path, config_path):
    port = free_port()  # nothing listens there
    env = {**GOOD, "BEACON_CONFIG": str(config_path), "REDIS_URL": f"redis://127.0.0.1:{port}/0"}
    line = one_line(run_app(env, tmp_path))
    assert f"Redis at redis://127.0.0.1:{port}/0 is unreachable" in line


def test_bad_config_lists_every_problem_with_path_and_fix(tmp_path):
    path = tmp_path / "bad.yml"
    path.write_text(
        "default_channel: '#x'\nseverities:\n  P9: {label: Weird}\n"
        "channels:\n  '#x': {min_severity: P7}\nservicez: {}\n"
    )
    with pytest.raises(StartupError) as err:
        load_config(path)
    lines = str(err.value).splitlines()
    assert any("severities: unknown severity P9" in line for line in lines)
    assert any("channels.#x.min_severity" in line and "P1, P2, P3, P4" in line for line in lines)
    assert any("servicez: unknown key" in line for line in lines)
    assert all(line.startswith(str(path)) for line in lines)


def test_urgency_paging_defaults_overrides_and_bad_values(tmp_path):
    path = tmp_path / "paging.yml"
    path.write_text("default_channel: '#x'\n")
    config = load_config(path)  # PagerDuty's convention: LOW pages nobody
    assert [config.paging(s).value for s in ("P1", "P2", "P3", "P4")] == [
        "escalate", "escalate", "escalate", "notify"]
    path.write_text("default_channel: '#x'\nurgency_paging: {LOW: page, MEDIUM: notify}\n")
    config = load_config(path)
    assert [config.paging(s).value for s in ("P1", "P3", "P4")] == ["escalate", "notify", "page"]
    path.write_text("default_channel: '#x'\nurgency_paging: {LOW: pagee, URGENT: page}\n")
    with pytest.raises(StartupError) as err:
        load_config(path)
    lines = str(err.value).splitlines()
    assert lines == [
        f"{path}: urgency_paging: LOW: 'pagee' is not a paging mode: use escalate (page, then "
        "escalate), page (the first levels once) or notify (the card only, nobody paged)",
        f"{path}: urgency_paging: unknown urgency 'URGENT': use HIGH, MEDIUM or LOW",
    ]


def test_config_yaml_syntax_error_names_the_line(tmp_path):
    path = tmp_path / "broken.yml"
    path.write_text("default_channel: '#x'\nservices: [\n")
    with pytest.raises(StartupError, match=r"broken.yml line \d+: not valid YAML"):
        load_config(path)


def test_config_needs_somewhere_to_post(tmp_path):
    path = tmp_path / "empty.yml"
    path.write_text("services: {}\n")
    with pytest.raises(StartupError, match="no default_channel"):
        load_config(path)


def test_example_config_is_valid():
    config = load_config(ROOT / "beacon.example.yml")
    assert config.severity("P1").sla_ack_minutes == 5
    assert config.severity("P1").channel == "#incidents-critical"
