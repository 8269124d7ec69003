"""Through the emulator: the DM template on pages, runbook steps in
plain words in the timeline, reopen re-arming escalation and SLAs, the nudge on a raised
severity. Time moves with FakeClock."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from redis.asyncio import Redis

from app.clock import FakeClock
from app.domain.models import EventType, NewIncident
from slack_emulator import SlackEmulator
from slack_emulator.models import Message
from tests.e2e.conftest import World, make_settings, start_runtime
from tests.redis_proc import RedisProcess

CONFIG = """\
default_channel: "#incidents"
severities:
  P3: {sla_ack_minutes: 60, sla_resolve_minutes: 30}
services:
  payments: {name: Payments, escalation_policy: standard}
schedules:
  primary:
    timezone: UTC
    layers:
      - {name: weekly, users: [UBOB], rotation: 7d, handoff: "09:00", start: 2027-01-04}
escalation_policies:
  standard:
    levels:
      - {targets: [{schedule: primary}], delay_minutes: 5}
      - {targets: [{user: UCAROL}], delay_minutes: 5}
runbooks_dir: runbooks/
templates: {dm: dm.json}
role_nudge_minutes: 10
incident_channels: {update_reminder_minutes: {}}
"""
RUNBOOK = """\
name: Say <hello>
trigger: {on: triggered, severity: [P4]}
steps:
  - send_message: {to: card_thread, text: "Hello from {{incident.id}}"}
