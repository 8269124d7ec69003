"""Acks never wait on Slack's Web API, and every answer survives an outage (issue 17); the
declare confirmation says where the card went, with its link, for each door (issue 15)."""

from __future__ import annotations

import asyncio

import pytest

from app.domain.models import Event, EventType, NewIncident
from app.notifier.handlers.declared import DeclareConfirmation
from slack_emulator.models import Message
from slack_emulator.webapi import METHODS
from tests.e2e.conftest import World
from views.ids import CallbackId

SEV = {"P1": "P1 · Critical (HIGH)", "P2": "P2 · High (HIGH)", "P3": "P3 · Moderate (MEDIUM)"}
# Everything Slack could answer with a fault except views.open (a modal must open within the
# trigger's 3 s, so that one call stays in the listener), and the response_url posts.
FAULTED = [m for m in sorted(METHODS) if m.startswith(("chat.", "views.")) and m != "views.open"]
FAULTED.append("response_url")
ACK_WITHIN_S = 1.0  # Slack gives 3 s; an ack that waited on a failing call would take longer


def outage(world: World, kind: str) -> None:
    for method in FAULTED:
        if kind == "503":
            world.emu.fail_method(method, "service_unavailable", status=503, times=10**6)
        else:
            world.emu.rate_limit(method, times=10**6, retry_after=30)


async def answered(world: World) -> None:
    """Every event applied and every answer delivered."""
    await world.settle()
    answers = world.runtime.beacon.stores.answers
    async with asyncio.timeout(10):
        while await answers.waiting():  # noqa: ASYNC110 - Redis state has no Event
            await asyncio.sleep(0.01)


def said(messages: list[Message], text: str) -> int:
    return len([m for m in messages if text in m.all_text()])


@pytest.mark.parametrize("kind", ["503", "429"])
async def test_slack_failing_every_write_acks_at_once_and_answers_once_when_back(
    world: World, kind: str
):
    beacon = world.runtime.beacon
    ch = world.channel("incidents")
    alice, bob, carol = world.alice, world.bob, world.carol
    await beacon.incidents.declare(NewIncident(title="Checkout down", severity="P3",
                                               reporter="UCAROL"))
    card = await world.card("incidents")
    await world.settle()
    source = world.emu.post_message(world.emu.channels[ch], "UBOB", "db is on fire")
    outage(world, kind)
    first = len(world.emu.acks)

    help_ = await alice.slash_command("/incident", "help", channel=ch)
    assert help_.text and "/incident list" in help_.text  # the answer is the ack itself
    await alice.slash_command("/incident", "list", channel=ch)
    await alice.slash_command("/incident", "ack INC-1", channel=ch)
    await bob.slash_command("/incident", "ack INC-1", channel=ch)  # refused: already done
    await carol.click(card, "Acknowledge")  # the card could not be updated: refused too
    await bob.slash_command("/incident", "", channel=ch)  # views.open still answers
    await bob.fill({"Title": "Queue stuck", "Severity": SEV["P3"]})
    assert (await bob.submit()).errors == {}
    await carol.global_shortcut(CallbackId.DECLARE_SHORTCUT)
    await carol.close_view()
    await carol.message_shortcut(CallbackId.DECLARE_FROM_MESSAGE, ch, source.ts)
    await carol.close_view()
    await alice.react(source, "eyes")  # an event
    await alice.open_app_home()  # views.publish failing: the tab comes once Slack is back

    acks = world.emu.acks[first:]
    assert {(a.envelope_type, a.payload_type) for a in acks} == {
        ("slash_commands", "/incident"),
        ("interactive", "block_actions"),
        ("interactive", "view_submission"),
        ("interactive", "shortcut"),
        ("interactive", "message_action"),
        ("events_api", "reaction_added"),
        ("events_api", "app_home_opened"),
    }
    assert len(acks) == 11
    slowest = max(a.latency_s for a in acks)
    assert slowest < ACK_WITHIN_S, slowest
    # Beacon tried (and Slack refused) while it was down; nobody was told anything yet.
    await world.emu.wait_for(lambda: len(world.emu.calls_to("response_url")) >= 3, timeout=5)
    assert [m.text.split("\n")[0] for m in alice.ephemerals(ch)] == [help_.text.split("\n")[0]]
    assert bob.ephemerals(ch) == carol.ephemerals(ch) == []
    assert alice.home_view() is None

    world.emu.clear_faults()
    await world.clock.advance(31)  # past Retry-After
    await answered(world)
    mine, bobs, carols = alice.ephemerals(ch), bob.ephemerals(ch), carol.ephemerals(ch)
    assert said(mine, "Open incidents (1)") == 1
    assert said(mine, "You acknowledged *INC-1*.") == 1
    assert said(bobs, "INC-1 was already acknowledged by <@UALICE>") == 1
    assert said(carols, "INC-1 was already acknowledged by <@UALICE>") == 1
    incident = await beacon.incidents.get("INC-2")
    assert incident.permalink  # the card went out once Slack was back, then the confirmation
    assert said(bobs, f"Declared <{incident.permalink}|INC-2> → <#{ch}>") == 1
    assert (len(mine), len(bobs), len(carols)) == (3, 2, 1)  # nothing twice (help: its ack)
    assert world.emu.dms("UALICE") == world.emu.dms("UCAROL") == []
    home = await world.emu.wait_for(alice.home_view, timeout=10)
    assert "INC-1" in str(home.blocks)


