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


def test_api_tokens_per_workspace_in_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.config.workspaces import WorkspaceToken
    from app.intake.server import ApiToken, api_tokens, check_api_settings

    monkeypatch.setenv("B_CI_TOKEN", "from-the-environment-42")
    config = load_config(write(tmp_path, (
        "workspaces:\n"
        "  T0B:\n"
        "    default_channel: '#b'\n"
        "    api_tokens: {ci: '${B_CI_TOKEN}', cron: cron-secret-0123456789}\n"
    )))
    assert config.api_tokens == (
        WorkspaceToken("T0B", "ci", "from-the-environment-42"),
        WorkspaceToken("T0B", "cron", "cron-secret-0123456789"),
    )
    assert "api_tokens" not in config.for_workspace("T0B").workspaces  # not a Beacon setting
    multi = Settings(slack_client_id="1.2", slack_client_secret="s", slack_app_token="xapp-1",
                     api_port=8080, beacon_api_token="ops:s1@T0A")
    assert api_tokens(multi, config) == [
        ApiToken("ops", "s1", "T0A"),
        ApiToken("ci", "from-the-environment-42", "T0B"),
        ApiToken("cron", "cron-secret-0123456789", "T0B"),
    ]
    check_api_settings(multi, config)
    # The file's tokens alone open the API.
    check_api_settings(multi.model_copy(update={"beacon_api_token": ""}), config)
    # The same secret twice would make a token's workspace a guess.
    twice = multi.model_copy(update={"beacon_api_token": "ops:cron-secret-0123456789@T0A"})
    with pytest.raises(StartupError, match="ops@T0A and cron@T0B have the same secret"):
        check_api_settings(twice, config)
    # One workspace (SLACK_BOT_TOKEN): per-workspace tokens have no place; said so.
    single = Settings(slack_bot_token="xoxb-1", slack_app_token="xapp-1", api_port=8080,
                      beacon_api_token="ops:s1", beacon_config=tmp_path / "beacon.yml")
    with pytest.raises(StartupError, match=r"T0B\.api_tokens: per-workspace API tokens"):
        check_api_settings(single, config)


@pytest.mark.parametrize(("section", "problem"), [
    ("  Team B:\n    api_tokens: {ci: abcdefghijklmnopq}\n",
     "workspaces.Team B.api_tokens: an API token needs its workspace's team id"),
    ("  T0B:\n    api_tokens: [abc]\n",
     "workspaces.T0B.api_tokens: must be a mapping of token names to secrets"),
    ("  T0B:\n    api_tokens: {ci: short}\n",
     "workspaces.T0B.api_tokens.ci: a secret is at least 16 characters"),
    ("  T0B:\n    api_tokens: {ci: 12345}\n",
     "workspaces.T0B.api_tokens.ci: the secret must be a string"),
    ("  T0B:\n    api_tokens: {'c i': abcdefghijklmnopq}\n",
     "workspaces.T0B.api_tokens.c i: a token name is letters"),
    ("  T0B:\n    api_tokens: {ci: '${BEACON_UNSET_FOR_TEST}'}\n",
     "workspaces.T0B.api_tokens.ci: the environment variable BEACON_UNSET_FOR_TEST is not set"),
])
def test_a_bad_api_tokens_map_stops_start_up_with_one_line(
    tmp_path: Path, section: str, problem: str
) -> None:
    with pytest.raises(StartupError) as info:
        load_config(write(tmp_path, "workspaces:\n" + section))
    lines = str(info.value).splitlines()
    assert len(lines) == 1 and problem in lines[0], lines
    assert lines[0].startswith(str(tmp_path / "beacon.yml"))


def test_api_tokens_at_the_top_level_are_refused_with_where_they_go(tmp_path: Path) -> None:
    with pytest.raises(StartupError, match=r"put them under workspaces\.<team id>\.api_tokens"):
        load_config(write(tmp_path, "api_tokens: {ci: abcdefghijklmnopq}\n"))
