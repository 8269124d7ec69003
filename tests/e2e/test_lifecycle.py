"""Declare, notify, acknowledge, resolve, snooze, commands, routing — as users do it."""

from __future__ import annotations

import asyncio
import re

from app.domain.models import NewIncident
from tests.e2e.conftest import World
from tests.e2e.test_oncall import acked  # the card offers Snooze once re-rendered as acked
from views.ids import CallbackId

SEV = {
    "P1": "P1 · Critical (HIGH)",
    "P2": "P2 · High (HIGH)",
    "P3": "P3 · Moderate (MEDIUM)",
    "P4": "P4 · Low (LOW)",
}


async def declare_via_modal(
    world: World,
    title: str,
    *,
    severity: str = "P3",
    service: str | None = None,
    assignee: str | None = None,
    channel: str = "incidents",
) -> None:
    await world.alice.slash_command("/incident", "", channel=world.channel(channel))
    values = {"Title": title, "Severity": SEV[severity]}
    if service:
        values["Service"] = service
    if assignee:
        values["Assignee"] = assignee
    await world.alice.fill(values)
    result = await world.alice.submit()
    assert result.errors == {}, result.errors
    assert world.alice.current_view() is None


async def test_declare_from_modal_posts_a_full_card(world: World):
    await declare_via_modal(
        world, "Checkout is down", severity="P1", service="Payments", assignee="UBOB"
    )
    card = await world.card("payments-oncall")
    text = card.all_text()
    assert card.attachments[0]["color"] == "#E01E5A"
    assert [b["type"] for b in card.blocks] == ["header"]  # the text is the fallback only
    for part in (
        "🔴 P1 · Checkout is down",
        "*INC-1*",
        "*Service*\nPayments",
        "*Status*\nTriggered <!date^",
        "*Severity*\nP1 · Critical",
        "*Assignee*\n<@UBOB>",
        "*SLA*\nAck by",
        "<@UALICE>",
    ):
        assert part in text, part
    assert card.buttons() == ["Acknowledge", "Resolve", "View"]
    assert card.metadata["event_type"] == "beacon_event"
    assert card.metadata["event_payload"]["event_id"] == "INC-1#1"
    # the reporter is told where the card went, with its link; the assignee gets it in a DM
    told = await world.alice.wait_ephemeral("Declared <", world.channel("incidents"))
    incident = await world.runtime.beacon.incidents.get("INC-1")
    assert told.text == f"Declared <{incident.permalink}|INC-1> → <#{card.channel}>"
    dm = await world.emu.wait_for(lambda: world.emu.dms("UBOB"), timeout=10)
    assert "You are the assignee of INC-1" in dm[0].all_text()
    incident = await world.runtime.beacon.incidents.get("INC-1")
    assert (incident.channel, incident.card_ts) == (card.channel, card.ts)
    assert incident.permalink and card.ts.replace(".", "") in incident.permalink


async def test_modal_validation_errors_land_on_the_field(world: World):
    await world.alice.slash_command("/incident", "", channel=world.channel("incidents"))
    await world.alice.fill({"Title": "    ", "Severity": SEV["P2"]})
    result = await world.alice.submit()
    assert result.response_action == "errors"
    assert result.errors_by_label == {"Title": "Give the incident a title."}
    assert world.alice.current_view() is not None  # the modal stays open
    assert await world.runtime.beacon.incidents.list_open() == []


async def test_acknowledge_updates_card_and_thread(world: World):
    await declare_via_modal(world, "Search is slow", severity="P3")
    card = await world.card("incidents")
    await world.clock.advance(120)
    await world.alice.click(card, "Acknowledge")
    reply = await world.reply("incidents", card, "Acknowledged by")
    assert reply.text == "Acknowledged by <@UALICE> after 2 min."
    await world.settle()
    card = world.fresh(card)
    assert "Acknowledged ✓ by <@UALICE>" in card.all_text()
    assert "Acknowledge" not in card.buttons() and "Resolve" in card.buttons()
    assert card.edited