async def test_an_answer_goes_to_its_person_while_a_channel_is_rate_limited(world: World):
    """A busy channel holds up its own lane, not an answer to someone acting in it."""
    ch = world.channel("incidents")
    await world.runtime.beacon.incidents.declare(
        NewIncident(title="Noisy", severity="P3", reporter="UCAROL"))
    await world.card("incidents")
    world.emu.rate_limit("chat.postMessage", times=10**6, retry_after=30)  # the channel waits
    await world.runtime.beacon.incidents.add_note("INC-1", "UCAROL", "stuck behind Slack")
    await world.alice.slash_command("/incident", "ack INC-1", channel=ch)
    told = await world.alice.wait_ephemeral("You acknowledged *INC-1*.", ch)
    assert told.text
    assert world.emu.thread(world.channel("incidents"), (await world.card("incidents")).ts) == []
    world.emu.clear_faults()
    await world.clock.advance(31)
    await answered(world)


async def test_an_expired_response_url_falls_back_to_an_ephemeral(world: World):
    ch = world.channel("incidents")
    # Slack sits on the answer for longer than a response_url lives.
    world.emu.fail_method("response_url", "service_unavailable", status=503, times=10**6)
    world.emu.fail_method("chat.postEphemeral", "service_unavailable", status=503, times=10**6)
    await world.alice.slash_command("/incident", "list", channel=ch)
    await world.emu.wait_for(lambda: world.emu.calls_to("response_url"), timeout=5)
    await world.clock.advance(31 * 60)
    for url in world.emu.response_urls.values():  # Slack's side of the same half hour
        url.expires_at = 0
    world.emu.clear_faults()
    await answered(world)
    assert said(world.alice.ephemerals(ch), "No open incidents") == 1
    posted = [c for c in world.emu.calls_to("chat.postEphemeral") if c.args.get("user")]
    assert posted and posted[-1].args["user"] == "UALICE"


async def test_list_paging_replaces_the_page_through_the_answer_path(world: World):
    beacon = world.runtime.beacon
    for n in range(27):
        await beacon.incidents.declare(NewIncident(title=f"Open {n}", severity="P4",
                                                   reporter="UCAROL"))
    ch = world.channel("incidents")
    await world.alice.slash_command("/incident", "list", channel=ch)
    page = await world.alice.wait_ephemeral("Open incidents (27)", ch)
    world.emu.fail_method("response_url", "service_unavailable", status=503, times=3)
    result = await world.alice.click(page, "Next 25 →")
    assert result.ack is not None and result.ack.latency_s < ACK_WITHIN_S
    await world.emu.wait_for(lambda: "Showing 26–27 of 27" in page.all_text(), timeout=5)
    assert said(world.alice.ephemerals(ch), "Open incidents") == 1  # replaced, not added


# --- the declare confirmation, door by door ------------------------------------------------


