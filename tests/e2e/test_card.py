"""The card at a glance (status colour and emoji, overdue SLA, the restarted deadline after a
reopen) and the actions on it (More ⋯ modals, Reopen) — as users do it, through the emulator."""

from __future__ import annotations

from slack_emulator.blockkit import validate_message
from slack_emulator.models import Message
from tests.e2e import test_oncall as oncall_tests
from tests.e2e.conftest import World
from views.ids import ActionId, BlockId

STATUS_LOOK = {  # colour bar, header emoji
    "triggered": ("#E01E5A", "🔴"),
    "acknowledged": ("#ECB22E", "🟠"),
    "snoozed": ("#9E9EA6", "💤"),
    "resolved": ("#2EB67D", "✅"),
}


async def create(world: World, title: str, severity: str = "P3", channel: str = "incidents",
                 extra: str = "") -> Message:
    await world.alice.slash_command(
        "/incident", f"create {title} --sev {severity}{extra}", channel=world.channel(channel)
    )
    return await world.card(channel)


def look(card: Message) -> tuple[str, str]:
    header = card.blocks[0]["text"]["text"]
    return card.attachments[0]["color"], header.split(" ")[0]


async def changed(world: World, card: Message, contains: str) -> Message:
    """The card once its text contains `contains` (the notifier re-renders it)."""
    return await world.emu.wait_for(
        lambda: (m := world.fresh(card)) and contains in m.all_text() and m, timeout=10
    )


def overflow(card: Message) -> dict:
    acts = next(b for b in card.attachments[0]["blocks"] if b["block_id"] == BlockId.ACTIONS)
    return next(e for e in acts["elements"] if e["type"] == "overflow")


def selects(message: Message) -> list[str]:
    """The select menus of a message's actions blocks, by placeholder."""
    return [e["placeholder"]["text"] for _p, b in message.all_blocks() if b["type"] == "actions"
            for e in b["elements"] if e["type"] == "static_select"]


async def test_colour_and_emoji_follow_the_status(world: World):
    card = await create(world, "Search is slow")
    assert look(card) == STATUS_LOOK["triggered"]
    assert selects(card) == []  # no Snooze until someone acknowledges (a snooze needs an owner)
    # The title shows once: in the header; the top-level text is only the notification.
    assert sum("Search is slow" in b["text"]["text"] for _p, b in card.all_blocks()
               if isinstance(b.get("text"), dict)) == 1
    assert validate_message(card.blocks, card.attachments) == []
    await world.alice.click(card, "Acknowledge")
    card = await changed(world, card, "Acknowledged ✓")
    assert look(card) == STATUS_LOOK["acknowledged"]
    assert selects(card) == ["Snooze"]
    await world.alice.select(card, "15 minutes", placeholder="Snooze")
    card = await changed(world, card, "Snoozed until")
    assert look(card) == STATUS_LOOK["snoozed"]
    assert selects(card) == ["Snooze"]  # snoozed: can be snoozed again
    await world.alice.click(card, "Resolve")
    await world.alice.submit()
    card = await changed(world, card, "Resolved ✓")
    assert look(card) == STATUS_LOOK["resolved"]
    assert card.buttons() == ["Reopen", "View"]  # no Acknowledge, Snooze or More ⋯
    kinds = [e["type"] for _p, b in card.all_blocks() if b["type"] == "actions"
             for e in b["elements"]]
    assert kinds == ["button", "button"]


async def test_p1_and_p2_read_apart(world: World):
    card = await create(world, "Checkout down", severity="P1", channel="incidents-critical")
    assert card.blocks[0]["text"]["text"] == "🔴 P1 · Checkout down"
    assert "*Severity*\nP1 · Critical" in card.all_text()
    await world.alice.slash_command("/incident", "create Checkout slow --sev P2",
                                    channel=world.channel("incidents"))
    second = await world.card("incidents", "INC-2")
    assert "*Severity*\nP2 · High" in second.all_text()


async def test_overdue_marker_when_the_ack_sla_passes(world: World):
    card = await create(world, "Disk full", severity="P1", channel="incidents-critical")
    due = int(world.clock.now() + 5 * 60)  # P1: acknowledge within 5 minutes
    assert f"*SLA*\nAck by <!date^{due}^" in card.all_text()
    await world.clock.advance(4 * 60)
    await world.settle()
    assert "overdue" not in world.fresh(card).all_text()
    await world.clock.advance(60 + 1)  # the SLA timer fires: its breach event re-renders
    card = await changed(world, card, "⚠️ Ack overdue since")
    assert f"*SLA*\n⚠️ Ack overdue since <!date^{due}^" in card.all_text()
    await world.alice.click(card, "Acknowledge")
    card = await changed(world, card, "Resolve by")  # the next deadline, not yet passed
    assert "overdue" not in card.all_text()


