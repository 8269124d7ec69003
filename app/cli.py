"""Subcommands of `python -m app`: sandbox, doctor, config check.

`python -m app` with no subcommand runs the bot (app.main); with no Slack tokens at all it runs
the sandbox instead and says so. app.main hands in the bot the sandbox runs: this module cannot
import app.main (app.main imports it), and the sandbox package imports nothing of either.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from app.settings import StartupError

if TYPE_CHECKING:
    from sandbox.world import BotFactory

NO_TOKENS = (
    "beacon: SLACK_BOT_TOKEN and SLACK_APP_TOKEN are not set, so Beacon starts the sandbox (an "
    "emulated Slack workspace in your browser); to connect a real workspace, set both tokens "
    "(README, 'Connect a workspace')."
)


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port (0-65535)")
    return port


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m app", description="Beacon")
    sub = parser.add_subparsers(dest="command", required=True)
    sandbox = sub.add_parser("sandbox", help="try Beacon in a browser, with no Slack workspace")
    sandbox.add_argument(
        "--port",
        type=_port,
        default=None,
        help="web page port (default: BEACON_SANDBOX_PORT, 8765)",
    )
    sandbox.add_argument(
        "--api-port",
        type=_port,
        default=None,
        help="intake API port (default: API_PORT, else 8088 as in README; 0: any free port)",
    )
    sandbox.add_argument(
        "--metrics-port",
        type=_port,
        default=None,
        help="/healthz and /metrics port (default: METRICS_PORT, else off)",
    )
    sandbox.add_argument("--config", type=Path, default=None, help="config file to use")
    sandbox.add_argument(
        "--workspaces",
        type=int,
        choices=(1, 2),  # sandbox.world.TEAMS
        default=1,
        help="2: Beacon in multi-workspace mode with Acme installed and Globex to add from "
        "the page (default: 1)",
    )
    doctor = sub.add_parser("doctor", help="check tokens, scopes, channels, users and Redis")
    doctor.add_argument(
        "--send-test-message",
        metavar="CHANNEL",
        default=None,
        help="also post a test message to this channel ('#name' or an id)",
    )
    config = sub.add_parser("config", help="config file tools")
    config_sub = config.add_subparsers(dest="config_command", required=True)
    config_sub.add_parser("check", help="validate the config and print the routing table")
    return parser


def run_sandbox(
    bot: BotFactory,
    port: int | None = None,
    config: Path | None = None,
    reason: str | None = None,
    *,
    api_port: int | None = None,
    metrics_port: int | None = None,
    workspaces: int = 1,
) -> int:
    from app.ops.logs import configure_logging
    from app.settings import load_settings
    from sandbox.world import DEFAULT_API_PORT, SANDBOX_CONFIG, serve_sandbox

    settings = load_settings()
    if api_port is None:  # API_PORT when set (0 too: any free port), else README's port
        api_port = settings.api_port if "api_port" in settings.model_fields_set else None
    if metrics_port is not None:
        settings = settings.model_copy(update={"metrics_port": metrics_port})
    configure_logging(settings.log_level, settings.log_format)
    asyncio.run(
        serve_sandbox(
            bot,
            settings.beacon_sandbox_port if port is None else port,
            config or SANDBOX_CONFIG,
            api_port=DEFAULT_API_PORT if api_port is None else api_port,
            settings=settings,
            reason=reason,
            workspaces=workspaces,
        )
    )
    return 0


def run(argv: list[str], bot: BotFactory) -> int:
    """Run one subcommand; StartupError becomes `beacon: <line>` on stderr and exit 2."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "sandbox":
            return run_sandbox(
                bot,
                args.port,
                args.config,
                api_port=args.api_port,
                metrics_port=args.metrics_port,
                workspaces=args.workspaces,
            )
        if args.command == "doctor":
            from app.ops.doctor import run_doctor

            return run_doctor(send_test_message=args.send_test_message)
        if args.command == "config":
            from app.ops.doctor import config_check

            return config_check()
    except StartupError as exc:
        for line in str(exc).splitlines():
            print(f"beacon: {line}", file=sys.stderr)
        return 2
    return 2