async def test_declare_confirmation_says_where_with_the_cards_link_for_each_door(world: World):
    beacon = world.runtime.beacon
    ch = world.channel("incidents")
    random = world.channel("random")
    alice, bob, carol = world.alice, world.bob, world.carol

    async def link(incident_id: str) -> str:
        incident = await beacon.incidents.get(incident_id)
        assert incident.permalink
        return f"<{incident.permalink}|{incident_id}>"

    # 1. the slash command: through its response_url, in the channel it was typed in
    await alice.slash_command("/incident", "declare Checkout down --sev P1", channel=ch)
    critical = await world.card("incidents-critical", "INC-1")
    told = await alice.wait_ephemeral("Declared <", ch)
    assert told.text == f"Declared {await link('INC-1')} → <#{critical.channel}>"

    # 2. the modal opened by `/incident`: the same, after the card
    await bob.slash_command("/incident", "", channel=ch)
    await bob.fill({"Title": "Queue stuck", "Severity": SEV["P3"]})
    await bob.submit()
    await world.card("incidents", "INC-2")
    told = await bob.wait_ephemeral("Declared <", ch)
    assert told.text == f"Declared {await link('INC-2')} → <#{ch}>"

    # 3. the global shortcut: no channel, so a DM
    await carol.global_shortcut(CallbackId.DECLARE_SHORTCUT)
    await carol.fill({"Title": "Search slow", "Severity": SEV["P3"]})
    await carol.submit()
    await world.card("incidents", "INC-3")
    dms = await world.emu.wait_for(lambda: world.emu.dms("UCAROL"), timeout=5)
    assert [m.text for m in dms] == [f"Declared {await link('INC-3')} → <#{ch}>"]

    # 4. the message shortcut: a reply in the source message's thread, for everyone there
    source = world.emu.post_message(world.emu.channels[random], "UBOB", "payments 500s")
    await alice.message_shortcut(CallbackId.DECLARE_FROM_MESSAGE, random, source.ts)
    await alice.fill({"Severity": SEV["P3"]})
    await alice.submit()
    await world.card("incidents", "INC-4")
    reply = await world.emu.wait_message(random, "declared", thread_ts=source.ts, timeout=5)
    assert reply.text == (
        f"🚨 <@UALICE> declared {await link('INC-4')} from this message → <#{ch}>")

    await answered(world)
    assert said(alice.ephemerals(ch), "Declared <") == 1  # the message shortcut's is threaded
    assert said(alice.ephemerals(random), "Declared") == 0
    assert said(bob.ephemerals(ch), "Declared <") == 1
    assert len(world.emu.dms("UCAROL")) == 1
    assert said(world.emu.thread(random, source.ts), "declared") == 1


async def test_a_replayed_declare_event_confirms_once(world: World):
    """The confirmation is queued under the incident's "declared" role: an event applied
    again (a crash before its finish) finds it and sends nothing more."""
    ch = world.channel("incidents")
    await world.alice.slash_command("/incident", "declare Disk full --sev P3", channel=ch)
    await world.card("incidents", "INC-1")
    await answered(world)
    notifier = world.runtime.beacon.notifier
    incident = await world.runtime.beacon.incidents.get("INC-1")
    replay = Event("INC-1#1", EventType.TRIGGERED, "INC-1", 1, "UALICE", world.clock.now())
    await DeclareConfirmation(notifier).on_triggered(incident, replay, True)
    await answered(world)
    assert said(world.alice.ephemerals(ch), "Declared <") == 1


async def test_an_answer_reaches_slack_within_tens_of_ms_of_the_ack(world: World):
    ch = world.channel("incidents")
    gaps = []
    for n in range(10):
        result = await world.alice.slash_command("/incident", "list", channel=ch)
        posted = await world.emu.wait_for(
            lambda n=n: world.emu.calls_to("response_url")[n:] or None, timeout=5)
        gaps.append(posted[0].at - result.ack.received_at)
    gaps.sort()
    print(f"ack -> answer at Slack: median {gaps[5] * 1000:.1f} ms, max {gaps[-1] * 1000:.1f} ms")
    assert gaps[5] < 0.1, gaps  # the notifier is woken by the XADD, not by a poll
