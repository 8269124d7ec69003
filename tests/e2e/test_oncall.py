"""On-call, escalation, snooze, SLA — through the emulator, time moved by FakeClock."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from redis.asyncio import Redis

from app.clock import FakeClock
from app.domain.models import EventType, NewIncident
from app.main import Runtime
from slack_emulator import SlackEmulator
from slack_emulator.models import Message
from tests.e2e.conftest import World, make_settings, start_runtime
from tests.redis_proc import RedisProcess

ONCALL_CONFIG = """\
default_channel: "#incidents"
services:
  payments: {name: Payments, channel: "#payments-oncall", escalation_policy: standard}
  legacy: {name: Legacy, escalation_policy: ghost}
channels:
  "#payments-oncall": {min_severity: P4}
schedules:
  primary:
    timezone: Europe/London
    layers:
      - {name: weekly, users: [UALICE, bob@example.com], rotation: 7d, handoff: "09:00",
         start: 2027-01-04}
    admins: [UCAROL]
escalation_policies:
  standard:
    levels:
      - {targets: [{schedule: primary}], delay_minutes: 5}
      - {targets: [{user: UCAROL}, {group: SOPS}], delay_minutes: 10}
    repeat: 1
    page_at_once: {P1: 2}
  ghost:
    levels:
      - {targets: [{user: UGONE}], delay_minutes: 5}
      - {targets: [{user: UCAROL}], delay_minutes: 5}
