"""beacon.example.yml: its commented sections are valid config once uncommented."""

from __future__ import annotations

import re
from pathlib import Path

from app.config import load_config

ROOT = Path(__file__).resolve().parents[1]
# A commented YAML line: a top-level key, or an indented line of a commented block. Prose
# comments start with a capital, a backtick or a single space before a word that is no key.
CODE = re.compile(r"^# ( {2,}\S.*|[a-z_]+:( .*)?)$")
# Keys that name files next to the config, which a copy in a temporary folder does not have.
NEEDS_FILES = ("runbooks_dir:", "templates:")


def uncommented(text: str) -> str:
    out = []
    for line in text.splitlines():
        if CODE.match(line) and not line[2:].startswith(NEEDS_FILES):
            line = line[2:]
        out.append(line)
    return "\n".join(out) + "\n"


def test_example_with_its_commented_sections_switched_on_loads(tmp_path: Path):
    text = uncommented((ROOT / "beacon.example.yml").read_text())
    path = tmp_path / "beacon.yml"
    path.write_text(text)
    config = load_config(path)
    assert [r.name for r in config.roles] == ["commander", "communications", "scribe"]
    assert config.role_nudge_for == {"P1", "P2"}
    assert config.incident_channels.auto_for == {"P1"}
    assert (config.digest.time, config.digest.timezone) == ("09:00", "Europe/London")
    assert config.schedules["primary"].layers[0].users == ("alice@example.com", "bob@example.com")
    assert len(config.escalation_policies["standard"].levels) == 2
    assert config.default_escalation_policy == "standard"
    assert config.investigations.updates_channel == "#ai-investigations"
    assert config.approvals.channel == "#approvals"
    assert config.alertmanager.on_resolved == "resolve"
    # every commented key was switched on: nothing but prose is left commented
    left = [line for line in text.splitlines() if CODE.match(line)]
    assert left == [
        line for line in text.splitlines() if line.startswith(("# runbooks_dir", "# templates"))
    ]