async def test_two_people_acknowledge_at_once(world: World):
    await declare_via_modal(world, "Payments 500s", severity="P3")
    card = await world.card("incidents")
    await asyncio.gather(
        world.alice.click(card, "Acknowledge"), world.bob.click(card, "Acknowledge")
    )
    await world.settle()
    replies = [m for m in world.emu.thread(card.channel, card.ts) if "Acknowledged by" in m.text]
    assert len(replies) == 1
    winner = "UALICE" if "<@UALICE>" in replies[0].text else "UBOB"
    loser = world.bob if winner == "UALICE" else world.alice
    msg = await loser.wait_ephemeral("already acknowledged by", card.channel)
    assert f"<@{winner}>" in msg.text


async def test_resolve_with_note_removes_every_button(world: World):
    await declare_via_modal(world, "Queue backlog", severity="P2")
    card = await world.card("incidents")
    await world.clock.advance(3900)
    await world.bob.click(card, "Resolve")
    assert world.bob.current_view().title == "Resolve INC-1"
    await world.bob.fill({"Resolution note": "Scaled consumers <!channel>"})
    await world.bob.submit()
    reply = await world.reply("incidents", card, "Resolved by")
    assert "✅ Resolved by <@UBOB> after 1 h 5 min." in reply.text
    assert "Scaled consumers &lt;!channel&gt;" in reply.text
    await world.settle()
    card = world.fresh(card)
    assert card.buttons() == ["Reopen", "View"]
    assert "*Status*\nResolved ✓ by <@UBOB> after 1 h 5 min" in card.all_text()


async def test_stale_buttons_answer_clearly(world: World):
    await declare_via_modal(world, "Old alert", severity="P3", assignee="UBOB")
    card = await world.card("incidents")
    dm = (await world.emu.wait_for(lambda: world.emu.dms("UBOB"), timeout=10))[0]
    await world.runtime.beacon.incidents.resolve("INC-1", "UALICE", "")
    await world.bob.click(dm, "Acknowledge")  # the DM copy still shows the old buttons
    msg = await world.bob.wait_ephemeral("already resolved")
    assert "INC-1" in msg.text
    await world.bob.click(dm, "Resolve")
    assert world.bob.current_view() is None
    await world.bob.wait_ephemeral("already resolved; nothing to do")
    assert card.ts  # the card itself was updated, not re-posted
    await world.settle()
    assert len([m for m in world.emu.messages(card.channel) if "*INC-1*" in m.all_text()]) == 1


async def test_snooze_from_the_card_and_wake_up(world: World):
    await declare_via_modal(world, "Flaky job", severity="P4", assignee="UBOB")
    card = await world.card("incidents")
    await world.alice.click(card, "Acknowledge")  # a snooze needs someone to own it
    await world.reply("incidents", card, "Acknowledged by")
    await world.alice.select(await acked(world, card), "15 minutes", placeholder="Snooze")
    reply = await world.reply("incidents", card, "Snoozed by")
    assert "💤 Snoozed by <@UALICE> for 15 min, until <!date^" in reply.text
    await world.settle()
    assert "*Status*\nSnoozed until <!date^" in world.fresh(card).all_text()
    await world.clock.advance(15 * 60 + 1)
    wake = await world.reply("incidents", card, "Snooze is over")
    assert "<@UBOB>, INC-1 needs attention again" in wake.text
    await world.settle()
    assert "*Status*\nAcknowledged ✓ by <@UALICE>" in world.fresh(card).all_text()
    # The assignee is told by DM too, in those words (no escalation policy: not a page).
    dms = [m.text for m in world.emu.dms("UBOB")]
    assert "⏰ Snooze is over: INC-1 needs attention again." in dms, dms
    assert not any("You are paged" in text for text in dms), dms


