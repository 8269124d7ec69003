"""Process settings from the environment and an optional `.env` file."""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SLACK_API_DEFAULT = "https://slack.com/api/"
APPS_PAGE = "https://api.slack.com/apps"


class StartupError(Exception):
    """A problem that stops start-up; its message is the one line the operator sees."""


class Mode(StrEnum):
    SOCKET = "socket"
    HTTP = "http"


_HOW_TO = {
    "slack_bot_token": (
        "SLACK_BOT_TOKEN",
        "xoxb-",
        f"create the app from manifest.yml at {APPS_PAGE}, install it, and copy the "
        "Bot User OAuth Token from 'OAuth & Permissions'",
    ),
    "slack_app_token": (
        "SLACK_APP_TOKEN",
        "xapp-",
        f"at {APPS_PAGE} > your app > 'Basic Information' > 'App-Level Tokens', generate a "
        "token with the connections:write scope",
    ),
}


class Settings(BaseSettings):
    """Everything an operator sets; read once at start-up."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", case_sensitive=False)

    slack_bot_token: str = ""
    slack_app_token: str = ""
    slack_signing_secret: str = ""
    slack_api_url: str = SLACK_API_DEFAULT
    # Multi-workspace mode: client id and secret (and SLACK_APP_TOKEN) set, no SLACK_BOT_TOKEN.
    # Admins add a workspace at http://INSTALL_HOST:INSTALL_PORT/slack/install; each
    # installation is kept in Redis (tokens encrypted when BEACON_SECRET_KEY is set).
    slack_client_id: str = ""
    slack_client_secret: str = ""
    # Where the admin's browser reaches /slack/oauth_redirect, when not INSTALL_HOST:PORT.
    slack_redirect_uri: str = ""
    install_port: int = Field(default=3000, ge=1, le=65535)
    install_host: str = "127.0.0.1"
    beacon_secret_key: str = ""
    redis_url: str | None = None
    redis_prefix: str = "beacon"
    # Sentinel instead of REDIS_URL: "host:port,host:port"; Beacon follows failovers.
    redis_sentinels: str | None = None
    redis_sentinel_master: str = "mymaster"
    redis_password: str | None = None
    redis_sentinel_password: str | None = None
    redis_db: int = Field(default=0, ge=0)
    beacon_mode: Mode = Mode.SOCKET
    beacon_config: Path = Path("beacon.yml")
    beacon_data_dir: Path = Path("data")
    beacon_instance_id: str = ""
    http_port: int = Field(default=3000, alias="PORT")
    log_level: str = "INFO"
    log_format: Literal["text", "json"] = "text"  # json: one object per line
    # /healthz and /metrics; 0 = off. Loopback by default: set 0.0.0.0 to let Prometheus in.
    metrics_port: int = Field(default=0, ge=0, le=65535)
    metrics_host: str = "127.0.0.1"
    # The sandbox's web page (python -m app sandbox, or no Slack tokens); 0 = any free port.
    beacon_sandbox_port: int = Field(default=8765, ge=0, le=65535)
    # Intake HTTP API (app/intake); 0 = off. Needs BEACON_API_TOKEN: 'secret' or 'name:secret',
    # comma-separated (the name attributes actions as api:<name>).
    api_port: int = Field(default=0, ge=0, le=65535)
    api_host: str = "127.0.0.1"
    beacon_api_token: str = ""
    # A slow or silent client is cut off: a request's head must arrive within this many seconds
    # of the connection opening (or of the previous response), its body within the next.
    api_header_timeout_s: float = Field(default=5.0, gt=0, le=3600)
    api_body_timeout_s: float = Field(default=10.0, gt=0, le=3600)
    # Connections open at once; more are answered 503 and closed.
    api_max_connections: int = Field(default=500, ge=1, le=100_000)
    # Signs approval callbacks (X-Beacon-Signature: sha256=HMAC of the body); needed for
    # callback_url.
    beacon_callback_secret: str = ""
    # Posts per second per channel across all instances (Slack allows about 1); 0 = no pacing.
    beacon_posts_per_second: int = Field(default=1, ge=0)
    # Storm rollup: more new incidents than this for one channel within the window (or waiting
    # for it) and they are listed on one rollup message instead of a card each; 0 = never.
    # Each new incident costs a channel about two posts (card, paged reply), and Slack takes
    # about one a second: 5 in 10 s is what a channel can show as cards without falling behind.
    beacon_storm_threshold: int = Field(default=5, ge=0)
    beacon_storm_window_s: float = Field(default=10.0, gt=0)
    # A storm ends after this long without a new incident for the channel.
    beacon_storm_settle_s: float = Field(default=60.0, gt=0)
    # A notifier event unacknowledged this long is taken over from a dead instance.
    beacon_reclaim_idle_ms: int = Field(default=30_000, ge=100)
    # /healthz says "degraded" (still HTTP 200) when the notifier is this many events behind,
    # or its oldest unread or unacknowledged event is this old: Slack is not being updated.
    beacon_health_max_lag: int = Field(default=1000, ge=0)
    beacon_health_max_age_s: float = Field(default=120.0, gt=0)
    # Unacknowledged outbox events past which one ERROR is logged (nothing is ever dropped).
    beacon_outbox_max_backlog: int = Field(default=100_000, ge=1)
    # Acknowledged outbox events left in the stream for debugging (the newest ones).
    beacon_outbox_keep_acknowledged: int = Field(default=1000, ge=0)

    @field_validator("slack_api_url")
    @classmethod
    def _trailing_slash(cls, value: str) -> str:
        return value if value.endswith("/") else value + "/"

    @field_validator("log_format", mode="before")
    @classmethod
    def _format(cls, value: str) -> str:
        return value.lower() if isinstance(value, str) else value

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        upper = value.upper()
        if upper not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return upper

    @property
    def multi_workspace(self) -> bool:
        """OAuth credentials and no bot token: Beacon serves every workspace installed."""
        return bool(
            self.slack_client_id.strip() and self.slack_client_secret.strip()
            and not self.slack_bot_token.strip()
        )

    @property
    def redirect_uri(self) -> str:
        return self.slack_redirect_uri or (
            f"http://{self.install_host}:{self.install_port}/slack/oauth_redirect"
        )

    @property
    def authorize_url(self) -> str:
        """Slack's OAuth page, next to SLACK_API_URL (the emulator's in tests)."""
        return self.slack_api_url.removesuffix("api/") + "oauth/v2/authorize"

    def check_tokens(self) -> None:
        """Raise StartupError naming the first missing or malformed token and how to get it."""
        client_id, secret = self.slack_client_id.strip(), self.slack_client_secret.strip()
        if not self.slack_bot_token.strip() and bool(client_id) != bool(secret):
            missing = "SLACK_CLIENT_SECRET" if client_id else "SLACK_CLIENT_ID"
            raise StartupError(
                f"{missing} is not set: serving several workspaces needs both SLACK_CLIENT_ID "
                f"and SLACK_CLIENT_SECRET ({APPS_PAGE} > your app > 'Basic Information' > 'App "
                "Credentials'); for one workspace set SLACK_BOT_TOKEN instead."
            )
        fields = [] if self.multi_workspace else ["slack_bot_token"]
        if self.multi_workspace and self.beacon_mode is not Mode.SOCKET:
            raise StartupError(
                "SLACK_CLIENT_ID without SLACK_BOT_TOKEN starts multi-workspace mode, which runs "
                "over Socket Mode: unset BEACON_MODE (or set it to socket)."
            )
        if self.beacon_mode is Mode.SOCKET:
            fields.append("slack_app_token")
        for field in fields:
            var, prefix, how = _HOW_TO[field]
            value = getattr(self, field).strip()
            if not value:
                raise StartupError(f"{var} is not set: {how}.")
            if not value.startswith(prefix) or not re.fullmatch(r"[A-Za-z0-9-]+", value):
                shown = value[:5] + "…"
                raise StartupError(
                    f"{var} looks wrong (starts '{shown}', expected '{prefix}…'): {how}."
                )
        if self.beacon_mode is Mode.HTTP and not self.slack_signing_secret.strip():
            raise StartupError(
                "SLACK_SIGNING_SECRET is not set (needed for BEACON_MODE=http): copy the "
                f"Signing Secret from {APPS_PAGE} > your app > 'Basic Information'."
            )


def load_settings() -> Settings:
    """Read settings, turning pydantic's report into one line per bad variable."""
    try:
        return Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        var = str(first["loc"][0]).upper() if first["loc"] else "settings"
        raise StartupError(f"{var} is invalid: {first['msg']}.") from None
