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
    assert (am.incident_per, am.max_alerts) == ("group", 100)
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
        ("alertmanager: {incident_per: fingerprint}", "alertmanager.incident_per"),
        ("alertmanager: {max_alerts: 0}", "alertmanager.max_alerts"),
        ("alertmanager: {max_alerts: 5000}", "alertmanager.max_alerts"),
        ("alertmanager: {max_alerts: lots}", "alertmanager.max_alerts"),
        ("alertmanager: {max_alerts: true}", "alertmanager.max_alerts"),
    ],
)
def test_bad_values_stop_start_up_naming_the_path(tmp_path: Path, section: str, words: str):
    path = tmp_path / "beacon.yml"
    path.write_text(TEST_CONFIG + section + "\n")
    with pytest.raises(StartupError) as err:
        load_config(path)
    assert words in str(err.value) and "\n" not in str(err.value).strip()
