"""Block Kit builders and text helpers: pure tests of their output."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from slack_bolt.response import BoltResponse

from app.config import BeaconConfig
from app.domain.approvals import Approval, ApprovalStatus, Risk
from app.domain.errors import InvalidFields, InvalidInput
from app.domain.escalation import Step
from app.domain.escalations import EscalationPlan
from app.domain.incidents import IncidentService
from app.domain.models import Event, EventType, Incident, NewIncident, Status
from app.domain.refusals import Refusal, RefusalCode, describe
from listeners.commands.parse import parse, user_id_from
from listeners.errors import handle_error
from slack_emulator.blockkit import validate_message, validate_view
from views import blocks
from views import incident as card
from views.context import CardAction, DeclareContext, IncidentModalContext, IncidentRef
from views.ids import ActionId, BlockId, CallbackId, CardVerb, OptionValue
from views.modals import FIELD_BLOCKS, field_block, field_errors
from views.modals.declare import DeclareForm, declare_modal, message_prefill
from views.modals.deny import deny_modal
from views.modals.escalate import escalate_modal
from views.modals.note import NoteForm, note_modal
from views.modals.reassign import ReassignForm, reassign_modal
from views.modals.resolve import resolve_modal
from views.modals.retro import retro_modal
from views.modals.severity import SeverityForm, severity_modal
from views.modals.snooze import SnoozeForm, snooze_modal
from views.modals.status_update import StatusUpdateForm, status_update_modal
from views.mrkdwn import escape, format_duration, parse_duration
from views.refusals import refusal_text

NOW = 1_800_000_000.0


def make(**kw) -> Incident:
    base = dict(
        id="INC-7",
        number=7,
        title="Checkout <!channel> down",
        description="<@U999> pls",
        service="payments",
        severity="P1",
        status=Status.TRIGGERED,
        reporter="UALICE",
        assignee=None,
        created_at=NOW - 180,
    )
    base.update(kw)
    return Incident(**base)


def texts(blocks) -> str:
    out = []
    for b in blocks:
        for key in ("text",):
            if isinstance(b.get(key), dict):
                out.append(b[key]["text"])
        out += [f["text"] for f in b.get("fields", [])]
        out += [e.get("text", "") for e in b.get("elements", []) if isinstance(e.get("text"), str)]
    return "\n".join(out)


def buttons(blocks) -> list[str]:
    """Buttons and select menus by their label (an overflow menu has none: it shows ⋯)."""
    return [
        e["text"]["text"] if e["type"] == "button" else e["placeholder"]["text"]
        for b in blocks
        if b["type"] == "actions"
        for e in b["elements"]
        if e["type"] != "overflow"
    ]


def test_escape_blocks_broadcasts_and_links():
    hostile = "<!channel> <!here> <!subteam^S1> <https://evil.example|click> @here & @channel"
    out = escape(hostile)
    assert "<" not in out and ">" not in out
    assert "&lt;!channel&gt;" in out and "&amp;" in out
    assert "@here" not in out and "@channel" not in out


def test_escape_keeps_people_and_channels_as_slack_sends_them():
    out = escape("ask <@UALICE|alice> in <#C0123|ops> & <@UBOB> <@UX|<!here>>")
    assert out.startswith("ask <@UALICE> in <#C0123> &amp; <@UBOB> ")
    assert "<!here>" not in out  # a broadcast smuggled into a label stays text


def test_card_escapes_user_text_and_shows_every_field(config: BeaconConfig):
    blocks = card.card_blocks(make(), config, now=NOW)
    # The header is plain_text, which Slack never parses for mentions; everything else is
    # mrkdwn and must carry no live markup from the user.
    assert blocks[0]["type"] == "header" and blocks[0]["text"]["type"] == "plain_text"
    body = texts(blocks[1:])
    assert "<!channel>" not in body and "<@U999> pls" in body  # people stay mentions
    fallback = card.fallback_text(make(), config)
    assert "<!channel>" not in fallback and "&lt;!channel&gt;" in fallback
    for label in (
        "*Status*\nTriggered <!date^",
        "*Severity*\nP1 · Critical",
        "*Service*\nPayments",
        "*Assignee*",
        "*SLA*\nAck by <!date^",
    ):
        assert label in body, label
    names = [f["text"].split("\n")[0] for b in blocks for f in b.get("fields", [])]
    assert len(names) == len(set(names))  # no field repeats another
    # No Snooze before an ack: snooze.lua would refuse it (a snooze needs an owner).
    assert buttons(blocks) == ["Acknowledge", "Resolve"]
    actions = next(b for b in blocks if b["block_id"] == BlockId.ACTIONS)["elements"]
    assert IncidentRef.parse(actions[0]["value"]).incident_id == "INC-7"
    acked = make(status=Status.ACKNOWLEDGED, acknowledged_by="UBOB", acknowledged_at=NOW)
    acked_actions = next(b for b in card.card_blocks(acked, config, now=NOW)
                         if b["block_id"] == BlockId.ACTIONS)["elements"]
    assert [o["text"]["text"] for o in acked_actions[1]["options"]] == [
        "15 minutes",
        "30 minutes",
        "1 hour",
        "4 hours",
        "Custom…",
    ]
    more = actions[-1]
    assert more["type"] == "overflow" and more["action_id"] == ActionId.MORE
    verbs = [CardAction.parse(o["value"]) for o in more["options"]]
    assert [v.verb for v in verbs] == list(CardVerb) and {v.incident_id for v in verbs} == {
        "INC-7"}


def test_card_colour_and_emoji_follow_the_status(config: BeaconConfig):
    states = {
        "triggered": make(),
        "acknowledged": make(status=Status.ACKNOWLEDGED, acknowledged_by="UBOB",
                             acknowledged_at=NOW),
        "snoozed": make(status=Status.ACKNOWLEDGED, snoozed_until=NOW + 600),
        "resolved": make(status=Status.RESOLVED, resolved_by="UBOB", resolved_at=NOW),
    }
    seen = {}
    for name, incident in states.items():
        message = card.card_message(incident, config, now=NOW)
        header = message["blocks"][0]["text"]["text"]
        seen[name] = (message["attachments"][0]["color"], header.split(" ")[0])
        assert header.endswith("P1 · Checkout <!channel> down"), header
    assert seen == {
        "triggered": ("#E01E5A", "🔴"),
        "acknowledged": ("#ECB22E", "🟠"),
        "snoozed": ("#9E9EA6", "💤"),
        "resolved": ("#2EB67D", "✅"),
    }


def test_card_follows_status(config: BeaconConfig):
    acked = make(
        status=Status.ACKNOWLEDGED,
        acknowledged_by="UBOB",
        acknowledged_at=NOW,
        permalink="https://x.slack.com/archives/C1/p1",
    )
    blocks = card.card_blocks(acked, config, now=NOW)
    assert "Acknowledged ✓ by <@UBOB> <!date^" in texts(blocks)
    assert buttons(blocks) == ["Resolve", "Snooze", "View"]
    assert "*SLA*\nResolve by <!date^" in texts(blocks)
    snoozed = replace(acked, snoozed_until=NOW + 600)
    blocks = card.card_blocks(snoozed, config, now=NOW)
    assert "Snoozed until <!date^" in texts(blocks)
    assert buttons(blocks) == ["Resolve", "Snooze", "View"]  # snooze again, for longer
    done = make(status=Status.RESOLVED, resolved_by="UBOB", resolved_at=NOW)
    blocks = card.card_blocks(done, config, now=NOW)
    assert "Resolved ✓ by <@UBOB> after 3 min" in texts(blocks)
    assert buttons(blocks) == ["Reopen"]  # no Acknowledge, Snooze or More ⋯ once resolved
    reopen = next(b for b in blocks if b["type"] == "actions")["elements"][0]
    assert reopen["action_id"] == ActionId.REOPEN
    assert "*SLA*\nMet ✓" in texts(blocks)
    late = replace(done, sla_ack_breached=True)
    assert "*SLA*\n⚠️ Missed: ack" in texts(card.card_blocks(late, config, now=NOW))


def test_overdue_sla_shows_on_the_card(config: BeaconConfig):
    due = int(NOW - 180 + 5 * 60)  # P1: acknowledge within 5 minutes of the trigger
    overdue = card.card_blocks(make(sla_ack_breached=True), config, now=NOW + 600)
    assert f"*SLA*\n⚠️ Ack overdue since <!date^{due}^" in texts(overdue)
    acked = make(status=Status.ACKNOWLEDGED, sla_ack_breached=True, sla_resolve_breached=True)
    resolve_due = int(NOW - 180 + 240 * 60)
    assert f"⚠️ Resolve overdue since <!date^{resolve_due}^" in texts(
        card.card_blocks(acked, config, now=NOW))


def test_reopened_card_reads_the_restarted_deadline(config: BeaconConfig):
    reopened = make(reopened_at=NOW + 3600, epoch="9")
    blocks = card.card_blocks(reopened, config, now=NOW + 3600)
    assert f"Ack by <!date^{int(NOW + 3600 + 5 * 60)}^" in texts(blocks)
    assert "reopened <!date^" in texts(blocks) and f"opened <!date^{int(NOW - 180)}^" in texts(
        blocks)


def test_card_shows_its_title_once(config: BeaconConfig):
    """Top-level blocks make `text` the notification fallback only, so the title is shown in
    the header alone; the attachment below it carries the rest and the status colour."""
    message = card.card_message(make(), config, now=NOW)
    assert [b["type"] for b in message["blocks"]] == ["header"]
    shown = texts(message["blocks"]) + texts(message["attachments"][0]["blocks"])
    assert shown.count("Checkout") == 1
    assert message["text"] == card.fallback_text(make(), config)
    assert validate_message(message["blocks"], message["attachments"]) == []


def test_severity_stays_readable_apart_from_the_colour(config: BeaconConfig):
    p1, p2 = (card.card_message(make(severity=s), config, now=NOW) for s in ("P1", "P2"))
    assert p1["attachments"][0]["color"] == p2["attachments"][0]["color"]  # both triggered
    assert p1["blocks"] != p2["blocks"]
    assert "*Severity*\nP2 · High" in texts(p2["attachments"][0]["blocks"])


def test_more_menu_modals_and_their_forms(config: BeaconConfig):
    incident = make(assignee="UBOB")
    ctx = _ctx()
    views = {
        CallbackId.REASSIGN_MODAL: reassign_modal(incident, context=ctx),
        CallbackId.NOTE_MODAL: note_modal(incident, context=ctx),
        CallbackId.SEVERITY_MODAL: severity_modal(incident, config, context=ctx),
        CallbackId.UPDATE_MODAL: status_update_modal(incident, context=ctx),
        CallbackId.ESCALATE_MODAL: escalate_modal(
            EscalationPlan(incident, "payments", Step(1, 0), Step(2, 0)), context=ctx),
    }
    for callback, view in views.items():
        assert view["callback_id"] == callback and len(view["title"]["text"]) <= 24
        assert IncidentModalContext.parse(view["private_metadata"]).incident_id == "INC-1"
        assert validate_view(view) == [], callback
    assert views[CallbackId.REASSIGN_MODAL]["blocks"][1]["element"]["initial_user"] == "UBOB"
    sev = views[CallbackId.SEVERITY_MODAL]["blocks"][1]["element"]
    assert sev["initial_option"]["value"] == "P1" and len(sev["options"]) == 4
    assert "Page level 2 of *payments* now" in texts(views[CallbackId.ESCALATE_MODAL]["blocks"])

    def state(view: dict, block: str, action: str, value: dict) -> dict:
        return {**view, "state": {"values": {block: {action: value}}}}

    reassign = state(views[CallbackId.REASSIGN_MODAL], BlockId.ASSIGNEE, ActionId.ASSIGNEE,
                     {"selected_user": "UC"})
    assert ReassignForm.from_view(reassign).assignee == "UC"
    severity = state(views[CallbackId.SEVERITY_MODAL], BlockId.SEVERITY, ActionId.SEVERITY,
                     {"selected_option": {"value": "P2"}})
    assert SeverityForm.from_view(severity).severity == "P2"
    assert NoteForm.from_view(state(views[CallbackId.NOTE_MODAL], BlockId.NOTE, ActionId.NOTE,
                                    {"value": " rolled back "})).text == "rolled back"
    update = views[CallbackId.UPDATE_MODAL]
    assert StatusUpdateForm.from_view(state(update, BlockId.STATUS_UPDATE, ActionId.UPDATE_TEXT,
                                            {"value": "mitigated"})).text == "mitigated"
    for form, view in ((NoteForm, views[CallbackId.NOTE_MODAL]), (StatusUpdateForm, update),
                       (ReassignForm, views[CallbackId.REASSIGN_MODAL]),
                       (SeverityForm, views[CallbackId.SEVERITY_MODAL])):
        with pytest.raises(InvalidInput) as refused:  # blank: refused on its own field
            form.from_view({**view, "state": {"values": {}}})
        block = field_block(view, refused.value.field)
        assert block and block in {b["block_id"] for b in view["blocks"] if b["type"] == "input"}


def test_header_stays_within_slack_limit(config: BeaconConfig):
    blocks = card.card_blocks(make(title="x" * 150), config, now=NOW)
    assert len(blocks[0]["text"]["text"]) <= 150


def test_thread_text_attribution_and_escaping():
    inc = make()
    ev = Event("INC-7#2", EventType.ACKNOWLEDGED, "INC-7", 2, "UBOB", NOW, {"since_trigger": 180})
    assert card.thread_text(ev, inc) == "Acknowledged by <@UBOB> after 3 min."
    note = Event(
        "INC-7#3",
        EventType.NOTE_ADDED,
        "INC-7",
        3,
        "UBOB",
        NOW,
        {"text": "<!here> see <http://evil|x>"},
    )
    text = card.thread_text(note, inc)
    assert "<!here>" not in text and "<http" not in text
    resolved = Event(
        "INC-7#4",
        EventType.RESOLVED,
        "INC-7",
        4,
        "UBOB",
        NOW,
        {"duration": 3720, "note": "rollback"},
    )
    text = card.thread_text(resolved, inc)
    assert "after 1 h 2 min" in text and "rollback" in text


def test_modals_respect_slack_limits(config: BeaconConfig):
    modal = declare_modal(config, context=DeclareContext(channel_id="C1"), title="t" * 400)
    assert len(modal["title"]["text"]) <= 24 and modal["submit"]
    labels = [b["label"]["text"] for b in modal["blocks"]]
    assert labels == ["Title", "Description", "Service", "Severity", "Assignee", "Options"]
    title = modal["blocks"][0]["element"]
    assert len(title["initial_value"]) == 150 and title["action_id"] == ActionId.TITLE
    assert DeclareContext.parse(modal["private_metadata"]).channel_id == "C1"
    for view in (
        resolve_modal("INC-123456", "x", context=_ctx()),
        snooze_modal("INC-1", context=_ctx()),
    ):
        assert len(view["title"]["text"]) <= 24


def _ctx():
    from views.context import IncidentModalContext

    return IncidentModalContext(incident_id="INC-1")


def test_durations():
    assert parse_duration("90m") == 5400
    assert parse_duration("1h30m") == 5400
    assert parse_duration("2d") == 172800
    assert parse_duration("soon") is None and parse_duration("") is None
    assert format_duration(3720) == "1 h 2 min" and format_duration(5) == "5 s"
    assert format_duration(3600) == "1 h" and format_duration(5400) == "1 h 30 min"
    assert format_duration(3 * 86400) == "3 d" and format_duration(4320 * 60) == "3 d"
    assert format_duration(86400 + 300) == "1 d"  # no '1 d 5 min': the two largest, adjacent
    assert format_duration(2 * 86400 + 4 * 3600 + 59) == "2 d 4 h"
    assert format_duration(0) == "0 s" and format_duration(-5) == "0 s"


def test_command_parser():
    cmd = parse("create Checkout is down --sev p1 --service payments --assignee <@U123|bob>")
    assert cmd.name == "create" and cmd.rest == "Checkout is down"
    assert cmd.flags == {"severity": "p1", "service": "payments", "assignee": "<@U123|bob>"}
    assert user_id_from(cmd.flags["assignee"]) == "U123"
    assert parse("").name == "" and parse("LIST").name == "list"
    assert parse("create x --colour red").unknown_flags == ("colour",)
    assert parse('create "DB down" --desc "primary lost"').flags["description"] == "primary lost"


def test_refusals_read_the_same_in_slack_and_in_plain_text():
    acked = Refusal(RefusalCode.ALREADY_ACKNOWLEDGED, "INC-7", "UCAROL", by="UBOB", at=NOW)
    assert describe(acked) == "INC-7 was already acknowledged by UBOB at 08:00 UTC."
    assert refusal_text(acked) == (
        f"INC-7 was already acknowledged by <@UBOB> at <!date^{int(NOW)}^{{time}}|08:00 UTC>."
    )
    by_api = Refusal(RefusalCode.ALREADY_RESOLVED, "INC-7", by="api:ci")
    assert refusal_text(by_api) == "INC-7 is already resolved (by ci (API)); nothing was changed."
    held = Refusal(RefusalCode.ROLE_HELD, "INC-7", "UBOB", by="UBOB", value="commander")
    assert refusal_text(held) == "You are already Commander for INC-7."
    other = replace(held, actor="UCAROL")
    assert refusal_text(other) == "<@UBOB> is already Commander for INC-7."
    unacked = Refusal(RefusalCode.NOT_ACKNOWLEDGED, "INC-7", "UBOB")
    assert refusal_text(unacked) == (
        "INC-7 isn't acknowledged yet: a snooze stops the pages, so someone must own the "
        "incident first. Acknowledge it (the Acknowledge button, or `/incident ack INC-7`), "
        "then snooze."
    )
    for code in RefusalCode:  # every code has words, and the plain ones carry no markup
        plain = describe(Refusal(code, "APR-1", "UX", by="UBOB", at=NOW, value="v", step=0))
        assert "APR-1" in plain or "Step 1" in plain, code
        assert not any(mark in plain for mark in ("<", "*", "`")), plain


def test_each_modal_shows_domain_field_errors_on_its_own_blocks(config: BeaconConfig):
    approval = Approval(
        id="APR-1", number=1, operation="drop table", risk=Risk.HIGH, rollback="",
        requested_by="U1", approvers=("U2",), created_at=NOW, expires_at=NOW + 60,
        status=ApprovalStatus.PENDING,
    )
    declare = declare_modal(config, context=DeclareContext(channel_id="C1"))
    modals = [
        declare,
        resolve_modal("INC-7", "x", context=_ctx()),
        snooze_modal("INC-7", context=_ctx()),
        deny_modal(approval),
        retro_modal(make(), context=_ctx(), today="2027-01-15"),
        reassign_modal(make(), context=_ctx()),
        note_modal(make(), context=_ctx()),
        severity_modal(make(), config, context=_ctx()),
        status_update_modal(make(), context=_ctx()),
    ]
    assert {m["callback_id"] for m in modals} == set(FIELD_BLOCKS)
    for modal in modals:  # every table entry names an input block of its own modal
        inputs = {b["block_id"] for b in modal["blocks"] if b["type"] == "input"}
        assert set(FIELD_BLOCKS[modal["callback_id"]].values()) <= inputs, modal["callback_id"]
    # The declaration's validation speaks of fields the declare modal has blocks for.
    service = IncidentService(None, config, None)  # type: ignore[arg-type]  # pure check only
    bad = service.validate_new(NewIncident(title="", severity="P9", reporter="U1", service="x"))
    assert set(bad) == {"title", "severity", "service"} <= set(FIELD_BLOCKS[declare["callback_id"]])
    assert field_errors(declare, bad) == {
        BlockId.TITLE: bad["title"], BlockId.SEVERITY: bad["severity"],
        BlockId.SERVICE: bad["service"],
    }
    assert field_block(modals[2], "duration") == BlockId.SNOOZE_FOR
    assert field_block(modals[4], "date") == BlockId.RETRO_DATE
    assert field_block(modals[2], "title") is None  # not this modal's: the first input gets it
    assert field_errors(modals[2], {"title": "x"}) == {BlockId.SNOOZE_FOR: "x"}


def test_builders_carry_only_what_they_were_given():
    assert blocks.section("hi") == {"type": "section", "text": {"type": "mrkdwn", "text": "hi"}}
    assert blocks.button("Go", ActionId.ACK) == {
        "type": "button", "text": {"type": "plain_text", "text": "Go"}, "action_id": "incident-ack",
    }
    linked = blocks.button("View", ActionId.VIEW, "v", url="https://x", style="primary", emoji=True)
    assert linked["url"] == "https://x" and linked["text"]["emoji"] is True
    assert blocks.context("a", block_id="b") == {
        "type": "context", "block_id": "b", "elements": [{"type": "mrkdwn", "text": "a"}],
    }
    read_only = blocks.modal("T", [], close="Close")
    assert "callback_id" not in read_only and "submit" not in read_only


def test_each_modal_parses_its_own_submission(config: BeaconConfig):
    def submitted(modal: dict, values: dict) -> dict:
        return {**modal, "state": {"values": values}}

    declare = submitted(declare_modal(config, context=DeclareContext()), {
        BlockId.TITLE: {ActionId.TITLE: {"value": "  Down "}},
        BlockId.SEVERITY: {ActionId.SEVERITY: {"selected_option": {"value": "P2"}}},
        BlockId.OPTIONS: {ActionId.OPTIONS: {"selected_options": [
            {"value": OptionValue.DEDICATED_CHANNEL}]}},
    })
    form = DeclareForm.from_view(declare)
    assert (form.title, form.severity, form.wants_channel, form.service) == (
        "Down", "P2", True, None)
    source = DeclareContext(source_channel="C1", source_ts="1.2")
    new = form.new_incident("UALICE", source)
    assert (new.reporter, new.source_channel, new.source_ts) == ("UALICE", "C1", "1.2")
    snooze = snooze_modal("INC-7", context=_ctx())
    good = {BlockId.SNOOZE_FOR: {ActionId.SNOOZE_FOR: {"value": "1h30m"}}}
    assert SnoozeForm.from_view(submitted(snooze, good)).seconds == 5400
    bad = {BlockId.SNOOZE_FOR: {ActionId.SNOOZE_FOR: {"value": "soon"}}}
    with pytest.raises(InvalidInput) as refused:
        SnoozeForm.from_view(submitted(snooze, bad))
    assert field_block(snooze, refused.value.field) == BlockId.SNOOZE_FOR


def test_a_message_prefills_the_declare_modal_as_plain_text():
    prefill = message_prefill("<@U1> says <https://x|the site> is down\nsince 9:00")
    assert prefill == {
        "title": "@U1 says the site is down",
        "description": "@U1 says the site is down\nsince 9:00",
    }


async def test_a_declaration_shows_every_bad_field_on_its_own_block(config: BeaconConfig):
    service = IncidentService(None, config, None)  # type: ignore[arg-type]  # refused before I/O
    with pytest.raises(InvalidFields) as refused:
        await service.declare(NewIncident(title="", severity="P9", reporter="U1"))
    first = (refused.value.field, refused.value.user_message)
    assert first == ("title", "Give the incident a title.")  # what the API reports
    body = {"type": "view_submission", "view": declare_modal(config, context=DeclareContext())}
    not_acked = BoltResponse(status=200)
    answer = await handle_error(refused.value, body, None, not_acked, None)  # type: ignore[arg-type]
    assert answer is not None
    assert json.loads(answer.body) == {"response_action": "errors", "errors": {
        BlockId.TITLE: "Give the incident a title.",
        BlockId.SEVERITY: "Pick a severity: P1, P2, P3 or P4.",
    }}


def test_digest_names_services_as_the_card_does(config: BeaconConfig):
    from app.domain.digest import Digest, Window
    from views.digest import digest_blocks

    today = Window(incidents=3, alerts=3, by_severity={"P2": 3},
                   by_service={"payments": 2, "retired": 1}, mtta_s=5400, mttr_s=None)
    none = Window(incidents=0, alerts=0, by_severity={}, by_service={}, mtta_s=None, mttr_s=None)
    digest = Digest(start=NOW - 86400, end=NOW, today=today, yesterday=none, open_now={})
    text = texts(digest_blocks(digest, config))
    assert "*By service*  Payments: 2 · retired: 1" in text  # a key no longer configured: as is
    assert "1 h 30 min (day before —)" in text


def test_timeline_says_snooze_length_pages_and_escalations(config: BeaconConfig):
    from app.domain.models import TimelineEntry
    from views.incident_channel import timeline_lines, timeline_markdown

    inc = replace(make(), created_at=NOW)
    entries = [
        TimelineEntry(2, EventType.PAGED, "beacon", NOW, {
            "pages": [{"user": "UBOB", "level": 1}, {"user": "UCAROL", "level": 2}]}),
        TimelineEntry(3, EventType.SNOOZED, "UBOB", NOW + 60,
                      {"until": NOW + 60 + 14400, "seconds": 14400}),
        TimelineEntry(4, EventType.ESCALATED, "beacon", NOW + 600, {"level": 2, "round": 0}),
    ]
    lines = timeline_lines(inc, entries)
    assert lines[0] == "+0 s · paged <@UBOB> (level 1), <@UCAROL> (level 2)"
    assert lines[1].startswith("+1 min · snoozed by <@UBOB> for 4 h, until <!date^")
    assert lines[2] == "+10 min · escalated to level 2"
    document = timeline_markdown(inc, entries, {"UBOB": "Bob", "UCAROL": "Carol"})
    assert "| paged | Beacon | Bob (level 1), Carol (level 2) |" in document
    assert "| snoozed | Bob | for 4 h, until " in document
