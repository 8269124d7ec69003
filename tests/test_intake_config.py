"""The `alertmanager:` config section: defaults, label mapping, and a bad value stops start-up."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.config import load_config
from app.settings import StartupError
from tests.conftest import TEST_CONFIG


def test_defaults_and_mapping(config):
    am = config.alertmanager
    assert am.on_resolved == "resolve"
    assert am.severity_for({"severity": "Critical"}) == "P1"
    assert am.severity_for({"severity": "p2"}) == "P2"  # P1..P4 pass as is
    assert am.severity_for({"severity": "page-someone"}) == "P3"
    assert am.severity_for({}) == "P3"


@pytest.mark.parametrize(
    ("section", "words"),
    [
        ("alertmanager: {severity_map: {critical: P7}}", "alertmanager.severity_map"),
        ("alertmanager: {on_resolved: delete}", "alertmanager.on_resolved"),
        ("alertmanager: {default_severity: high}", "alertmanager.default_severity"),
        ("alertmanager: {severity_lable: sev}", "alertmanager.severity_lable"),
    ],
)
def test_bad_values_stop_start_up_naming_the_path(tmp_path: Path, section: str, words: str):
    path = tmp_path / "beacon.yml"
    path.write_text(TEST_CONFIG + section + "\n")
    with pytest.raises(StartupError) as err:
        load_config(path)
    assert words in str(err.value)
