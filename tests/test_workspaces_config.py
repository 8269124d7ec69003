"""beacon.yml's `workspaces:` section and the multi-workspace settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.config import load_config
from app.settings import Mode, Settings, StartupError
from tests.conftest import TEST_CONFIG


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "beacon.yml"
    path.write_text(TEST_CONFIG + text)
    return path


def test_a_workspace_section_overrides_the_top_level_for_that_workspace(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, (
        "workspaces:\n"
        "  T0B:\n"
        '    default_channel: "#b-incidents"\n'
        "  Team C:\n"
        "    services: {billing: {name: Billing}}\n"
    )))
    b = config.for_workspace("T0B")
    assert b.default_channel == "#b-incidents"
    assert b.services == config.services  # left out: the top level's
    c = config.for_workspace("T0C", "team c")  # by name, any case
    assert list(c.services) == ["billing"] and c.default_channel == "#incidents"
    assert config.for_workspace("T0UNKNOWN", "Other") is config  # unknown: top-level defaults


def test_a_bad_workspace_section_stops_start_up_with_its_path(tmp_path: Path) -> None:
    with pytest.raises(StartupError) as info:
        load_config(write(tmp_path, "workspaces:\n  T0B:\n    default_chanel: '#x'\n"))
    assert "workspaces.T0B.default_chanel: unknown key" in str(info.value)
    with pytest.raises(StartupError, match=r"workspaces\.T0B: Input should be a valid dict"):
        load_config(write(tmp_path, "workspaces:\n  T0B: 3\n"))


def test_multi_workspace_mode_is_chosen_by_the_credentials() -> None:
    multi = Settings(slack_client_id="1.2", slack_client_secret="s",
                     slack_app_token="xapp-1-a")
    assert multi.multi_workspace
    multi.check_tokens()  # no bot token needed
    assert multi.redirect_uri == "http://127.0.0.1:3000/slack/oauth_redirect"
    assert multi.authorize_url == "https://slack.com/oauth/v2/authorize"
    single = Settings(slack_client_id="1.2", slack_client_secret="s",
                      slack_bot_token="xoxb-1", slack_app_token="xapp-1-a")
    assert not single.multi_workspace  # a bot token: one workspace, exactly as before
    http = Settings(slack_client_id="1.2", slack_client_secret="s", beacon_mode=Mode.HTTP)
    with pytest.raises(StartupError, match="runs over Socket Mode"):
        http.check_tokens()


def test_api_tokens_name_their_workspace() -> None:
    from app.intake.server import ApiToken, check_api_settings, parse_tokens

    assert parse_tokens("ci:s1@T0123, bare@T0456, plain, x:y@z") == [
        ApiToken("ci", "s1", "T0123"),
        ApiToken(None, "bare", "T0456"),
        ApiToken(None, "plain", None),
        ApiToken("x", "y@z", None),  # not a team id: part of the secret
    ]
    multi = Settings(slack_client_id="1.2", slack_client_secret="s", slack_app_token="xapp-1",
                     api_port=8080, beacon_api_token="ci:s1@T0123,cron:s2")
    with pytest.raises(StartupError, match="cron names no workspace"):
        check_api_settings(multi)


def test_the_install_pages_ask_for_the_manifests_scopes_and_redirect() -> None:
    from app.install.server import BOT_SCOPES
    from app.ops.doctor import MANIFEST, manifest_scopes

    assert list(BOT_SCOPES) == manifest_scopes()
    import yaml

    manifest = yaml.safe_load(MANIFEST.read_text())
    assert manifest["oauth_config"]["redirect_urls"] == [Settings().redirect_uri]
    assert {"app_uninstalled", "tokens_revoked"} <= set(
        manifest["settings"]["event_subscriptions"]["bot_events"]
    )


def test_half_the_oauth_credentials_stop_start_up_with_the_missing_one() -> None:
    with pytest.raises(StartupError, match="SLACK_CLIENT_SECRET is not set"):
        Settings(slack_client_id="1.2", slack_app_token="xapp-1-a").check_tokens()
    with pytest.raises(StartupError, match="SLACK_APP_TOKEN is not set"):
        Settings(slack_client_id="1.2", slack_client_secret="s").check_tokens()
