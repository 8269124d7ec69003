"""Runbooks and templates through the emulator, with the real clients."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from redis.asyncio import Redis

from app.clock import FakeClock
from app.domain.models import Event, EventType
from app.notifier.handlers.runbooks import RunbookRunner
from slack_emulator import SlackEmulator
from tests.e2e.conftest import World, make_settings, start_runtime
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
runbooks_dir: runbooks/
templates: {card: card.json, thread_reply: reply.json}
"""

EVERY_STEP = """\
name: Major incident
trigger: {on: triggered, severity: [P1], service: [payments]}
steps:
  - create_channel
  - invite_users: {users: [bob@example.com], groups: [SOPS], oncall: true}
  - set_topic: {text: "{{incident.severity}} · {{incident.title}}"}
  - add_bookmark
  - post_summary
  - create_thread: {text: "Status thread for {{incident.id}}"}
  - send_message:
      blocks:
        - type: section
          text: {type: mrkdwn, text: "Checklist for {{incident.title}}"}
  - send_message: {to: "#random", text: "{{incident.id}} declared: {{incident.title}}"}
  - wait: {minutes: 10}
  - send_message: {to: card_thread, text: "10 minutes in, {{incident.assignee}}"}
  - archive_channel
"""

FLAKY = """\
name: Bookmark then say so
trigger: {on: acknowledged, severity: [P2]}
steps:
  - create_channel
  - add_bookmark: {title: "Card"}
  - send_message: {to: incident_channel, text: "The card is bookmarked."}
"""

CARD = [
    {"type": "section", "text": {"type": "mrkdwn", "text": "*{{incident.id}}* {{incident.title}}"}},
    {
        "type": "context",
        "elements": [
            {"type": "mrkdwn", "text": "Status: {{incident.status}} · {{incident.channel}}"}
        ],
    },
]
REPLY = [{"type": "section", "text": {"type": "mrkdwn", "text": "📣 {{message.text}}"}}]


@pytest.fixture
async def rw(
    emu: SlackEmulator,
    redis: Redis,
    redis_server: RedisProcess,
    tmp_path: Path,
    clock: FakeClock,
) -> AsyncIterator[World]:
    (tmp_path / "runbooks").mkdir()
    (tmp_path / "runbooks" / "major.yml").write_text(EVERY_STEP)
    (tmp_path / "runbooks" / "flaky.yml").write_text(FLAKY)
    (tmp_path / "card.json").write_text(json.dumps(CARD))
    (tmp_path / "reply.json").write_text(json.dumps(REPLY))
    path = tmp_path / "beacon.yml"
    path.write_text(CONFIG)
    emu.add_user("UDAN", "dan", "Dan Example", "dan@example.com")
    emu.add_usergroup(["UDAN"], "SOPS")
    runtime = await start_runtime(emu, make_settings(emu, redis_server.url, path), clock)
    await emu.wait_connected(1)
    yield World(
        emu, runtime, clock, redis, emu.user("UALICE"), emu.user("UBOB"), emu.user("UCAROL")
    )
    await runtime.stop()


async def test_a_runbook_with_every_step_type(rw: World):
    await rw.alice.slash_command(
        "/incident",
        "create DB down <!channel> --sev P1 --service payments --assignee <@UBOB>",
        channel=rw.channel("incidents"),
    )
    card = await rw.card("payments-oncall")
    beacon = rw.runtime.beacon
    ch_id = await rw.emu.wait_for(
        lambda: next((c.id for c in rw.emu.channels.values() if c.name.startswith("inc-1-")), None),
        timeout=10,
    )
    ch = rw.emu.channels[ch_id]
    thread = await rw.emu.wait_message(ch.id, "Status thread for INC-1", timeout=10)
    reply = await rw.emu.wait_message(
        ch.id, "Checklist for DB down", thread_ts=thread.ts, timeout=10
    )
    assert "&lt;!channel&gt;" in reply.all_text() and "<!channel>" not in reply.all_text()
    announced = await rw.emu.wait_message("random", "INC-1 declared", timeout=10)
    assert "<!channel>" not in announced.text
    await rw.settle()
    assert ch.name == "inc-1-db-down-channel"
    assert {"UBOB", "UDAN", "UCAROL"} <= ch.members  # users, the group and the on-call
    assert ch.topic["value"] == "P1 · DB down &lt;!channel&gt;"
    incident = await beacon.incidents.get("INC-1")
    assert incident.incident_channel == ch.id
    assert [b["link"] for b in ch.bookmarks] == [incident.permalink]
    summary = rw.emu.messages(ch.id)[0]
    assert summary.ts in ch.pins and "*INC-1: DB down &lt;!channel&gt;*" in summary.all_text()
    assert f"<#{ch.id}>" in rw.fresh(card).all_text()  # the card template links the channel
    # the wait: nothing more until ten minutes have passed
    assert not ch.is_archived
    await rw.clock.advance(10 * 60 + 1)
    await rw.reply("payments-oncall", card, "10 minutes in, <@UBOB>")
    await rw.emu.wait_for(lambda: ch.is_archived, timeout=10)
    await rw.settle()
    timeline = await beacon.stores.incidents.timeline("INC-1")
    done = [e for e in timeline if e.type is EventType.RUNBOOK_STEP_DONE]
    assert len(done) == 11
    assert (
        done[0].data["text"]
        == f"Runbook Major incident, step 1 (create_channel): created <#{ch.id}>"
    )
    assert done[8].data["text"].endswith("(wait): waiting 10 min")
    runs = beacon.stores.runbooks
    assert {k: v["status"] for k, v in (await runs.runs("INC-1")).items()} == {
        "Major incident@INC-1#1": "done"
    }
    # the same trigger delivered again (a crash before it was acknowledged) starts nothing
    first = (await beacon.stores.incidents.timeline("INC-1"))[0]
    replay = Event("INC-1#1", first.type, "INC-1", 1, first.actor, first.at, first.data)
    await RunbookRunner(beacon.notifier).start_matching(incident, replay, True)
    await rw.settle()
    assert len(rw.emu.calls_to("conversations.create")) == 1
    assert len(await runs.runs("INC-1")) == 1