default_escalation_policy: standard
"""
# The clock starts Friday 2027-01-15 08:00 UTC: week of 2027-01-11 09:00 → bob (index 1).
ON_CALL = "UBOB"


@pytest.fixture
def oncall_config(tmp_path: Path) -> Path:
    path = tmp_path / "oncall.yml"
    path.write_text(ONCALL_CONFIG)
    return path


@pytest.fixture
async def ow(emu: SlackEmulator, redis: Redis, redis_server: RedisProcess, oncall_config: Path,
             clock: FakeClock) -> AsyncIterator[World]:
    emu.add_user("UDAN", "dan", "Dan Example", "dan@example.com")
    emu.add_user("UGONE", "gone", "Gone Person", "gone@example.com", deleted=True)
    emu.add_usergroup(["UDAN"], "SOPS")
    runtime = await start_runtime(emu, make_settings(emu, redis_server.url, oncall_config), clock)
    await emu.wait_connected(1)
    yield World(emu, runtime, clock, redis, emu.user("UALICE"), emu.user("UBOB"),
                emu.user("UCAROL"))
    await runtime.stop()


async def declare(world: World, title: str, severity: str = "P3",
                  service: str = "payments") -> str:
    incident = await world.runtime.beacon.incidents.declare(
        NewIncident(title=title, severity=severity, reporter="UALICE", service=service)
    )
    return incident.id


def lead(message: Message) -> str:
    """A DM's line above the card (its top-level text is the push notification's)."""
    return message.blocks[0]["text"]["text"] if message.blocks else message.text


async def acked(world: World, card: Message) -> Message:
    """The card once re-rendered as acknowledged (it offers Snooze from then on)."""
    return await world.emu.wait_for(
        lambda: (m := world.fresh(card)) and "Acknowledged ✓" in m.all_text() and m, timeout=10)


def pages(world: World, user: str) -> list[str]:
    return [lead(m) for m in world.emu.dms(user) if "You are paged" in lead(m)]


async def escalations(world: World) -> int:
    entries = await world.redis.xrange(world.runtime.beacon.stores.keys.events())
    return sum(1 for _, f in entries if f["type"] == EventType.ESCALATED)


async def test_escalates_level_by_level_until_acknowledged(ow: World):
    await declare(ow, "Card payments failing")
    card = await ow.card("payments-oncall")
    await ow.reply("payments-oncall", card, f"📟 Paged <@{ON_CALL}> (level 1)")
    lead_line = "📟 You are paged at level 1 for INC-1"  # the card below has the title
    assert pages(ow, ON_CALL) == [lead_line]
    dm = ow.emu.dms(ON_CALL)[-1]
    assert dm.text == "📟 P3 INC-1: Card payments failing"  # the push: what, not who
    assert "Acknowledge" in dm.buttons()  # the page carries the card and its buttons
    await ow.clock.advance(5 * 60)
    await ow.reply("payments-oncall", card, "⬆️ Escalated to <@UCAROL>, <@UDAN> (level 2)")
    assert pages(ow, "UCAROL") and pages(ow, "UDAN")
    await ow.settle()
    assert "*Escalation*\nLevel 2" in ow.fresh(card).all_text()
    await ow.carol.click(ow.fresh(card), "Acknowledge")
    await ow.settle()
    # Every page DM now shows the acknowledged incident: no Acknowledge button left to press.
    for person in (ON_CALL, "UCAROL", "UDAN"):
        [page] = ow.emu.dms(person)
        assert page.text.startswith("✓ INC-1 was acknowledged by <@UCAROL>")
        assert "Acknowledge" not in page.buttons() and "Resolve" in page.buttons()
    for _ in range(4):  # well past every remaining delay and the repeat
        await ow.clock.advance(10 * 60)
        await ow.settle()
    assert await escalations(ow) == 1
    assert len(ow.emu.dms(ON_CALL)) == 1  # paged once, never again after the ack
    assert "Acknowledged ✓ by <@UCAROL>" in ow.fresh(card).all_text()
    await ow.carol.slash_command("/incident", "resolve INC-1 fixed",
                                 channel=ow.channel("payments-oncall"))
    await ow.settle()
    # Resolved: each page DM says so and has no buttons left at all.
    for person in (ON_CALL, "UCAROL", "UDAN"):
        [page] = ow.emu.dms(person)
        assert page.text.startswith("✅ INC-1 was resolved by <@UCAROL>")
        assert page.buttons() == ["View"]


async def test_p1_pages_two_levels_at_once_and_repeats(ow: World):
    await declare(ow, "Everything down", severity="P1")
    card = await ow.card("payments-oncall")
    await ow.reply("payments-oncall", card,
                   f"📟 Paged <@{ON_CALL}> (level 1), <@UCAROL>, <@UDAN> (level 2).")
    # Two levels paged at once: each person's DM says their own level, the push says what.
    assert pages(ow, ON_CALL) == ["📟 You are paged at level 1 for INC-1"]
    for person in ("UCAROL", "UDAN"):
        [dm] = ow.emu.dms(person)
        assert dm.text == "📟 P1 INC-1: Everything down"
        assert lead(dm) == "📟 You are paged at level 2 for INC-1"
    await ow.clock.advance(10 * 60)  # level 2's delay: the policy starts again (repeat: 1)
    await ow.reply("payments-oncall", card, f"⬆️ Escalated to <@{ON_CALL}> (level 1)")
    assert len(pages(ow, ON_CALL)) == 2


async def test_ack_racing_a_due_escalation_pages_nobody(ow: World):
    beacon = ow.runtime.beacon
    await declare(ow, "Race")
    await ow.card("payments-oncall")
    await ow.settle()
    # Case 1: the ack lands between the timer's claim and its transition.
    await beacon.workers.stop()
    await ow.clock.advance(5 * 60)
    claimed = await beacon.stores.timers.claim_timers(ow.clock.now(), 60)
    assert any(t.startswith("esc:INC-1") for t in claimed)
    await beacon.incidents.acknowledge("INC-1", "UBOB")
    for timer_id in claimed:
        await beacon.scheduler.work.escalate(timer_id, await beacon.stores.timers.timer(timer_id)) \
            if timer_id.startswith("esc:") else None
    beacon.workers.start()
    await ow.settle()
    assert await escalations(ow) == 0 and not pages(ow, "UCAROL")
    # Case 2: the escalation is decided first, the ack arrives before it is announced.
    await declare(ow, "Race two")
    await ow.card("payments-oncall", "INC-2")
    await ow.settle()
    await beacon.workers.stop()
    await ow.clock.advance(5 * 60)
    assert await beacon.scheduler.tick() >= 1
    assert await escalations(ow) == 1
    await beacon.incidents.acknowledge("INC-2", "UBOB")
    beacon.workers.start()
    card2 = await ow.card("payments-oncall", "INC-2")
    await ow.reply("payments-oncall", card2, "Escalation to level 2 stopped: INC-2 is already")
    assert not pages(ow, "UCAROL") and not pages(ow, "UDAN")


async def test_snooze_needs_an_ack_and_warns_past_the_resolve_deadline(ow: World):
    await declare(ow, "Snoozy", severity="P1")  # P1: resolve within 4 h
    card = await ow.card("payments-oncall")
    await ow.settle()
    ch = ow.channel("payments-oncall")
    assert "Snooze" not in str(card.attachments)  # offered only once acknowledged
    await ow.clock.advance(60)
    await ow.bob.click(ow.fresh(card), "Acknowledge")
    await ow.reply("payments-oncall", card, "Acknowledged by <@UBOB>")
    await ow.bob.select(await acked(ow, card), "4 hours", placeholder="Snooze")
    snoozed = await ow.reply("payments-oncall", card, "💤 Snoozed by <@UBOB>")
    assert snoozed.text.startswith("💤 Snoozed by <@UBOB> for 4 h, until <!date^")
    assert "⚠️ The snooze ends after the resolve deadline (<!date^" in snoozed.text
    await ow.clock.advance(15 * 60)  # escalation stays stopped: acknowledged and snoozed
    await ow.settle()
    assert await escalations(ow) == 0 and not pages(ow, "UCAROL")
    # A short snooze within the SLA carries no warning.
    await declare(ow, "Short", severity="P1")
    card2 = await ow.card("payments-oncall", "INC-2")
    await ow.bob.click(card2, "Acknowledge")
    await ow.reply("payments-oncall", card2, "Acknowledged by")
    await ow.bob.select(await acked(ow, card2), "15 minutes", placeholder="Snooze")
    short = await ow.reply("payments-oncall", card2, "💤 Snoozed by <@UBOB> for 15 min, until")
    assert "⚠️" not in short.text
    # A stale card (acknowledged when drawn, reopened since) still offers Snooze: refused.
    stale = copy.deepcopy(ow.fresh(card2))  # the message as drawn then
    await ow.runtime.beacon.incidents.resolve("INC-2", "UBOB", "")
    await ow.bob.slash_command("/incident", "reopen INC-2", channel=ch)
    await ow.reply("payments-oncall", card2, "was reopened by <@UBOB>")
    assert (await ow.runtime.beacon.incidents.get("INC-2")).status.value == "TRIGGERED"
    await ow.alice.select(stale, "30 minutes", placeholder="Snooze")
    refused = await ow.alice.wait_ephemeral("isn't acknowledged yet", ch)
    assert "`/incident ack INC-2`" in refused.text


async def test_sla_breach_is_announced_once(ow: World):
    await declare(ow, "Slow ack", severity="P2")  # P2: acknowledge within 15 min
    card = await ow.card("payments-oncall")
    await ow.clock.advance(16 * 60)
    await ow.reply("payments-oncall", card, "⚠️ SLA breached: INC-1 was not acknowledged "
                                           "within 15 min.")
    notice = await ow.emu.wait_message(ow.channel("payments-oncall"), "missed its time to be")
    assert notice.thread_ts is None
    await ow.clock.advance(60 * 60)
    await ow.settle()
    breaches = [m for m in ow.emu.thread(card.channel, card.ts) if "SLA breached" in m.text]
    assert len(breaches) == 1


async def test_deleted_user_skipped_and_empty_level_escalates_at_once(ow: World):
    await declare(ow, "Legacy batch", service="legacy")
    card = await ow.card("incidents")
    await ow.reply("incidents", card, "Skipped <@UGONE>: no longer in the workspace.")
    await ow.reply("incidents", card, "Level 1 has nobody to page: escalating on at once.")
    await ow.reply("incidents", card, "⬆️ Escalated to <@UCAROL> (level 2)")
    assert not ow.emu.dms("UGONE")


async def test_oncall_override_and_route_test_commands(ow: World):
    ch = ow.channel("incidents")
    await ow.alice.slash_command("/incident", "oncall", channel=ch)
    msg = await ow.alice.wait_ephemeral("*On call now*", ch)
    assert f"*primary*: <@{ON_CALL}> until <!date^" in msg.text and "then <@UALICE>" in msg.text
    await ow.alice.slash_command("/incident", "oncall override <@UDAN|dan> until 2h", channel=ch)
    await ow.alice.wait_ephemeral("Only the admins of schedule primary", ch)
    await ow.carol.slash_command("/incident", "oncall override <@UDAN|dan> until 2h", channel=ch)
    await ow.carol.wait_ephemeral("<@UDAN> is on call for *primary* until", ch)
    await ow.alice.slash_command("/incident", "oncall payments", channel=ch)
    msg = await ow.alice.wait_ephemeral("*primary*: <@UDAN>", ch)
    assert f"then <@{ON_CALL}>" in msg.text
    await ow.alice.slash_command("/incident", "route test service=payments severity=P2",
                                 channel=ch)
    dry = await ow.alice.wait_ephemeral("*Dry run*", ch)
    assert "#payments-oncall (rule: service payments)" in dry.text
    assert "policy *standard*" in dry.text and "primary (now <@UDAN>)" in dry.text
    assert "acknowledge within 15 min" in dry.text and "resolve within 8 h" in dry.text
    assert "— then after 5 min" in dry.text and "— then after 10 min" in dry.text
    await ow.alice.slash_command("/incident", "route test service=payments severity=P3",
                                 channel=ch)
    dry = await ow.alice.wait_ephemeral("severity=P3", ch)
    assert "resolve within 3 d" in dry.text and "4320" not in dry.text
    assert await ow.runtime.beacon.incidents.list_open() == []


async def test_sla_breach_once_across_three_instances(
    emu: SlackEmulator, redis: Redis, redis_server: RedisProcess, oncall_config: Path,
    clock: FakeClock,
):
    emu.add_user("UDAN", "dan", "Dan Example", "dan@example.com")
    emu.add_usergroup(["UDAN"], "SOPS")
    runtimes: list[Runtime] = []
    for n in range(3):
        settings = make_settings(emu, redis_server.url, oncall_config,
                                 beacon_instance_id=f"sla-{n}")
        runtimes.append(await start_runtime(emu, settings, clock))
    try:
        world = World(emu, runtimes[0], clock, redis, emu.user("UALICE"), emu.user("UBOB"),
                      emu.user("UCAROL"))
        await declare(world, "Three instances", severity="P1")
        card = await world.card("payments-oncall")
        await clock.advance(6 * 60)
        await world.reply("payments-oncall", card, "SLA breached")
        await clock.advance(5 * 60)
        await world.settle()
        breaches = [m for m in emu.thread(card.channel, card.ts) if "SLA breached" in m.text]
        assert len(breaches) == 1
        counted = sum(
            r.metrics.sla_breaches.labels(kind="ack", severity="P1")._value.get()
            for r in runtimes
        )
        assert counted == 1
    finally:
        for runtime in runtimes:
            await runtime.stop()


def thread_texts(world: World, card: Message) -> list[str]:
    return [m.text for m in world.emu.thread(card.channel, card.ts)]


async def test_low_urgency_pages_nobody_until_raised_and_stops_when_lowered(ow: World):
    await declare(ow, "Disk 80%", severity="P4")  # LOW urgency: the card only (PagerDuty's way)
    card = await ow.card("payments-oncall")
    await ow.clock.advance(30 * 60)  # well past every escalation delay
    await ow.settle()
    assert not ow.emu.dms(ON_CALL) and not ow.emu.dms("UCAROL") and not ow.emu.dms("UDAN")
    assert await escalations(ow) == 0
    assert not any("Paged" in t for t in thread_texts(ow, card))
    assert (await ow.runtime.beacon.incidents.get("INC-1")).esc_level is None
    # Raised to P1 (HIGH): paging starts, both of P1's levels at once, each at their own.
    ch = ow.channel("payments-oncall")
    await ow.alice.slash_command("/incident", "severity INC-1 P1", channel=ch)
    await ow.reply("payments-oncall", card, f"📟 INC-1 is now P1: paged <@{ON_CALL}> (level 1), "
                                           "<@UCAROL>, <@UDAN> (level 2).")
    assert pages(ow, ON_CALL) == ["📟 You are paged at level 1 for INC-1"]
    assert pages(ow, "UDAN") == ["📟 You are paged at level 2 for INC-1"]
    await ow.clock.advance(10 * 60)  # level 2's delay: the policy's repeat pages level 1 again
    await ow.reply("payments-oncall", card, f"⬆️ Escalated to <@{ON_CALL}> (level 1).")
    assert await escalations(ow) == 1
    # Lowered to P4 again: the armed escalation timer is stopped; nobody is paged any more.
    await ow.alice.slash_command("/incident", "severity INC-1 P4", channel=ch)
    await ow.reply("payments-oncall", card, "🔕 Escalation stopped: P4 is low urgency, which "
                                           "pages nobody.")
    for _ in range(4):
        await ow.clock.advance(10 * 60)
        await ow.settle()
    assert await escalations(ow) == 1 and len(pages(ow, ON_CALL)) == 2
    assert len(ow.emu.dms("UCAROL")) == 1


async def test_lifecycle_timeline_reopen_order_and_no_email_anywhere(ow: World):
    await declare(ow, "Checkout down", severity="P1")
    card = await ow.card("payments-oncall")
    await ow.reply("payments-oncall", card, "📟 Paged")
    await ow.clock.advance(60)
    await ow.bob.click(card, "Acknowledge")
    await ow.reply("payments-oncall", card, "Acknowledged by <@UBOB> after 1 min.")
    await ow.bob.select(await acked(ow, card), "4 hours", placeholder="Snooze")
    await ow.reply("payments-oncall", card, "💤 Snoozed by <@UBOB> for 4 h")
    # The rest through the services the commands call (fewer acks to wait for on a busy box).
    beacon = ow.runtime.beacon
    await beacon.incidents.add_note("INC-1", "UBOB", "rolled back")
    await beacon.incidents.assign("INC-1", "UALICE", "UDAN")
    await beacon.incidents.set_severity("INC-1", "UALICE", "P2")
    await ow.reply("payments-oncall", card, "changed severity P1 → P2")
    await ow.clock.advance(30 * 60)
    await beacon.incidents.resolve("INC-1", "UBOB", "fixed")
    summary = (await ow.reply("payments-oncall", card, "INC-1 resolved: Checkout down")).text
    # The timeline says what happened: who was paged at which level, the snooze's length and end.
    assert f"+0 s · paged <@{ON_CALL}> (level 1), <@UCAROL>, <@UDAN> (level 2)" in summary
    assert "+1 min · snoozed by <@UBOB> for 4 h, until <!date^" in summary
    assert summary.count("snoozed by") == 1
    # Reopened: "reopened by" comes first, then who was paged again, then an escalation.
    await beacon.updates.reopen("INC-1", "UALICE")
    await ow.reply("payments-oncall", card, "📟 INC-1 was reopened: paged")
    texts = thread_texts(ow, card)
    reopened = next(i for i, t in enumerate(texts) if "INC-1 was reopened by <@UALICE>" in t)
    paged = next(i for i, t in enumerate(texts) if t.startswith("📟 INC-1 was reopened: paged"))
    assert reopened < paged
    await ow.clock.advance(5 * 60)  # P2 pages level 1 only; level 2 after its 5 minutes
    await ow.reply("payments-oncall", card, "⬆️ Escalated to <@UCAROL>, <@UDAN> (level 2).")
    await ow.settle()
    await beacon.incidents.resolve("INC-1", "UBOB", "fixed again")
    second = await ow.emu.wait_for(lambda: next(
        (t for t in thread_texts(ow, card) if t.startswith("*INC-1 resolved") and "again" in t),
        None), timeout=10)
    assert "· escalated to level 2" in second and "paged <@UCAROL>, <@UDAN> (level 2)" in second
    assert "reopened by <@UALICE>" in second
    # Thread replies, channel messages and DMs name people by mention: no email anywhere.
    await ow.settle()
    posted = [m for channel in ow.emu.channels.values() for m in channel.messages]
    assert len(posted) >= 20  # card, thread replies, summaries, page and assignee DMs
    leaked = [m.all_text() for m in posted if "@example.com" in m.all_text()]
    assert leaked == []
