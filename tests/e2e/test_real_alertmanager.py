"""Beacon behind a real Prometheus Alertmanager (Debian's prometheus-alertmanager 0.25).

Alertmanager groups, repeats and resolves on its own wall clock, so this test polls its
`/metrics` for what it has sent rather than moving Beacon's FakeClock. The README's receiver
snippet is the one Alertmanager runs with, and `amtool check-config` must accept it.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest

from tests.e2e.intake import CI, api_world, free_port
from tests.e2e.test_intake_api import PAGING, pages, thread_texts

ALERTMANAGER = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
AMTOOL = shutil.which("amtool")
README = Path(__file__).resolve().parents[2] / "README.md"

pytestmark = pytest.mark.skipif(  # never skipped in CI: scripts/test.sh installs it
    (ALERTMANAGER is None or AMTOOL is None) and not os.environ.get("CI"),
    reason="Debian's prometheus-alertmanager is missing (scripts/bootstrap.sh installs it)",
)


def readme_receiver(url: str, token: str) -> str:
    """The README's webhook receiver, with this test's address and token filled in."""
    text = README.read_text()
    block = re.search(r"```yaml\n(receivers:\n.*?)```", text, re.S)
    assert block, "README lost its Alertmanager receiver snippet"
    snippet = block.group(1)
    snippet = snippet.replace("http://beacon-host:8088/api/v1/alertmanager", url)
    return snippet.replace("<the alertmanager token>", token)


def am_config(url: str) -> str:
    route = (
        "route:\n"
        "  receiver: beacon\n"
        "  group_by: [alertname]\n"
        "  group_wait: 1s\n"
        "  group_interval: 1s\n"
        "  repeat_interval: 2s\n"
    )
    return route + readme_receiver(url, CI)


@asynccontextmanager
async def alertmanager(tmp_path: Path, beacon_url: str) -> AsyncIterator[str]:
    config = tmp_path / "alertmanager.yml"
    config.write_text(am_config(beacon_url))
    check = await asyncio.create_subprocess_exec(
        AMTOOL,  # type: ignore[arg-type]
        "check-config",
        str(config),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await check.communicate()
    assert check.returncode == 0, out.decode()
    port = free_port()
    proc = await asyncio.create_subprocess_exec(
        ALERTMANAGER,  # type: ignore[arg-type]
        f"--config.file={config}",
        f"--storage.path={tmp_path / 'am-data'}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--cluster.listen-address=",
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as session:
            for _ in range(200):
                try:
                    async with session.get(f"{base}/-/ready") as resp:
                        if resp.status == 200:
                            break
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.05)  # polling a real process's start-up
            else:
                raise AssertionError("Alertmanager did not start")
        yield base
    finally:
        proc.terminate()
        await proc.wait()


async def sent(session: aiohttp.ClientSession, base: str) -> int:
    """Webhook notifications Alertmanager has sent successfully so far."""
    async with session.get(f"{base}/metrics") as resp:
        text = await resp.text()
    total = failed = 0.0
    for line in text.splitlines():
        if 'integration="webhook"' not in line:
            continue
        if line.startswith("alertmanager_notifications_total"):
            total += float(line.rsplit(" ", 1)[1])
        elif line.startswith("alertmanager_notifications_failed_total"):
            failed += float(line.rsplit(" ", 1)[1])
    return int(total - failed)


async def until(predicate: Callable[[], Awaitable[bool]]) -> None:
    async with asyncio.timeout(30):  # real Alertmanager runs on wall-clock time
        while not await predicate():  # noqa: ASYNC110 - another process, polled
            await asyncio.sleep(0.1)


def alert(instance: str, starts: str, ends: str | None = None) -> dict:
    body = {
        "labels": {"alertname": "DiskFull", "severity": "warning", "service": "payments",
                   "instance": instance},
        "annotations": {"summary": "Disks filling up"},
        "startsAt": starts,
    }
    if ends:
        body["endsAt"] = ends
    return body


async def test_a_real_alertmanager_group_is_one_incident_repeats_are_quiet_resolve_resolves(
    emu, redis, redis_server, tmp_path, clock
):
    path = tmp_path / "paging.yml"
    path.write_text(PAGING)
    async with api_world(emu, redis, redis_server.url, path, clock) as (world, api):
        hook = api.base + "/alertmanager"
        async with alertmanager(tmp_path, hook) as am, aiohttp.ClientSession() as http:
            starts = datetime.now(UTC).isoformat()

            async def post(*alerts: dict) -> None:
                async with http.post(f"{am}/api/v2/alerts", json=list(alerts)) as resp:
                    assert resp.status == 200, await resp.text()

            await post(*(alert(f"db{n}", starts) for n in (1, 2, 3)))
            card = await world.card("payments-oncall")
            assert "3 firing · 0 resolved" in card.all_text()
            await world.settle()
            replies = thread_texts(world, card)
            assert len(pages(world, "UBOB")) == 1  # one page for the group

            # Alertmanager repeats the unchanged group every repeat_interval: quietly
            first = await sent(http, am)

            async def repeated() -> bool:
                return await sent(http, am) >= first + 2

            await until(repeated)
            await world.settle()
            assert thread_texts(world, card) == replies
            assert len(pages(world, "UBOB")) == 1
            status, listed = await api.get("/incidents")
            assert status == 200 and listed["total"] == 1

            # one alert resolves: said once, however often the group repeats after it
            now = datetime.now(UTC).isoformat()
            await post(alert("db1", starts, ends=now))
            await world.reply("payments-oncall", card, "1 alert resolved: instance=db1")
            mark = await sent(http, am)

            async def repeated_again() -> bool:
                return await sent(http, am) >= mark + 2

            await until(repeated_again)
            await world.settle()
            assert sum("resolved: instance=db1" in t for t in thread_texts(world, card)) == 1
            assert "2 firing · 1 resolved" in world.fresh(card).all_text()

            # the whole group resolves: the incident resolves
            now = datetime.now(UTC).isoformat()
            await post(*(alert(f"db{n}", starts, ends=now) for n in (1, 2, 3)))

            async def resolved() -> bool:
                return (await api.get("/incidents/INC-1"))[1]["status"] == "resolved"

            await until(resolved)
            await world.reply("payments-oncall", card, "resolved by Alertmanager")