async def test_a_failed_step_stops_the_runbook_and_retry_finishes_it(rw: World):
    rw.emu.fail_method("bookmarks.add", "restricted_action", status=200)
    await rw.alice.slash_command(
        "/incident", "create Search is slow --sev P2", channel=rw.channel("incidents")
    )
    card = await rw.card("incidents")
    await rw.bob.click(card, "Acknowledge")
    notice = await rw.reply("incidents", card, "stopped at step 2")
    assert "Runbook *Bookmark then say so* stopped at step 2 (`add_bookmark`)" in notice.all_text()
    assert "restricted_action" in notice.all_text()
    assert notice.buttons() == ["Retry step"]
    await rw.settle()
    incident = await rw.runtime.beacon.incidents.get("INC-1")
    ch = rw.emu.channels[incident.incident_channel]
    assert rw.emu.messages(ch.id) == []  # the later step waits
    assert ch.bookmarks == []
    # two people click at once: the step runs once, the slower one is told
    await asyncio.gather(rw.carol.click(notice, "Retry step"), rw.bob.click(notice, "Retry step"))
    said = await rw.emu.wait_message(ch.id, "The card is bookmarked.", timeout=10)
    assert said.user == rw.emu.bot_user_id
    assert [b["title"] for b in ch.bookmarks] == ["Card"]
    await rw.settle()
    retried = rw.emu.message(notice.channel, notice.ts)
    assert "retried by <@U" in retried.all_text() and retried.buttons() == []
    winner = "UCAROL" if "<@UCAROL>" in retried.all_text() else "UBOB"
    loser = rw.bob if winner == "UCAROL" else rw.carol
    await loser.wait_ephemeral("someone retried it already")
    assert len(rw.emu.messages(ch.id)) == 1
    assert len(rw.emu.calls_to("bookmarks.add")) == 2  # the refused one and the retry


async def test_templates_render_hostile_text_escaped(rw: World):
    await rw.alice.slash_command(
        "/incident", "create <!channel> pay <@UBOB> now --sev P3", channel=rw.channel("incidents")
    )
    card = await rw.card("incidents")
    text = card.all_text()
    assert "*INC-1* &lt;!channel&gt; pay <@UBOB> now" in text  # people stay mentions
    assert "<!channel>" not in text
    assert "Status: triggered" in text
    assert card.buttons() == ["Acknowledge", "Resolve", "View"]  # the buttons stay
    await rw.bob.click(card, "Acknowledge")
    reply = await rw.reply("incidents", card, "Acknowledged by")
    assert reply.blocks[0]["text"]["text"].startswith("📣 Acknowledged by <@UBOB>")
    await rw.settle()
    assert "Status: acknowledged" in rw.fresh(card).all_text()


async def test_incident_runbooks_lists_what_is_loaded(rw: World):
    await rw.alice.slash_command("/incident", "runbooks", channel=rw.channel("incidents"))
    listed = await rw.alice.wait_ephemeral("*Runbooks (2)*")
    assert "*Major incident* — on triggered, severity P1, service payments" in listed.text
    assert "create_channel → add_bookmark → send_message" in listed.text