"""
DM = [
    {
        "type": "section",
        "text": {"type": "mrkdwn", "text": "DM · {{message.text}} · {{incident.title}}"},
    }
]


@pytest.fixture
async def lw(
    emu: SlackEmulator, redis: Redis, redis_server: RedisProcess, tmp_path: Path, clock: FakeClock
) -> AsyncIterator[World]:
    (tmp_path / "runbooks").mkdir()
    (tmp_path / "runbooks" / "hello.yml").write_text(RUNBOOK)
    (tmp_path / "dm.json").write_text(json.dumps(DM))
    path = tmp_path / "beacon.yml"
    path.write_text(CONFIG)
    runtime = await start_runtime(emu, make_settings(emu, redis_server.url, path), clock)
    await emu.wait_connected(1)
    yield World(
        emu, runtime, clock, redis, emu.user("UALICE"), emu.user("UBOB"), emu.user("UCAROL")
    )
    await runtime.stop()


async def declare(world: World, title: str, severity: str = "P3", **kw: str) -> Message:
    await world.runtime.beacon.incidents.declare(
        NewIncident(title=title, severity=severity, reporter="UALICE", **kw)
    )
    card = await world.card("incidents")
    await world.settle()
    return card


def pages(world: World, user: str) -> list[Message]:
    return [m for m in world.emu.dms(user) if "You are paged" in m.all_text()]


async def count(world: World, etype: EventType, **data: object) -> int:
    entries = await world.redis.xrange(world.runtime.beacon.stores.keys.events())
    return sum(
        1
        for _, f in entries
        if f["type"] == etype and all(json.loads(f["data"]).get(k) == v for k, v in data.items())
    )


async def poll(check: Callable[[], Awaitable[bool]]) -> None:
    """The scheduler runs beside the notifier, and Redis has no change events: poll briefly."""
    async with asyncio.timeout(10):
        while not await check():  # noqa: ASYNC110 - Redis state has no Event
            await asyncio.sleep(0.01)


async def reaches(world: World, n: int, etype: EventType, **data: object) -> None:
    async def check() -> bool:
        return await count(world, etype, **data) == n

    await poll(check)


async def gone(world: World, timer_id: str) -> None:
    """A due timer was fired (and so dropped) by the scheduler."""
    timers = world.runtime.beacon.stores.keys.timers()

    async def check() -> bool:
        return await world.redis.zscore(timers, timer_id) is None

    await poll(check)


async def run_minutes(world: World, minutes: int) -> None:
    for _ in range(minutes):
        await world.clock.advance(60)
        await world.settle()


async def test_pages_use_the_dm_template(lw: World):
    await declare(lw, "Pay <!here> down", service="payments")
    page = (await lw.emu.wait_for(lambda: pages(lw, "UBOB") or None, timeout=10))[0]
    lead = "📟 You are paged at level 1 for INC-1"
    assert page.text == "📟 P3 INC-1: Pay &lt;!here&gt; down"  # the push says what it is
    assert page.blocks[0]["text"]["text"] == f"DM · {lead} · Pay &lt;!here&gt; down"
    assert page.attachments == []  # the template replaces the card


async def test_runbook_steps_read_as_words_in_summary_and_file(lw: World):
    card = await declare(lw, "Queue stuck", severity="P4")
    await lw.reply("incidents", card, "Hello from INC-1")
    await lw.settle()
    incidents = lw.channel("incidents")
    await lw.alice.slash_command("/incident", "resolve INC-1 drained", channel=incidents)
    summary = await lw.reply("incidents", card, "INC-1 resolved: Queue stuck")
    assert "Runbook *Say &lt;hello&gt;*: step 1 (send_message) done: " in summary.all_text()
    assert "runbook_step" not in summary.all_text()
    await lw.alice.slash_command("/incident", "timeline INC-1", channel=incidents)
    shared = await lw.emu.wait_for(
        lambda: next((m for m in lw.emu.messages(incidents) if m.files), None), timeout=10
    )
    document = lw.emu.files[shared.files[0]["id"]]["content"].decode()
    assert "| Runbook *Say <hello>*: step 1 (send_message) done | Beacon |" in document
    assert "runbook_step" not in document


async def test_reopen_pages_again_and_restarts_escalation_and_sla(lw: World):
    card = await declare(lw, "Cards declined", service="payments")
    await lw.reply("incidents", card, "📟 Paged <@UBOB> (level 1)")
    incidents = lw.channel("incidents")
    await run_minutes(lw, 1)
    await lw.alice.slash_command("/incident", "resolve INC-1", channel=incidents)
    await lw.settle()
    await lw.alice.slash_command("/incident", "reopen INC-1", channel=incidents)
    await lw.alice.wait_ephemeral("You reopened *INC-1*", incidents)
    await lw.reply("incidents", card, "📟 INC-1 was reopened: paged <@UBOB> (level 1).")
    await lw.settle()
    # The page DM from before the resolve is brought back, not copied: it reads "paged" again
    # (it said resolved in between).
    [dm] = pages(lw, "UBOB")
    assert "📟 You are paged at level 1 for INC-1" in dm.blocks[0]["text"]["text"]
    incident = await lw.runtime.beacon.incidents.get("INC-1")
    assert incident.status.value == "TRIGGERED" and incident.epoch
    # The first round's level-1 timer falls due at +5 min and finds it stale; the new round's
    # comes 5 minutes after the reopen (+6 min).
    await run_minutes(lw, 4)
    await gone(lw, "esc:INC-1:0:1")
    await lw.settle()
    assert await count(lw, EventType.ESCALATED) == 0
    await run_minutes(lw, 1)
    await lw.reply("incidents", card, "⬆️ Escalated to <@UCAROL> (level 2)")
    assert await count(lw, EventType.ESCALATED) == 1
    # The first round's resolve SLA (+30 min) is stale; the new one is 30 min from the reopen.
    await run_minutes(lw, 24)
    await gone(lw, "sla:INC-1:resolve")
    await lw.settle()
    assert await count(lw, EventType.SLA_BREACHED, kind="resolve") == 0
    await run_minutes(lw, 2)
    await reaches(lw, 1, EventType.SLA_BREACHED, kind="resolve")
    await lw.reply("incidents", card, "⚠️ SLA breached: INC-1 was not resolved within 30 min")


async def test_reopened_after_a_resolve_breach_can_breach_again(lw: World):
    card = await declare(lw, "Slow checkout")  # no policy: only the SLA restarts
    await run_minutes(lw, 31)
    await reaches(lw, 1, EventType.SLA_BREACHED, kind="resolve")
    incidents = lw.channel("incidents")
    await lw.bob.slash_command("/incident", "resolve INC-1", channel=incidents)
    await lw.settle()
    await lw.bob.slash_command("/incident", "reopen INC-1", channel=incidents)
    await lw.settle()
    assert not (await lw.runtime.beacon.incidents.get("INC-1")).sla_resolve_breached
    await run_minutes(lw, 31)
    await reaches(lw, 2, EventType.SLA_BREACHED, kind="resolve")
    assert not [m for m in lw.emu.thread(card.channel, card.ts) if "Paged" in m.text]


async def test_raised_severity_arms_the_role_nudge_once(lw: World):
    card = await declare(lw, "Search slow", severity="P3")
    incidents = lw.channel("incidents")
    timers = lw.runtime.beacon.stores.keys.timers()
    await lw.alice.slash_command("/incident", "severity INC-1 P4", channel=incidents)
    await lw.settle()
    assert not [t for t in await lw.redis.zrange(timers, 0, -1) if t.startswith("role_nudge")]
    await lw.alice.slash_command("/incident", "severity INC-1 P1", channel=incidents)
    await lw.settle()
    armed = [t for t in await lw.redis.zrange(timers, 0, -1) if t.startswith("role_nudge")]
    incident = await lw.runtime.beacon.incidents.get("INC-1")
    assert armed == [f"role_nudge:INC-1:s{incident.seq}"]
    await lw.alice.slash_command("/incident", "severity INC-1 P2", channel=incidents)
    await lw.settle()  # P1 -> P2 stays nudged: nothing new armed
    assert len([t for t in await lw.redis.zrange(timers, 0, -1) if "role_nudge" in t]) == 1
    await run_minutes(lw, 10)
    await lw.reply("incidents", card, "INC-1 has had no *Commander*")
    # down and up again arms a second timer, but the nudge comes once
    await lw.alice.slash_command("/incident", "severity INC-1 P3", channel=incidents)
    await lw.settle()
    await lw.alice.slash_command("/incident", "severity INC-1 P1", channel=incidents)
    await lw.settle()
    await run_minutes(lw, 11)
    nudges = [m for m in lw.emu.thread(card.channel, card.ts) if "has had no" in m.text]
    assert len(nudges) == 1
