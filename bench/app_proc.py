"""One app in its own process for the benchmarks: `bare` Bolt or `beacon` (app.main.Runtime).

Started by bench.common.AppProcess; stops on SIGTERM. Not meant to be run by hand.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from pathlib import Path

from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

ACK_ACTION_ID = "incident-ack"  # views.ids.ActionId.ACK, the card's Acknowledge button


def bare_app(args: argparse.Namespace) -> AsyncApp:
    """A bare AsyncApp: a `/incident` listener and an Acknowledge listener that only ack."""
    app = AsyncApp(
        client=AsyncWebClient(token=args.bot_token, base_url=args.api_url),
        request_verification_enabled=False,
        process_before_response=args.pbr == "1",
    )

    @app.command("/incident")
    async def incident(ack):  # type: ignore[no-untyped-def]
        await ack()

    @app.action(ACK_ACTION_ID)
    async def acknowledge(ack):  # type: ignore[no-untyped-def]
        await ack()

    return app


async def run(args: argparse.Namespace) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    if args.kind == "bare":
        handler = AsyncSocketModeHandler(bare_app(args), args.app_token)
        await handler.connect_async()
        try:
            await stop.wait()
        finally:
            await handler.close_async()
        return
    from app.main import Runtime
    from app.settings import Settings

    settings = Settings(
        slack_bot_token=args.bot_token,
        slack_app_token=args.app_token,
        slack_api_url=args.api_url,
        redis_url=args.redis_url,
        beacon_config=Path(args.config),
        log_level="WARNING",
        **overrides(args.setting, set(Settings.model_fields)),
    )
    if int(args.blocking_pool or 0) > 0:
        patch_blocking_pool(int(args.blocking_pool))
    runtime = Runtime(settings)
    try:
        await runtime.start()
        await stop.wait()
    finally:
        await runtime.stop()


def patch_blocking_pool(size: int) -> None:
    """Experiment: Beacon's Redis client on a BlockingConnectionPool of `size` connections.

    redis-py's asyncio ConnectionPool raises MaxConnectionsError ("Too many connections")
    once more than max_connections (default 100) commands are in flight; a blocking pool
    makes the 101st command wait for a free connection instead. Patched in this process
    only, so the benchmark can show the effect of the fix proposed in bench/README.md.
    """
    from redis.asyncio import BlockingConnectionPool, Redis

    import app.redis_connect as rc

    def url_client(settings, url):  # type: ignore[no-untyped-def]
        options = rc.client_options()
        retry = options.pop("retry", None)
        pool = BlockingConnectionPool.from_url(
            url, max_connections=size, timeout=5, db=settings.redis_db, **options
        )
        return Redis(connection_pool=pool, retry=retry)

    if not hasattr(rc, "url_client"):
        raise SystemExit("bench: app.redis_connect.url_client is gone; cannot patch the pool")
    rc.url_client = url_client


def overrides(pairs: list[str], known: set[str]) -> dict[str, str]:
    """`--setting name=value` for Settings fields this tree has (others edit app/settings.py)."""
    out = {}
    for pair in pairs:
        name, _, value = pair.partition("=")
        if name in known:
            out[name] = value
        else:
            print(f"bench: this tree's Settings has no {name!r}; ignored", file=sys.stderr)
    return out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("kind", choices=["bare", "beacon"])
    parser.add_argument("--api-url", required=True)
    parser.add_argument("--bot-token", required=True)
    parser.add_argument("--app-token", required=True)
    parser.add_argument("--pbr", default="0", help="bare: process_before_response (0/1)")
    parser.add_argument("--redis-url", default="")
    parser.add_argument("--config", default="")
    parser.add_argument("--blocking-pool", default="0", help="beacon: pool size experiment")
    parser.add_argument("--setting", action="append", default=[], help="Settings name=value")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    asyncio.run(run(args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
