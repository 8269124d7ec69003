"""A dedicated channel per incident, through the emulator with the real clients."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from redis.asyncio import Redis

from app.clock import FakeClock
from app.domain.models import Event, NewIncident
from app.notifier.handlers.channels import IncidentChannels
from slack_emulator import SlackEmulator
from slack_emulator.models import Channel
from tests.e2e.conftest import World, make_settings, start_runtime
from tests.e2e.test_lifecycle import SEV
from tests.redis_proc import RedisProcess

CONFIG = """\
default_channel: "#incidents"
services:
  payments: {name: Payments, channel: "#payments-oncall", escalation_policy: standard}
channels:
  "#payments-oncall": {min_severity: P4}
schedules:
  primary:
    timezone: UTC
    layers:
      - {name: weekly, users: [UCAROL], rotation: 7d, handoff: "09:00", start: 2027-01-04}
escalation_policies:
  standard:
    levels:
      - {targets: [{schedule: primary}], delay_minutes: 5}
incident_channels:
  auto_for: [P1]
  private: true
  invite_groups: [SOPS]
"""


@pytest.fixture
async def cw(
    emu: SlackEmulator,
    redis: Redis,
    redis_server: RedisProcess,
    tmp_path: Path,
    clock: FakeClock,
) -> AsyncIterator[World]:
    path = tmp_path / "channels.yml"
    path.write_text(CONFIG)
    emu.add_user("UDAN", "dan", "Dan Example", "dan@example.com")
    emu.add_usergroup(["UDAN"], "SOPS")
    runtime = await start_runtime(emu, make_settings(emu, redis_server.url, path), clock)
    await emu.wait_connected(1)
    yield World(
        emu, runtime, clock, redis, emu.user("UALICE"), emu.user("UBOB"), emu.user("UCAROL")
    )
    await runtime.stop()


async def incident_channel(world: World, incident_id: str = "INC-1") -> Channel:
    await world.settle()
    incident = await world.runtime.beacon.incidents.get(incident_id)
    assert incident.incident_channel, "no incident channel recorded"
    return world.emu.channels[incident.incident_channel]


async def test_declare_with_channel_box_creates_channel_on_a_name_clash(cw: World):
    # someone made a channel of that name already
    cw.emu.add_channel("inc-1-checkout-is-down-eu-here", members=["UALICE"])
    await cw.alice.slash_command("/incident", "", channel=cw.channel("payments-oncall"))
    await cw.alice.fill(
        {
            "Title": "Checkout is DOWN (EU) <!here>",
            "Severity": SEV["P3"],
            "Service": "Payments",
            "Assignee": "UBOB",
            "Options": ["Create a dedicated channel"],
        }
    )
    assert (await cw.alice.submit()).errors == {}
    card = await cw.card("payments-oncall")
    ch = await incident_channel(cw)
    assert ch.name == "inc-1-checkout-is-down-eu-here-2"
    assert ch.is_private  # incident_channels.private
    # reporter, assignee, on-call (schedule primary -> carol) and the configured group
    assert {"UALICE", "UBOB", "UCAROL", "UDAN"} <= ch.members
    assert ch.topic["value"] == "P3 Moderate · Triggered · assignee <@UBOB>"
    assert ch.purpose["value"].startswith("INC-1: Checkout is DOWN (EU)")
    incident = await cw.runtime.beacon.incidents.get("INC-1")
    assert [b["link"] for b in ch.bookmarks] == [incident.permalink]
    summary = cw.emu.messages(ch.id)[0]
    assert summary.ts in ch.pins
    assert "*INC-1: Checkout is DOWN (EU) &lt;!here&gt;*" in summary.all_text()
    assert f"<#{ch.id}>" in cw.fresh(card).all_text()  # the card links the channel
    # the topic follows the incident
    await cw.bob.click(cw.fresh(card), "Acknowledge")
    await cw.settle()
    assert ch.topic["value"] == "P3 Moderate · Acknowledged · assignee <@UBOB>"
    assert "Acknowledged" in ch.purpose["value"]


async def test_p1_gets_a_private_channel_automatically_once(cw: World):
    beacon = cw.runtime.beacon
    await beacon.incidents.declare(
        NewIncident(title="DB on fire", severity="P1", reporter="UALICE", service="payments")
    )
    ch = await incident_channel(cw)
    assert ch.is_private and ch.name == "inc-1-db-on-fire"
    # a redelivered trigger (a crash before the event was acknowledged) makes nothing twice
    created = len(cw.emu.calls_to("conversations.create"))
    incident = await beacon.incidents.get("INC-1")
    first = (await beacon.stores.incidents.timeline("INC-1"))[0]
    replay = Event(
        event_id="INC-1#1",
        type=first.type,
        incident_id="INC-1",
        seq=1,
        actor=first.actor,
        at=first.at,
        data=first.data,
    )
    await IncidentChannels(beacon.notifier).on_triggered(incident, replay, True)
    assert len(cw.emu.calls_to("conversations.create")) == created
    assert len(cw.emu.messages(ch.id)) == 1 and len(ch.bookmarks) == 1 and len(ch.pins) == 1


async def test_slack_refusal_is_told_in_the_thread_with_the_fix(cw: World):
    cw.emu.fail_method("conversations.create", "restricted_action", status=200)
    await cw.runtime.beacon.incidents.declare(
        NewIncident(title="Login broken", severity="P1", reporter="UALICE")
    )
    card = await cw.card("incidents")
    reply = await cw.reply("incidents", card, "couldn't create the incident channel")
    assert "`restricted_action`" in reply.text and "invite @Beacon" in reply.text
    incident = await cw.runtime.beacon.incidents.get("INC-1")
    assert incident.incident_channel is None


async def test_missing_scope_on_bookmark_does_not_stop_the_summary(cw: World):
    cw.emu.fail_method("bookmarks.add", "missing_scope", status=200)
    await cw.runtime.beacon.incidents.declare(
        NewIncident(title="Slow API", severity="P1", reporter="UALICE")
    )
    card = await cw.card("incidents")
    reply = await cw.reply("incidents", card, "couldn't bookmark the card")
    assert "`missing_scope`" in reply.text and "reinstall the app" in reply.text
    ch = await incident_channel(cw)
    assert ch.bookmarks == [] and len(ch.pins) == 1


async def declare_p1(world: World, title: str = "DB on fire") -> None:
    await world.runtime.beacon.incidents.declare(
        NewIncident(title=title, severity="P1", reporter="UALICE", assignee="UBOB")
    )


async def test_status_update_goes_to_thread_and_channel_and_resets_reminders(cw: World):
    await declare_p1(cw)
    card = await cw.card("incidents")
    ch = await incident_channel(cw)
    await cw.clock.advance(20 * 60)
    await cw.bob.slash_command("/incident", "update INC-1 Failover <!channel> done", channel=ch.id)
    await cw.bob.wait_ephemeral("Status update posted on *INC-1*", ch.id)
    reply = await cw.reply("incidents", card, "Status update")
    assert "Failover &lt;!channel&gt; done" in reply.text and "<@UBOB>" in reply.text
    await cw.emu.wait_message(ch.id, "Status update", timeout=10)
    # 30 min after the declaration: the update 10 min ago counts, no reminder yet
    await cw.clock.advance(10 * 60)
    await cw.settle()
    assert not [m for m in cw.emu.messages(ch.id) if "no status update" in m.text]
    # 30 min after the update: reminded in the incident channel
    await cw.clock.advance(20 * 60)
    reminder = await cw.emu.wait_message(ch.id, "no status update on INC-1 for 30 min", timeout=10)
    assert "<@UBOB>" in reminder.text and "/incident update INC-1" in reminder.text


async def test_resolve_summary_then_warning_then_archive(cw: World):
    await declare_p1(cw)
    card = await cw.card("incidents")
    ch = await incident_channel(cw)
    await cw.clock.advance(4 * 60)
    await cw.bob.click(cw.fresh(card), "Acknowledge")
    await cw.settle()
    await cw.clock.advance(60)
    await cw.alice.slash_command("/incident", "note INC-1 Replica promoted", channel=ch.id)
    await cw.settle()
    await cw.clock.advance(55 * 60)
    await cw.bob.slash_command("/incident", "resolve INC-1 Rolled back <b>", channel=ch.id)
    summary = await cw.emu.wait_message(ch.id, "INC-1 resolved", timeout=10)
    text = summary.text
    for part in (
        "*Duration:* 1 h",
        "*Time to acknowledge:* 4 min",
        "*Resolution:* Rolled back &lt;b&gt;",
        "• <@UBOB>: acknowledged, resolved",
        "• <@UALICE>: declared, note",
        "+0 s · declared by <@UALICE>: P1",
        "+5 min · note by <@UALICE>: Replica promoted",
    ):
        assert part in text, part
    assert await cw.reply("incidents", card, "INC-1 resolved")
    assert ch.topic["value"].startswith("P1 Critical · Resolved")
    # 23 h later: the warning, not yet archived
    await cw.clock.advance(23 * 3600)
    warning = await cw.emu.wait_message(ch.id, "will be archived in 1 h", timeout=10)
    assert "/incident reopen INC-1" in warning.text
    assert not ch.is_archived
    await cw.clock.advance(3600)
    await cw.emu.wait_for(lambda: ch.is_archived or None, timeout=10)
    await cw.reply("incidents", card, f"Archived <#{ch.id}>")


async def test_reopened_incident_keeps_its_channel(cw: World):
    await declare_p1(cw)
    card = await cw.card("incidents")
    ch = await incident_channel(cw)
    await cw.bob.slash_command("/incident", "resolve INC-1", channel=ch.id)
    await cw.settle()
    await cw.alice.slash_command("/incident", "reopen INC-1", channel=ch.id)
    await cw.alice.wait_ephemeral("You reopened *INC-1*", ch.id)
    await cw.reply("incidents", card, "INC-1 was reopened by <@UALICE>")
    await cw.settle()
    assert "Resolve" in cw.fresh(card).buttons()
    assert ch.topic["value"].startswith("P1 Critical · Triggered")
    await cw.clock.advance(25 * 3600)
    await cw.settle()
    assert not ch.is_archived
    assert not [m for m in cw.emu.messages(ch.id) if "will be archived" in m.text]
    await cw.alice.slash_command("/incident", "reopen INC-1", channel=ch.id)
    await cw.alice.wait_ephemeral("INC-1 is not resolved, so there is nothing to reopen.", ch.id)


async def test_timeline_uploads_as_markdown_file(cw: World):
    await declare_p1(cw, "Disk | full")
    ch = await incident_channel(cw)
    await cw.clock.advance(90)
    await cw.alice.slash_command("/incident", "note INC-1 Freed 20GB | more", channel=ch.id)
    await cw.settle()
    await cw.alice.slash_command("/incident", "timeline INC-1", channel=ch.id)
    await cw.alice.wait_ephemeral("The timeline of *INC-1* is on its way", ch.id)
    shared = await cw.emu.wait_for(
        lambda: next((m for m in cw.emu.messages(ch.id) if m.files), None), timeout=10
    )
    assert shared.text == "Timeline of INC-1." and shared.files[0]["name"] == "INC-1-timeline.md"
    document = cw.emu.files[shared.files[0]["id"]]["content"].decode()
    assert document.startswith("# INC-1: Disk | full\n")
    assert "| declared | Alice Example |" in document
    assert "| note | Alice Example | Freed 20GB \\| more |" in document
    assert [c.method for c in cw.emu.calls if c.method.startswith("files.")] == [
        "files.getUploadURLExternal",
        "files.completeUploadExternal",
    ]
    # from a channel Beacon is not in, the file comes as a DM
    cw.emu.add_channel("lobby", members=["UBOB"], bot_is_member=False)
    await cw.bob.slash_command("/incident", "timeline INC-1", channel=cw.channel("lobby"))
    dm = await cw.emu.wait_for(
        lambda: next((m for m in cw.emu.dms("UBOB") if m.files), None), timeout=10
    )
    assert dm.files[0]["title"] == "INC-1 timeline"