async def test_severity_change_moves_the_enforced_deadline(world: World):
    """P3 → P1: the card's "Ack by" and the SLA timer that fires move to P1's deadline."""
    card = await create(world, "Cache cold")  # P3: acknowledge within 60 minutes
    start = world.clock.now()
    assert f"*SLA*\nAck by <!date^{int(start + 3600)}^" in card.all_text()
    await world.settle()  # the SLA timers are armed with the triggered event
    await world.clock.advance(60)
    await world.alice.slash_command("/incident", "severity INC-1 P1",
                                    channel=world.channel("incidents"))
    card = await changed(world, card, f"*SLA*\nAck by <!date^{int(start + 300)}^")
    await world.clock.advance(3 * 60)
    await world.settle()
    assert "overdue" not in world.fresh(card).all_text()
    await world.clock.advance(60 + 1)  # P1's 5 minutes are up: the moved timer fires
    await world.reply("incidents", card,
                      "⚠️ SLA breached: INC-1 was not acknowledged within 5 min.")
    await changed(world, card, f"⚠️ Ack overdue since <!date^{int(start + 300)}^")
    await world.clock.advance(60 * 60)  # past P3's old deadline: nothing fires again
    await world.settle()
    breaches = [m for m in world.emu.thread(card.channel, card.ts) if "SLA breached" in m.text]
    assert len(breaches) == 1


async def test_reopen_from_the_card_restarts_the_deadline(world: World):
    card = await create(world, "Queue stuck", severity="P1", channel="incidents-critical")
    await world.runtime.beacon.incidents.resolve("INC-1", "UBOB", "")
    card = await changed(world, card, "Resolved ✓")
    await world.clock.advance(3600)
    reopened_at = world.clock.now()
    await world.bob.click(card, "Reopen")
    await world.reply("incidents-critical", card, "was reopened by <@UBOB>")
    card = await changed(world, card, "reopened <!date^")
    assert look(card) == STATUS_LOOK["triggered"]
    assert f"*SLA*\nAck by <!date^{int(reopened_at + 300)}^" in card.all_text()
    assert card.buttons() == ["Acknowledge", "Resolve", "View"]
    incident = await world.runtime.beacon.incidents.get("INC-1")
    assert incident.is_open and incident.reopened_at == reopened_at
    # the old round's deadline has long passed; the new one is what fires
    await world.clock.advance(301)
    await changed(world, card, f"⚠️ Ack overdue since <!date^{int(reopened_at + 300)}^")


async def test_more_menu_reassign_note_severity_update(world: World):
    card = await create(world, "Payments 500s")
    menu = overflow(card)
    assert [o["text"]["text"] for o in menu["options"]] == [
        "Reassign…", "Add note…", "Change severity…", "Escalate now…", "Post update…"]
    alice = world.alice

    await alice.select(card, "Reassign…", block_id=BlockId.ACTIONS)
    assert alice.current_view().title == "Reassign INC-1"
    await alice.fill({"Assignee": "UCAROL"})
    assert (await alice.submit()).errors == {}
    await world.reply("incidents", card, "assigned this to <@UCAROL>")
    await changed(world, card, "*Assignee*\n<@UCAROL>")

    await alice.select(card, "Add note…", block_id=BlockId.ACTIONS)
    await alice.fill({"Note": "rolled back <!here>"})
    assert (await alice.submit()).errors == {}
    note = await world.reply("incidents", card, "📝 Note from")
    assert "rolled back &lt;!here&gt;" in note.text

    await alice.select(card, "Change severity…", block_id=BlockId.ACTIONS)
    assert alice.current_view().title == "Severity of INC-1"
    await alice.fill({"Severity": "P2 · High (HIGH)"})
    assert (await alice.submit()).errors == {}
    await world.reply("incidents", card, "changed severity P3 → P2")
    card = await changed(world, card, "*Severity*\nP2 · High")
    assert card.blocks[0]["text"]["text"].startswith("🔴 P2 · ")

    await alice.select(card, "Post update…", block_id=BlockId.ACTIONS)
    await alice.fill({"Status update": "Mitigated, watching"})
    assert (await alice.submit()).errors == {}
    update = await world.reply("incidents", card, "📣 *Status update* from <@UALICE>")
    assert "Mitigated, watching" in update.text
    assert alice.current_view() is None


