"""The incident record through the emulator: follow-ups, the retrospective, roles
(command, Claim buttons, DMs, the nudge) and 📌 timeline capture."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from redis.asyncio import Redis

from app.clock import FakeClock
from app.domain.models import EventType, NewIncident
from slack_emulator import SlackEmulator
from slack_emulator.models import Channel
from tests.e2e.conftest import World, make_settings, start_runtime
from tests.redis_proc import RedisProcess
from views.incident_channel import timeline_lines

CONFIG = """\
default_channel: "#incidents"
incident_channels:
  auto_for: [P1]
  update_reminder_minutes: {}
role_nudge_minutes: 10
"""


@pytest.fixture
async def rw(
    emu: SlackEmulator,
    redis: Redis,
    redis_server: RedisProcess,
    tmp_path: Path,
    clock: FakeClock,
) -> AsyncIterator[World]:
    path = tmp_path / "record.yml"
    path.write_text(CONFIG)
    runtime = await start_runtime(emu, make_settings(emu, redis_server.url, path), clock)
    await emu.wait_connected(1)
    yield World(
        emu, runtime, clock, redis, emu.user("UALICE"), emu.user("UBOB"), emu.user("UCAROL")
    )
    await runtime.stop()


async def declare(world: World, severity: str = "P1", title: str = "DB on fire") -> Channel | None:
    await world.runtime.beacon.incidents.declare(
        NewIncident(title=title, severity=severity, reporter="UALICE", assignee="UBOB")
    )
    await world.card("incidents")
    await world.settle()
    incident = await world.runtime.beacon.incidents.get("INC-1")
    return world.emu.channels[incident.incident_channel] if incident.incident_channel else None


async def test_followups_add_list_done(rw: World):
    await declare(rw, "P3")
    card = await rw.card("incidents")
    incidents = rw.channel("incidents")
    await rw.alice.slash_command("/incident", "followup add INC-1 Alert on <!here> lag", incidents)
    await rw.alice.wait_ephemeral("Follow-up *F-1* added to *INC-1*.", incidents)
    note = await rw.reply("incidents", card, "Follow-up *F-1* added by <@UALICE>")
    assert "Alert on &lt;!here&gt; lag" in note.text and "/incident followup done F-1" in note.text
    await rw.alice.slash_command("/incident", "followup add INC-1 Write the runbook", incidents)
    await rw.alice.wait_ephemeral("Follow-up *F-2* added", incidents)
    await rw.bob.slash_command("/incident", "followup list", incidents)
    listed = await rw.bob.wait_ephemeral("*Open follow-ups*", incidents)
    assert "◻️ *F-1* (INC-1) Alert on &lt;!here&gt; lag" in listed.all_text()
    await rw.bob.slash_command("/incident", "followup done f-1", incidents)
    await rw.bob.wait_ephemeral("Follow-up *F-1* of *INC-1* is done.", incidents)
    await rw.reply("incidents", card, "✅ Follow-up *F-1* done by <@UBOB>")
    await rw.carol.slash_command("/incident", "followup list INC-1", incidents)
    mine = await rw.carol.wait_ephemeral("*Follow-ups of INC-1*", incidents)
    assert "✅ *F-1* Alert on" in mine.all_text() and "done by <@UBOB>" in mine.all_text()
    assert "◻️ *F-2* Write the runbook" in mine.all_text()
    await rw.carol.slash_command("/incident", "followup done F-1", incidents)
    await rw.carol.wait_ephemeral("F-1 was already done (by <@UBOB>).", incidents)
    await rw.carol.slash_command("/incident", "followup done F-9", incidents)
    await rw.carol.wait_ephemeral("I can't find follow-up F-9", incidents)
    timeline = await rw.runtime.beacon.stores.incidents.timeline("INC-1")
    assert [e.type for e in timeline].count(EventType.FOLLOWUP_ADDED) == 2


async def test_schedule_retrospective_from_the_resolve_summary(rw: World):
    ch = await declare(rw)
    assert ch is not None
    card = await rw.card("incidents")
    await rw.bob.slash_command("/incident", "resolve INC-1 Rolled back", channel=ch.id)
    summary = await rw.emu.wait_message(ch.id, "INC-1 resolved", timeout=10)
    assert "Schedule retrospective" in summary.buttons()
    await rw.alice.click(summary, "Schedule retrospective")
    modal = rw.alice.current_view()
    assert modal is not None and modal.title == "Retrospective"
    await rw.alice.fill({"Date": "2027-01-10", "Owner": "UBOB"})  # the clock says 2027-01-15
    refused = await rw.alice.submit()
    assert refused.errors_by_label == {"Date": "That date has passed: pick today or later."}
    await rw.alice.fill({"Date": "2027-01-20", "Notes": "Bring <graphs>"})
    assert (await rw.alice.submit()).errors == {}
    said = "Retrospective of INC-1 scheduled for *2027-01-20*, owner <@UBOB> (by <@UALICE>)."
    posted = await rw.emu.wait_message(ch.id, said, timeout=10)
    assert "Bring &lt;graphs&gt;" in posted.text
    await rw.reply("incidents", card, said)
    incident = await rw.runtime.beacon.incidents.get("INC-1")
    lines = timeline_lines(incident, await rw.runtime.beacon.stores.incidents.timeline("INC-1"))
    assert any("retrospective scheduled by <@UALICE>: 2027-01-20" in line for line in lines)


async def test_roles_claimed_assigned_dmed_and_nudged(rw: World):
    ch = await declare(rw)
    assert ch is not None
    summary = rw.emu.messages(ch.id)[0]
    assert summary.ts in ch.pins
    assert {"Claim commander", "Claim communications", "Claim scribe"} <= set(summary.buttons())
    assert "*Commander:* _unclaimed_" in summary.all_text()
    await rw.bob.click(summary, "Claim commander")
    await rw.emu.wait_message(ch.id, "<@UBOB> is now *Commander* for INC-1 (claimed it).")
    await rw.settle()
    assert "*Commander:* <@UBOB>" in rw.fresh(summary).all_text()  # re-rendered in place
    dm = await rw.emu.wait_for(
        lambda: next((m for m in rw.emu.dms("UBOB") if "*Commander*" in m.text), None),
        timeout=10,
    )
    assert "*Your duties:* Lead the response" in dm.text and f"<#{ch.id}>" in dm.text
    await rw.bob.click(rw.fresh(summary), "Claim commander")
    await rw.bob.wait_ephemeral("You are already Commander for INC-1.", ch.id)
    # inside the incident channel the id can go; someone else can be named
    await rw.alice.slash_command("/incident", "role scribe <@UCAROL|carol>", channel=ch.id)
    await rw.alice.wait_ephemeral("<@UCAROL> is now *Scribe* for *INC-1*.", ch.id)
    await rw.emu.wait_message(
        ch.id, "<@UCAROL> is now *Scribe* for INC-1 (assigned by <@UALICE>)"
    )
    await rw.emu.wait_for(
        lambda: next((m for m in rw.emu.dms("UCAROL") if "Keep the record" in m.text), None),
        timeout=10,
    )
    incidents = rw.channel("incidents")
    await rw.alice.slash_command("/incident", "role scribe", channel=incidents)
    await rw.alice.wait_ephemeral("Outside an incident channel, name it", incidents)
    await rw.alice.slash_command("/incident", "role chef INC-1", channel=incidents)
    await rw.alice.wait_ephemeral(
        "`chef` is not a role here. Roles: commander, communications, scribe.", incidents
    )
    # 10 minutes in, communications is still free: one nudge in the channel, and only one
    await rw.clock.advance(10 * 60)
    nudge = await rw.emu.wait_message(ch.id, "INC-1 has had no *Communications* for 10 min")
    assert "/incident role communications @someone" in nudge.text
    await rw.clock.advance(60 * 60)
    await rw.settle()
    assert len([m for m in rw.emu.messages(ch.id) if "has had no" in m.text]) == 1
    incident = await rw.runtime.beacon.incidents.get("INC-1")
    assert incident.roles == {"commander": "UBOB", "scribe": "UCAROL"}
    lines = timeline_lines(incident, await rw.runtime.beacon.stores.incidents.timeline("INC-1"))
    assert "+0 s · role by <@UALICE>: scribe to <@UCAROL>" in lines


async def test_p3_is_not_nudged(rw: World):
    await declare(rw, "P3")
    await rw.clock.advance(30 * 60)
    await rw.settle()
    card = await rw.card("incidents")
    assert not [m for m in rw.emu.thread(card.channel, card.ts) if "has had no" in m.text]
    timers = rw.runtime.beacon.stores.keys.timers()
    assert await rw.redis.zscore(timers, "role_nudge:INC-1") is None  # never armed


async def test_pushpin_reaction_adds_the_message_to_the_timeline(rw: World):
    ch = await declare(rw)
    assert ch is not None
    said = rw.emu.post_message(ch, "UCAROL", "Failover done <!channel>, replica is primary")
    await rw.alice.react(said, "pushpin")
    note = await rw.emu.wait_message(ch.id, "📌 Added to the timeline", thread_ts=said.ts)
    assert note.thread_ts == said.ts
    await rw.bob.react(said, "pushpin")  # a second pin of the same message adds nothing
    await rw.alice.react(said, "eyes")  # nor does another emoji
    lobby = rw.emu.channel_by_name("random")
    elsewhere = rw.emu.post_message(lobby, "UCAROL", "not about the incident")
    await rw.alice.react(elsewhere, "pushpin")  # nor a message outside the incident channel
    await rw.settle()
    pinned = [
        e
        for e in await rw.runtime.beacon.stores.incidents.timeline("INC-1")
        if e.type is EventType.MESSAGE_PINNED
    ]
    assert len(pinned) == 1 and pinned[0].actor == "UALICE"
    data = pinned[0].data
    assert data["author"] == "UCAROL" and data["text"].startswith("Failover done")
    assert data["permalink"].endswith(f"/archives/{ch.id}/p{said.ts.replace('.', '')}")
    assert len(rw.emu.thread(ch.id, said.ts)) == 1
    incident = await rw.runtime.beacon.incidents.get("INC-1")
    line = timeline_lines(incident, await rw.runtime.beacon.stores.incidents.timeline("INC-1"))[-1]
    assert line.startswith("+0 s · pinned by <@UALICE>: <https://") and "from <@UCAROL>" in line
    assert "Failover done &lt;!channel&gt;" in line
