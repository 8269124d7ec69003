"""One app in its own process for the benchmarks: `bare` Bolt or `beacon` (app.main.Runtime).

Started by bench.common.AppProcess; stops on SIGTERM. Not meant to be run by hand.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
import sys
from collections import Counter
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


async def seed_auth_test(app: AsyncApp) -> None:
    """The tuned baseline's cached authorize: one auth.test before connecting, handed to Bolt's
    single-team authorization (as Beacon's app/bolt.py does), so no envelope waits on it."""
    from slack_bolt.middleware.authorization.async_single_team_authorization import (
        AsyncSingleTeamAuthorization,
    )

    answer = await app.client.auth_test()
    for middleware in app._async_middleware_list:
        if isinstance(middleware, AsyncSingleTeamAuthorization):
            middleware.auth_test_result = answer


async def run(args: argparse.Namespace) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    if args.kind == "bare":
        app = bare_app(args)
        if args.cached_auth == "1":
            await seed_auth_test(app)
        handler = AsyncSocketModeHandler(app, args.app_token)
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
        log_level=args.log_level,
        **overrides(args.setting, set(Settings.model_fields)),
    )
    counts = count_redis_calls() if args.count_redis else None
    runtime = Runtime(settings)
    try:
        await runtime.start()
        await stop.wait()
    finally:
        await runtime.stop()
        if counts is not None:
            rows = [{"command": c, "caller": who, "calls": n} for (c, who), n in counts.items()]
            rows.sort(key=lambda r: -r["calls"])
            Path(args.count_redis).write_text(json.dumps(rows, indent=1))  # noqa: ASYNC240


def count_redis_calls() -> Counter[tuple[str, str]]:
    """Diagnostics (bench.profile_notifier): count every Redis round trip Beacon makes, by
    command (a Lua script by its name) and by the nearest Beacon function outside app/store.
    Walks the stack per call, so it slows Beacon down: never on in a timed run."""
    from redis.asyncio.client import Pipeline, Redis

    from app.store.scripts import Scripts

    counts: Counter[tuple[str, str]] = Counter()

    def caller() -> str:
        frame = sys._getframe(2)
        for _ in range(40):
            if frame is None:
                break
            path = frame.f_code.co_filename
            if ("/app/" in path or "/views/" in path or "/listeners/" in path) and (
                "/app/store/" not in path
            ):
                return f"{frame.f_code.co_qualname} ({Path(path).name})"
            frame = frame.f_back
        return "?"

    execute = Redis.execute_command
    run_script = Scripts.run
    pipe_execute = Pipeline.execute

    async def counted_execute(self, *args, **options):  # type: ignore[no-untyped-def]
        name = str(args[0]).upper()
        if name != "EVALSHA":  # scripts are counted by name in counted_run
            counts[(name, caller())] += 1
        return await execute(self, *args, **options)

    async def counted_run(self, name, keys, args):  # type: ignore[no-untyped-def]
        counts[(f"EVALSHA {name}", caller())] += 1
        return await run_script(self, name, keys, args)

    async def counted_pipe(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        counts[(f"PIPELINE x{len(self.command_stack)}", caller())] += 1
        return await pipe_execute(self, *args, **kwargs)

    Redis.execute_command = counted_execute  # type: ignore[method-assign]
    Scripts.run = counted_run  # type: ignore[method-assign]
    Pipeline.execute = counted_pipe  # type: ignore[method-assign]
    return counts


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
    parser.add_argument(
        "--cached-auth", default="0", help="bare: auth.test once before connecting (0/1)"
    )
    parser.add_argument("--redis-url", default="")
    parser.add_argument("--config", default="")
    parser.add_argument(
        "--log-level", default="INFO", help="beacon: LOG_LEVEL (INFO, Beacon's default)"
    )
    parser.add_argument("--profile", default="", help="write a cProfile of the run here")
    parser.add_argument(
        "--count-redis", default="", help="beacon: write Redis round trips by caller here"
    )
    parser.add_argument("--setting", action="append", default=[], help="Settings name=value")
    args = parser.parse_args()
    if args.kind == "beacon":
        # As `python -m app` does: one text line per envelope at INFO, to stderr (the .log).
        from app.ops.logs import configure_logging

        configure_logging(args.log_level)
    else:
        logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    if not args.profile:
        asyncio.run(run(args))
        return 0
    # cProfile for exact call counts; bench.profile_ack uses py-spy (sampling) instead.
    import cProfile

    profiler = cProfile.Profile()
    try:
        profiler.runcall(asyncio.run, run(args))
    finally:
        profiler.dump_stats(args.profile)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