async def test_more_menu_modals_refuse_bad_fields(world: World):
    card = await create(world, "Login broken")
    alice = world.alice
    await alice.select(card, "Change severity…", block_id=BlockId.ACTIONS)
    view = alice.current_view()
    # A severity Beacon does not know (the config changed while the modal was open).
    view.values[BlockId.SEVERITY] = {ActionId.SEVERITY: {
        "type": "static_select",
        "selected_option": {"text": {"type": "plain_text", "text": "P9"}, "value": "P9"}}}
    result = await alice.submit()
    assert result.errors_by_label == {"Severity": "`P9` is not a severity. Use P1, P2, P3 or P4."}
    await alice.fill({"Severity": "P3 · Moderate (MEDIUM)"})  # what it is already
    result = await alice.submit()
    assert list(result.errors_by_label) == ["Severity"], result.errors
    assert "already" in result.errors_by_label["Severity"]
    assert alice.current_view() is not None
    await alice.close_view()
    await alice.select(card, "Add note…", block_id=BlockId.ACTIONS)
    await alice.fill({"Note": "   "})
    assert (await alice.submit()).errors_by_label == {"Note": "Write the note."}
    await alice.close_view()
    # No escalation policy here: told at once, no modal.
    await alice.select(card, "Escalate now…", block_id=BlockId.ACTIONS)
    told = await alice.wait_ephemeral("no escalation policy", card.channel)
    assert "INC-1" in told.text and alice.current_view() is None
    assert (await world.runtime.beacon.incidents.get("INC-1")).severity == "P3"


# --- with an escalation policy ---------------------------------------------------------------


# The on-call tests' world (policy "standard": level 1 the primary schedule, level 2 carol).
oncall_config = oncall_tests.oncall_config
ow = oncall_tests.ow


async def test_escalate_now_pages_the_next_level_from_the_card(ow: World):
    card = await create(ow, "Cards declined", extra=" --service payments",
                        channel="payments-oncall")
    await ow.reply("payments-oncall", card, "📟 Paged <@UBOB> (level 1)")
    await ow.alice.select(card, "Escalate now…", block_id=BlockId.ACTIONS)
    view = ow.alice.current_view()
    assert view.title == "Escalate INC-1"
    assert "Page level 2 of *standard* now" in "\n".join(
        b["text"]["text"] for b in view.blocks if b["type"] == "section")
    assert (await ow.alice.submit()).errors == {}
    await ow.reply("payments-oncall", card, "⬆️ Escalated to <@UCAROL>")
    await changed(ow, card, "*Escalation*\nLevel 2")
    incident = await ow.runtime.beacon.incidents.get("INC-1")
    assert incident.esc_level == 2
    timeline = await ow.runtime.beacon.incidents.timeline("INC-1")
    assert [e.actor for e in timeline if e.type.value == "incident.escalated"] == ["UALICE"]
    # level 1's timer no longer fires into level 2: only level 2's own timer is left
    await ow.clock.advance(5 * 60 + 1)
    await ow.settle()
    assert (await ow.runtime.beacon.incidents.get("INC-1")).esc_level == 2
    await ow.bob.click(ow.fresh(card), "Acknowledge")
    card = await changed(ow, card, "Acknowledged ✓")
    await ow.alice.select(card, "Escalate now…", block_id=BlockId.ACTIONS)
    told = await ow.alice.wait_ephemeral("is acknowledged", card.channel)
    assert "INC-1" in told.text and ow.alice.current_view() is None


async def test_page_dm_offers_the_card_actions(ow: World):
    card = await create(ow, "Refunds failing", extra=" --service payments",
                        channel="payments-oncall")
    dm = (await ow.emu.wait_for(
        lambda: [m for m in ow.emu.dms("UBOB") if "You are paged" in m.all_text()], timeout=10))[0]
    assert "Acknowledge" in dm.buttons() and overflow(dm)["action_id"] == ActionId.MORE
    assert selects(dm) == []  # not acknowledged yet: no Snooze
    # The title shows once: the push text is only the notification (the DM has top-level
    # blocks), the lead line above the card names the level, the card's header the title.
    assert dm.text == "📟 P3 INC-1: Refunds failing"
    assert dm.blocks[0]["text"]["text"] == "📟 You are paged at level 1 for INC-1"
    shown = [t for _p, b in dm.all_blocks() if isinstance(b.get("text"), dict)
             for t in [b["text"]["text"]] if "Refunds failing" in t]
    assert shown == ["🔴 P3 · Refunds failing"]
    await ow.bob.select(dm, "Add note…", block_id=BlockId.ACTIONS)
    await ow.bob.fill({"Note": "looking from my phone"})
    assert (await ow.bob.submit()).errors == {}
    await ow.reply("payments-oncall", card, "📝 Note from <@UBOB>")
    await ow.bob.click(ow.fresh(dm), "Acknowledge")
    dm = await ow.emu.wait_for(
        lambda: (m := ow.fresh(dm)) and "was acknowledged" in m.all_text() and m, timeout=10)
    assert dm.blocks[0]["text"]["text"] == "✓ INC-1 was acknowledged by <@UBOB>"
    assert selects(dm) == ["Snooze"]  # now it can work, on the page DM too
