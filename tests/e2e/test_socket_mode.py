"""The app over Socket Mode against the emulator, end to end."""

from __future__ import annotations

import copy
import hashlib
import hmac
import time
from urllib.parse import urlencode

import aiohttp

from app.domain.models import EventType, NewIncident
from app.main import Runtime
from app.store.cache import CacheStore
from tests.e2e.conftest import World, make_settings
from tests.redis_proc import free_port
from views.ids import CallbackId


async def test_help_is_answered_ephemerally(world: World):
    result = await world.alice.slash_command("/incident", "help", channel=world.channel("random"))
    assert "/incident list" in result.text and "/incident create" in result.text
    assert result.ack.payload.get("response_type") in (None, "ephemeral")
    assert world.emu.messages(world.channel("random")) == []  # nothing public


async def test_unknown_subcommand_gets_a_clear_answer(world: World):
    channel = world.channel("random")
    await world.alice.slash_command("/incident", "frobnicate now", channel=channel)
    msg = await world.alice.wait_ephemeral("I don't know `/incident frobnicate`", channel)
    assert "/incident help" in msg.text


async def test_every_envelope_type_is_acked(world: World):
    channel = world.channel("incidents")
    alice = world.alice
    await alice.slash_command("/incident", "", channel=channel)  # slash_commands
    assert alice.current_view().title == "Declare incident"
    await alice.fill({"Title": "Ack test", "Severity": "P3 · Moderate (MEDIUM)"})
    await alice.submit()  # interactive: view_submission
    card = await world.card("incidents")
    await alice.click(card, "Acknowledge")  # interactive: block_actions
    await alice.global_shortcut(CallbackId.DECLARE_SHORTCUT)  # interactive: shortcut
    await alice.close_view()
    source = world.emu.post_message(world.emu.channels[channel], "UBOB", "db is on fire")
    await alice.message_shortcut(CallbackId.DECLARE_FROM_MESSAGE, channel, source.ts)
    await alice.open_app_home()  # events_api
    kinds = {(a.envelope_type, a.payload_type) for a in world.emu.acks}
    assert {
        ("slash_commands", "/incident"),
        ("interactive", "view_submission"),
        ("interactive", "block_actions"),
        ("interactive", "shortcut"),
        ("interactive", "message_action"),
        ("events_api", "app_home_opened"),
    } <= kinds, kinds
    delivered = {e["envelope_id"] for e in world.emu.envelopes}
    assert delivered <= {a.envelope_id for a in world.emu.acks}
    home = await world.emu.wait_for(world.alice.home_view, timeout=10)  # published off the ack
    assert "Beacon" in home.all_text()


async def test_reconnects_after_slack_asks_to_refresh(world: World):
    before = len(world.emu.calls_to("apps.connections.open"))
    await world.emu.disconnect_all("refresh_requested")
    await world.emu.wait_connected(1)
    assert len(world.emu.calls_to("apps.connections.open")) > before
    result = await world.alice.slash_command("/incident", "help", channel=world.channel("random"))
    assert "/incident list" in result.text


async def test_redelivered_command_acts_once(world: World):
    channel = world.channel("incidents")
    await world.alice.slash_command(
        "/incident", "create Disk full --sev P3 --service search", channel=channel
    )
    await world.card("incidents")
    first = world.emu.envelopes[-1]
    await world.emu.redeliver(first["envelope_id"])
    await world.settle()
    assert len(await world.runtime.beacon.incidents.list_open()) == 1


async def test_redelivered_help_is_answered_again(world: World):
    """`/incident help` changes nothing, so it has no redelivery guard (no Redis at all): Slack
    redelivers when it did not see the ack, and the redelivery's ack carries the help again."""
    channel = world.channel("random")
    await world.alice.slash_command("/incident", "help", channel=channel)
    first = world.emu.envelopes[-1]
    again = await world.emu.redeliver(first["envelope_id"])
    assert again is not None and "/incident list" in again.payload.get("text", "")
    keys = world.runtime.beacon.stores.keys
    assert await world.redis.keys(keys.envelope("*")) == []
    await world.alice.slash_command("/incident", "list", channel=channel)  # others are guarded
    assert len(await world.redis.keys(keys.envelope("*"))) == 1


