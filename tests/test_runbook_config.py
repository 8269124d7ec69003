"""Runbook files and templates are checked at start-up: file, line and fix for each problem."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.config import load_config
from app.settings import StartupError
from tests.conftest import TEST_CONFIG

ROOT = Path(__file__).resolve().parents[1]

BAD = """\
name: Broken
trigger: {on: triggered, severity: [P1]}
steps:
  - create_channel
  - send_mesage: {text: hi}
  - send_message:
      text: "Hello {{incident.nope}}"
  - send_message:
      blocks:
        - type: header
          text: {type: mrkdwn, text: "{{incident.title}}"}
  - wait: {minutes: 0}
"""


def write(tmp_path: Path, extra: str, files: dict[str, str]) -> Path:
    for name, text in files.items():
        target = tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    path = tmp_path / "beacon.yml"
    path.write_text(TEST_CONFIG + extra)
    return path


def test_a_bad_runbook_is_refused_with_file_line_and_fix(tmp_path: Path):
    path = write(tmp_path, "runbooks_dir: runbooks/\n", {"runbooks/bad.yml": BAD})
    with pytest.raises(StartupError) as caught:
        load_config(path)
    lines = str(caught.value).splitlines()
    file = tmp_path / "runbooks" / "bad.yml"
    assert lines[0] == (
        f"{file} line 5: unknown step 'send_mesage': use one of create_channel, send_message, "
        "create_thread, invite_users, set_topic, add_bookmark, post_summary, archive_channel, wait"
    )
    assert lines[1].startswith(f"{file} line 7: unknown placeholder {{{{incident.nope}}}}: use ")
    assert "{{incident.title}}" in lines[1]
    assert lines[2].startswith(f"{file} line 11: Slack would refuse these blocks: must be one of:")
    assert "plain_text" in lines[2]
    assert lines[3].startswith(f"{file} line 12: ") and "greater than 0" in lines[3]


def test_the_example_runbook_loads_and_lists(tmp_path: Path):
    path = write(tmp_path, f"runbooks_dir: {ROOT / 'runbooks'}\n", {})
    config = load_config(path)
    (runbook,) = config.runbooks
    assert runbook.name == "Payments major incident"
    assert runbook.steps[0].type == "create_channel" and runbook.steps[-1].line == 23
    assert runbook.describe() == "on triggered, severity P1, P2, service payments"


def test_no_runbooks_dir_loads_none_and_a_missing_one_is_refused(tmp_path: Path, config):
    assert config.runbooks == ()
    path = write(tmp_path, "runbooks_dir: nowhere/\n", {})
    with pytest.raises(StartupError, match="is not a folder: create it or fix runbooks_dir"):
        load_config(path)


def test_templates_are_checked_against_slack_limits_and_placeholders(tmp_path: Path):
    card = (
        '[\n  {"type": "section", "text": {"type": "mrkdwn", "text": "{{message.text}}"}},\n'
        '  {"type": "header", "text": {"type": "plain_text", "text": "' + "x" * 151 + '"}}\n]\n'
    )
    extra = "templates: {card: card.json, digest: digest.json}\n"
    section = {"type": "section", "text": {"type": "mrkdwn", "text": "{{message.text}}"}}
    digest = json.dumps({"blocks": [section]})
    path = write(tmp_path, extra, {"card.json": card, "digest.json": digest})
    with pytest.raises(StartupError) as caught:
        load_config(path)
    lines = str(caught.value).splitlines()
    assert len(lines) == 2, lines
    assert lines[0].startswith(
        f"{tmp_path / 'card.json'} line 2: unknown placeholder {{{{message.text}}}}"
    )
    assert lines[1].startswith(
        f"{tmp_path / 'card.json'} line 3: Slack would refuse these "
        "blocks: must be less than 151 characters"
    )