async def test_custom_snooze_modal_validates(world: World):
    await declare_via_modal(world, "Disk 91%", severity="P4")
    card = await world.card("incidents")
    await world.alice.click(card, "Acknowledge")
    await world.reply("incidents", card, "Acknowledged by")
    await world.alice.select(await acked(world, card), "Custom…", placeholder="Snooze")
    assert world.alice.current_view().title == "Snooze INC-1"
    await world.alice.fill({"Snooze for": "later"})
    result = await world.alice.submit()
    assert result.errors_by_label == {"Snooze for": "Write a duration like 45m, 2h, 1h30m or 1d."}
    await world.alice.fill({"Snooze for": "1h30m"})
    assert (await world.alice.submit()).errors == {}
    await world.reply("incidents", card, "Snoozed by")
    incident = await world.runtime.beacon.incidents.get("INC-1")
    assert incident.snoozed_until == world.clock.now() + 5400


async def test_create_directly_with_flags_and_route_by_service_then_severity(world: World):
    incidents = world.channel("incidents")
    await world.alice.slash_command(
        "/incident", "create Card payments failing --sev P2 --service payments", channel=incidents
    )
    await world.alice.wait_ephemeral("Declared *INC-1* (P2)", incidents)
    await world.card("payments-oncall", "INC-1")  # service channel wins
    await world.alice.slash_command("/incident", "create Site down --sev P1", channel=incidents)
    await world.card("incidents-critical", "INC-2")  # severity channel
    await world.alice.slash_command("/incident", "create Typo on page --sev p4", channel=incidents)
    await world.card("incidents", "INC-3")  # default channel
    # payments-oncall only takes P3 and above: a P4 falls through to the default
    await world.alice.slash_command(
        "/incident", "create Old receipts --sev P4 --service payments", channel=incidents
    )
    await world.card("incidents", "INC-4")
    assert not any(
        "*INC-4*" in m.all_text() for m in world.emu.messages(world.channel("payments-oncall"))
    )


async def test_event_toggles_keep_card_current_without_replies(world: World):
    await world.alice.slash_command(
        "/incident",
        "create Refund errors --sev P3 --service payments",
        channel=world.channel("incidents"),
    )
    card = await world.card("payments-oncall")
    await world.bob.click(card, "Acknowledge")  # 'acknowledged' is off in #payments-oncall
    await world.settle()
    assert "Acknowledged ✓" in world.fresh(card).all_text()
    assert world.emu.thread(card.channel, card.ts) == []
    await world.runtime.beacon.incidents.resolve("INC-1", "UBOB", "")
    await world.reply("payments-oncall", card, "Resolved by")  # 'resolved' is on


async def test_create_without_severity_opens_prefilled_modal(world: World):
    await world.alice.slash_command(
        "/incident", "create Login broken --service checkout", channel=world.channel("incidents")
    )
    view = await world.emu.wait_for(world.alice.current_view, timeout=5)
    assert view.title == "Declare incident"
    assert view.blocks[0]["element"]["initial_value"] == "Login broken"
    await world.alice.submit()
    card = await world.card("incidents")
    assert "Checkout" in card.all_text() and "P3" in card.all_text()


async def test_global_and_message_shortcuts(world: World):
    await world.alice.global_shortcut(CallbackId.DECLARE_SHORTCUT)
    assert world.alice.current_view().title == "Declare incident"
    await world.alice.close_view()
    channel = world.emu.channels[world.channel("random")]
    source = world.emu.post_message(channel, "UCAROL", "<@UBOB> checkout is failing again")
    await world.alice.message_shortcut(CallbackId.DECLARE_FROM_MESSAGE, channel.id, source.ts)
    view = world.alice.current_view()
    assert view.blocks[0]["element"]["initial_value"] == "@UBOB checkout is failing again"
    await world.alice.fill({"Severity": SEV["P3"]})
    await world.alice.submit()
    card = await world.card("incidents")
    assert "from <https://" in card.all_text() and "|this message>" in card.all_text()