async def test_redelivered_click_is_guarded_by_its_transition(world: World, monkeypatch):
    """Acknowledge's redelivery guard runs in acknowledge.lua, so a click is one Redis round
    trip: the middleware makes no SET NX of its own. A redelivery of the click that acknowledged
    and of one that was refused is acked, acts no more and answers nobody a second time."""
    guards: list[str] = []
    first_seen = CacheStore.first_seen

    async def counted(self, fingerprint, *args, **kwargs):  # type: ignore[no-untyped-def]
        guards.append(fingerprint)
        return await first_seen(self, fingerprint, *args, **kwargs)

    monkeypatch.setattr(CacheStore, "first_seen", counted)
    beacon = world.runtime.beacon
    channel = world.channel("incidents")
    await beacon.incidents.declare(NewIncident(title="Disk full", severity="P3", reporter="UALICE"))
    card = copy.deepcopy(await world.card("incidents"))  # the card updates in place once acked
    await world.bob.click(card, "Acknowledge")
    acked = world.emu.envelopes[-1]
    await world.carol.click(card, "Acknowledge")
    refused = world.emu.envelopes[-1]
    await world.carol.wait_ephemeral("already acknowledged", channel)
    for envelope in (acked, refused):
        assert await world.emu.redeliver(envelope["envelope_id"]) is not None
    await world.settle()
    assert guards == []
    timeline = await beacon.incidents.timeline("INC-1")
    assert [e.type for e in timeline].count(EventType.ACKNOWLEDGED) == 1
    assert len([m for m in world.carol.ephemerals(channel) if "already" in m.text]) == 1
    assert not [m for m in world.bob.ephemerals(channel) if "already" in m.text]


async def test_redelivered_resolve_submission_acts_once(world: World):
    beacon = world.runtime.beacon
    await beacon.incidents.declare(NewIncident(title="Queue", severity="P3", reporter="UALICE"))
    card = await world.card("incidents")
    await world.bob.click(card, "Resolve")
    await world.bob.fill({"Resolution note": "scaled up"})
    await world.bob.submit()
    submitted = world.emu.envelopes[-1]
    assert submitted["payload"]["type"] == "view_submission"
    again = await world.emu.redeliver(submitted["envelope_id"])
    assert again is not None and not (again.payload or {}).get("response_action")  # closes
    await world.settle()
    timeline = await beacon.incidents.timeline("INC-1")
    assert [e.type for e in timeline].count(EventType.RESOLVED) == 1
    assert not world.bob.ephemerals()  # nobody told "already resolved"
    assert len(await world.redis.keys(beacon.stores.keys.envelope("*"))) == 2  # click, submit


async def test_http_mode_verifies_signatures(emu, redis, redis_server, config_path, clock):
    port = free_port()
    settings = make_settings(
        emu,
        redis_server.url,
        config_path,
        beacon_mode="http",
        slack_signing_secret="s3cret",
        PORT=port,
    )
    runtime = Runtime(settings, clock=clock)
    await runtime.start()
    try:
        body = urlencode(
            {
                "command": "/incident",
                "text": "help",
                "user_id": "UALICE",
                "channel_id": "C1",
                "team_id": emu.team_id,
                "trigger_id": "1.2.3",
                "response_url": "http://127.0.0.1:1/x",
            }
        )
        ts = str(int(time.time()))
        sig = "v0=" + hmac.new(b"s3cret", f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": ts,
        }
        url = f"http://127.0.0.1:{port}/slack/events"
        async with aiohttp.ClientSession() as http:
            async with http.post(
                url, data=body, headers={**headers, "X-Slack-Signature": sig}
            ) as r:
                assert r.status == 200
                assert "/incident list" in await r.text()
            bad = {**headers, "X-Slack-Signature": "v0=" + "0" * 64}
            async with http.post(url, data=body, headers=bad) as r:
                assert r.status == 401
    finally:
        await runtime.stop()
