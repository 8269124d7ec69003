"""The baseline for bench.notifier: a bare loop making the Slack calls of one card, no Beacon.

Started by bench.notifier in its own process (as Beacon is). For each incident in the spec it
makes the three Web API calls Beacon makes for a card with pacing off: chat.postMessage (the
same fallback text, card attachments and event metadata, rendered by views.incident),
chat.getPermalink, then chat.update with the card re-rendered with its View link. One
sequential loop per channel, the channels concurrently: Beacon's lanes. No Redis, no retries of
its own, one shared aiohttp session (as Beacon has). Prints "done" and waits for SIGTERM, so the
parent can read its CPU time. Not meant to be run by hand.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
import time
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

import aiohttp
from slack_sdk.web.async_client import AsyncWebClient

from app.config import load_config
from app.domain.models import Incident, Status
from views.incident import card_message


async def run(args: argparse.Namespace) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    config = load_config(Path(args.config))
    spec = json.loads(Path(args.spec).read_text())  # noqa: ASYNC240 - before any work
    created = time.time()
    lanes: dict[str, list[Incident]] = defaultdict(list)
    for item in spec:  # {"channel": id, "number": n, "title": ..., "service": ... or null}
        lanes[item["channel"]].append(
            Incident(
                id=f"INC-{item['number']}",
                number=item["number"],
                title=item["title"],
                description="",
                service=item["service"],
                severity=item["severity"],
                status=Status.TRIGGERED,
                reporter="UALICE",
                assignee=None,
                created_at=created,
                seq=1,
            )
        )
    async with aiohttp.ClientSession() as session:
        client = AsyncWebClient(token=args.bot_token, base_url=args.api_url, session=session)

        async def lane(channel: str, incidents: list[Incident]) -> None:
            for incident in incidents:
                resp = await client.chat_postMessage(
                    channel=channel,
                    **card_message(incident, config, now=time.time()),
                    metadata={
                        "event_type": "beacon_event",
                        "event_payload": {
                            "event_id": f"{incident.id}#1",
                            "incident_id": incident.id,
                        },
                    },
                    unfurl_links=False,
                )
                ch, ts = str(resp["channel"]), str(resp["ts"])
                link = await client.chat_getPermalink(channel=ch, message_ts=ts)
                posted = replace(incident, channel=ch, card_ts=ts, permalink=link["permalink"])
                await client.chat_update(
                    channel=ch,
                    ts=ts,
                    **card_message(posted, config, now=time.time()),
                )

        await asyncio.gather(*(lane(ch, items) for ch, items in lanes.items()))
        print("done", flush=True)
        await stop.wait()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--api-url", required=True)
    parser.add_argument("--bot-token", required=True)
    parser.add_argument("--config", required=True)
    parser.add_argument("--spec", required=True, help="JSON list of the incidents to post")
    args = parser.parse_args()
    asyncio.run(run(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