async def test_commands_list_show_ack_note_assign_severity_resolve(world: World):
    ch = world.channel("incidents")
    alice = world.alice
    await alice.slash_command("/incident", "create First --sev P3", channel=ch)
    await alice.slash_command("/incident", "create Second --sev P1", channel=ch)
    await world.card("incidents-critical", "INC-2")
    await alice.slash_command("/incident", "list", channel=ch)
    listing = await alice.wait_ephemeral("Open incidents (2)", ch)
    text = listing.all_text()
    assert text.index("INC-2") < text.index("INC-1")  # newest first
    await alice.slash_command("/incident", "show inc-1", channel=ch)
    shown = await alice.wait_ephemeral("*Status*", ch)
    assert "First" in shown.all_text() and shown.buttons() == []
    await alice.slash_command("/incident", "ack INC-1", channel=ch)
    await alice.wait_ephemeral("You acknowledged *INC-1*", ch)
    await alice.slash_command("/incident", "note INC-1 rolled back <!here>", channel=ch)
    await alice.slash_command("/incident", "assign INC-1 <@UBOB|bob>", channel=ch)
    await alice.slash_command("/incident", "severity INC-1 P2", channel=ch)
    await alice.slash_command("/incident", "resolve INC-1 fixed by rollback", channel=ch)
    card = await world.card("incidents", "INC-1")
    await world.reply("incidents", card, "Resolved by")
    thread = " | ".join(m.text for m in world.emu.thread(card.channel, card.ts))
    assert "📝 Note from <@UALICE>:\n>rolled back &lt;!here&gt;" in thread
    assert "<!here>" not in thread
    assert "assigned this to <@UBOB>" in thread and "changed severity P3 → P2" in thread
    await alice.slash_command("/incident", "ack INC-99", channel=ch)
    await alice.wait_ephemeral("I can't find incident INC-99", ch)
    await alice.slash_command("/incident", "ack", channel=ch)
    await alice.wait_ephemeral("Which incident?", ch)
    await alice.slash_command("/incident", "ack INC-1", channel=ch)
    await alice.wait_ephemeral("INC-1 is already resolved", ch)


async def test_injection_in_title_and_notes_is_neutralised(world: World):
    ch = world.channel("incidents")
    await world.alice.slash_command(
        "/incident",
        "create <!channel> <@UBOB> <https://evil.example|login here> --sev P3",
        channel=ch,
    )
    card = await world.card("incidents")
    mrkdwn = card.text + " ".join(
        f["text"] for b in card.attachments[0]["blocks"] for f in b.get("fields", [])
    )
    for live in ("<!channel>", "<https://evil.example"):
        assert live not in mrkdwn
    assert "&lt;!channel&gt;" in card.text
    assert "<@UBOB>" in card.text  # a person named stays a mention (views/mrkdwn.escape)


async def test_thread_replies_name_people_by_mention_only(world: World):
    await declare_via_modal(world, "Email user", severity="P3")
    card = await world.card("incidents")
    await world.alice.click(card, "Acknowledge")  # alice's email is visible to the app
    reply = await world.reply("incidents", card, "Acknowledged by")
    assert reply.text == "Acknowledged by <@UALICE> after 0 s."


def listed(text: str) -> list[str]:
    """Incident ids as list lines show them: bold, or linked to the card once it is posted."""
    return re.findall(r"[*|](INC-\d+)[*>]", text)


async def test_incident_list_says_the_total_and_pages_with_next(world: World):
    incidents = world.runtime.beacon.incidents
    for n in range(27):  # through the domain: the cards are not what this test is about
        await incidents.declare(NewIncident(title=f"Disk {n}", severity="P3", reporter="UALICE"))
    ch = world.channel("incidents")
    await world.alice.slash_command("/incident", "list", channel=ch)
    first = await world.alice.wait_ephemeral("Open incidents (27)", ch)
    assert "Showing 1–25 of 27" in first.all_text()
    assert listed(first.all_text()) == [f"INC-{n}" for n in range(27, 2, -1)]  # newest first
    await world.alice.click(first, "Next 25 →")
    second = await world.alice.wait_ephemeral("Showing 26–27 of 27", ch)
    assert listed(second.all_text()) == ["INC-2", "INC-1"] and second.buttons() == []
    # The Next click replaced the first page (response_url, replace_original).
    assert not any("Showing 1–25" in m.all_text() for m in world.alice.ephemerals(ch))
