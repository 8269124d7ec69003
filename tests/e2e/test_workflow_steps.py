"""Beacon's Workflow Builder steps, end to end: a workflow runs a step (`function_executed` with
its own bot_access_token over Socket Mode), Beacon acts through the same domain calls as the
buttons, and the step ends with functions.completeSuccess or completeError, always."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from app.clock import FakeClock
from app.domain.errors import DatabaseUnavailable
from app.domain.models import NewIncident
from listeners import functions
from slack_emulator import SlackEmulator
from slack_emulator.functions import FunctionRun
from tests.conftest import TEST_CONFIG
from tests.e2e.conftest import (
    CHANNELS,
    ROOT,
    World,
    make_settings,
    manifest_commands,
    manifest_scopes,
)
from tests.e2e.test_redis_faults import aof_redis, idle, own_world  # noqa: F401 (fixture)
from tests.e2e.test_workspaces import A, B, Multi, browser_install, multi  # noqa: F401 (fixture)
from tests.redis_proc import RedisProcess
from views.ids import StepId

STEPS_CONFIG = TEST_CONFIG + """\
schedules:
  primary:
    layers:
      - {name: weekly, users: [UALICE, bob@example.com], rotation: 7d, handoff: "09:00",
         start: 2027-01-04}
"""
# FakeClock starts Friday 2027-01-15 08:00 UTC: the week from 2027-01-11 09:00 is bob's.
BOB_UNTIL = 1800262800  # 2027-01-18 09:00 UTC


def manifest_functions() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "manifest.yml").read_text())["functions"]


@pytest.fixture
async def emu() -> AsyncIterator[SlackEmulator]:
    """The e2e emulator, with the manifest's steps declared (inputs and outputs checked)."""
    emulator = SlackEmulator(
        scopes=manifest_scopes(),
        slash_commands=manifest_commands(),
        functions=manifest_functions(),
    )
    await emulator.start()
    emulator.add_user("UALICE", "alice", "Alice Example", "alice@example.com")
    emulator.add_user("UBOB", "bob", "Bob Example", "bob@example.com")
    emulator.add_user("UCAROL", "carol", "Carol Example", None)
    for name in CHANNELS:
        emulator.add_channel(name, members=["UALICE", "UBOB", "UCAROL"])
    yield emulator
    await emulator.stop()


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    path = tmp_path / "beacon.yml"
    path.write_text(STEPS_CONFIG)
    return path


async def run(
    world: World, step: StepId, inputs: dict[str, Any], timeout: float = 10  # noqa: ASYNC109
) -> FunctionRun:
    execution, ack = await world.alice.run_function(step, inputs)
    assert ack is not None, "the step's event was not acked"
    await world.alice.wait_function(execution, timeout)
    # The ack never waits for the step's work (its card, Redis): it comes before the end.
    [end] = [c for c in world.emu.gateway.calls if c.method.startswith("functions.complete")
             and c.args.get("function_execution_id") == execution.execution_id]
    assert ack.received_at <= end.at
    return execution


def completions(emu: SlackEmulator, execution: FunctionRun) -> list[str]:
    return [
        c.method
        for c in emu.gateway.calls
        if c.method.startswith("functions.complete")
        and c.args.get("function_execution_id") == execution.execution_id
    ]


async def declared(world: World, title: str = "Checkout down", severity: str = "P3") -> str:
    beacon = world.runtime.beacon
    assert beacon is not None
    incident = await beacon.incidents.declare(
        NewIncident(title=title, severity=severity, reporter="UBOB")
    )
    return incident.id


# --- the manifest and the listeners agree ----------------------------------------------------


def test_manifest_declares_every_registered_step_and_slack_settings():
    manifest = yaml.safe_load((ROOT / "manifest.yml").read_text())
    registered: list[str] = []

    class Recorder:
        def function(self, callback_id: str):
            registered.append(str(callback_id))
            return lambda handler: handler

    functions.register(Recorder())  # type: ignore[arg-type]
    assert sorted(registered) == sorted(manifest["functions"]) == sorted(StepId)
    assert manifest["settings"]["function_runtime"] == "remote"
    assert manifest["settings"]["org_deploy_enabled"] is True
    assert "function_executed" in manifest["settings"]["event_subscriptions"]["bot_events"]
    for step in manifest["functions"].values():
        for part in ("input_parameters", "output_parameters"):
            props = step[part]["properties"]
            assert set(step[part].get("required", [])) <= set(props)
            assert all(p["type"] and p["title"] for p in props.values())


# --- each step with good inputs ----------------------------------------------------------------


async def test_declare_step_posts_the_card_and_outputs_its_channel_and_link(world: World):
    execution = await run(world, StepId.DECLARE, {
        "title": "Checkout 500s", "severity": "p2", "service": "checkout",
        "description": "From the status page form", "assignee": "UCAROL", "user": "UALICE",
    })
    assert execution.state == "completed", execution.error
    card = await world.card("incidents")
    assert execution.outputs == {
        "incident_id": "INC-1",
        "channel_id": world.channel("incidents"),
        "permalink": (await world.runtime.beacon.incidents.get("INC-1")).permalink,
    }
    assert "Checkout 500s" in card.all_text() and "Reported by <@UALICE>" in card.all_text()
    assert card.buttons()[:2] == ["Acknowledge", "Resolve"]
    # Completed with the execution's own token, never the bot token.
    [call] = world.emu.gateway.calls_to("functions.completeSuccess")
    assert call.token == execution.token


async def test_declare_step_can_open_a_dedicated_channel(world: World):
    execution = await run(world, StepId.DECLARE, {
        "title": "Database down", "severity": "P1", "create_channel": True, "user": "UBOB",
    })
    assert execution.state == "completed", execution.error
    incident = await world.runtime.beacon.incidents.get("INC-1")
    assert incident.incident_channel
    assert execution.outputs["incident_channel_id"] == incident.incident_channel


async def test_declare_step_puts_the_card_in_the_channel_asked_for(world: World):
    random = world.channel("random")
    execution = await run(world, StepId.DECLARE, {
        "title": "Status page stale", "severity": "P1", "channel": random, "user": "UALICE",
    })
    assert execution.state == "completed", execution.error
    card = await world.card("random")
    assert execution.outputs["channel_id"] == random == card.channel
    await world.settle()
    assert [m for m in world.emu.messages(world.channel("incidents-critical"))] == []


async def test_acknowledge_step_changes_card_and_thread_as_the_button(world: World):
    incident_id = await declared(world)
    card = await world.card("incidents")
    await world.clock.advance(120)
    execution = await run(world, StepId.ACKNOWLEDGE, {"incident_id": "inc-1", "user": "UALICE"})
    assert (execution.state, execution.outputs) == ("completed", {"status": "acknowledged"})
    reply = await world.reply("incidents", card, "Acknowledged by")
    assert reply.text == "Acknowledged by <@UALICE> after 2 min."
    await world.settle()
    fresh = world.fresh(card)
    assert "Acknowledged ✓ by <@UALICE>" in fresh.all_text()
    assert "Acknowledge" not in fresh.buttons()
    assert incident_id == "INC-1"


async def test_resolve_step_with_a_note(world: World):
    await declared(world)
    card = await world.card("incidents")
    execution = await run(world, StepId.RESOLVE, {
        "incident_id": "INC-1", "note": "Rolled back", "user": "UBOB",
    })
    assert (execution.state, execution.outputs) == ("completed", {"status": "resolved"})
    reply = await world.reply("incidents", card, "Resolved by")
    assert "Resolved by <@UBOB>" in reply.text and "Rolled back" in reply.text
    await world.settle()
    assert world.fresh(card).buttons() == ["Reopen", "View"]


async def test_update_step_posts_a_status_update_in_the_thread(world: World):
    await declared(world)
    card = await world.card("incidents")
    execution = await run(world, StepId.UPDATE, {
        "incident_id": "INC-1", "text": "Failover under way", "user": "UCAROL",
    })
    assert (execution.state, execution.outputs) == ("completed", {"status": "triggered"})
    reply = await world.reply("incidents", card, "Status update")
    assert "Failover under way" in reply.text and "<@UCAROL>" in reply.text


async def test_a_step_with_no_person_acts_as_beacon(world: World):
    await declared(world)
    card = await world.card("incidents")
    execution = await run(world, StepId.ACKNOWLEDGE, {"incident_id": "INC-1"})
    assert execution.state == "completed"
    reply = await world.reply("incidents", card, "Acknowledged by")
    assert "Beacon" in reply.text
    [entry] = [e for e in await world.runtime.beacon.incidents.timeline("INC-1")
               if e.type.value == "incident.acknowledged"]
    assert entry.actor == "beacon"


async def test_oncall_step_outputs_who_and_until_when(world: World):
    execution = await run(world, StepId.ONCALL, {"schedule": "primary"})
    assert execution.state == "completed", execution.error
    assert execution.outputs == {"user_id": "UBOB", "schedule": "primary", "until": BOB_UNTIL}


# --- bad inputs: fail with the reason, nothing created -----------------------------------------


@pytest.mark.parametrize(
    ("inputs", "reason"),
    [
        ({"title": " ", "severity": "P2"}, "Give the incident a title."),
        ({"title": "x", "severity": "P9"}, "Pick a severity: P1, P2, P3 or P4."),
        ({"title": "x", "severity": "P3", "service": "nope"}, "Unknown service 'nope'."),
        ({"title": "x", "severity": "P3", "assignee": "#random"}, "is not a Slack user"),
        ({"title": "x", "severity": "P3", "channel": "random"}, "is not a Slack channel"),
    ],
)
async def test_declare_step_with_bad_inputs_fails_and_creates_nothing(
    world: World, inputs: dict[str, Any], reason: str
):
    execution = await run(world, StepId.DECLARE, inputs)
    assert execution.state == "failed" and reason in (execution.error or "")
    assert await world.runtime.beacon.incidents.list_open() == []
    assert completions(world.emu, execution) == ["functions.completeError"]


async def test_incident_steps_refuse_as_the_buttons_do(world: World):
    await declared(world)
    card = await world.card("incidents")
    first = await run(world, StepId.RESOLVE, {"incident_id": "INC-1", "user": "UBOB"})
    assert first.state == "completed"
    again = await run(world, StepId.ACKNOWLEDGE, {"incident_id": "INC-1", "user": "UALICE"})
    assert again.state == "failed"
    assert again.error == "INC-1 is already resolved (by UBOB at 08:00 UTC); nothing was changed."
    missing = await run(world, StepId.UPDATE, {"incident_id": "INC-99", "text": "hi"})
    assert (missing.error or "").startswith("I can't find incident INC-99.")
    bad_id = await run(world, StepId.RESOLVE, {"incident_id": "forty-two"})
    assert bad_id.error == "`forty-two` is not an incident id. Ids look like INC-42."
    nobody = await run(world, StepId.ONCALL, {"schedule": "secondary"})
    assert nobody.state == "failed" and "No schedule or service called `secondary`" in (
        nobody.error or "")
    await world.settle()
    replies = [m for m in world.emu.thread(card.channel, card.ts) if "Acknowledged" in m.text]
    assert replies == []


# --- redelivered: runs once ---------------------------------------------------------------------


async def test_a_redelivered_step_runs_once_and_says_the_same_again(world: World):
    execution, ack = await world.alice.run_function(
        StepId.DECLARE, {"title": "Search slow", "severity": "P3", "user": "UALICE"}
    )
    assert ack is not None
    await world.alice.wait_function(execution)
    again = await world.emu.redeliver(ack.envelope_id)
    assert again is not None
    await world.settle()
    assert [i.id for i in await world.runtime.beacon.incidents.list_open()] == ["INC-1"]
    # The redelivery answered with the first result; Slack refused it as already ended.
    assert completions(world.emu, execution) == ["functions.completeSuccess"] * 2
    assert execution.completions == ["success", "refused"]
    assert execution.outputs is not None and execution.outputs["incident_id"] == "INC-1"


async def test_a_redelivered_refusal_is_refused_once(world: World):
    execution, ack = await world.alice.run_function(StepId.ACKNOWLEDGE, {"incident_id": "INC-7"})
    assert ack is not None
    await world.alice.wait_function(execution)
    await world.emu.redeliver(ack.envelope_id)
    await world.emu.wait_for(lambda: len(execution.completions) == 2)
    assert completions(world.emu, execution) == ["functions.completeError"] * 2


# --- Redis down: fail, not silence --------------------------------------------------------------


async def test_redis_down_ends_the_step_with_fail(
    emu: SlackEmulator, aof_redis: RedisProcess, config_path: Path, clock: FakeClock  # noqa: F811
):
    settings = make_settings(emu, aof_redis.url, config_path)
    async with own_world(emu, settings, clock, aof_redis.url) as world:
        await idle(world)
        aof_redis.stop()
        execution = await run(world, StepId.DECLARE, {"title": "Disk full", "severity": "P3"})
        assert execution.state == "failed"
        assert execution.error == DatabaseUnavailable().user_message
        aof_redis.start()
        # Back: the step works again (its card may wait for the notifier's own reconnect).
        later = await run(world, StepId.DECLARE, {"title": "Disk full", "severity": "P3"}, 30)
        assert later.state == "completed" and later.outputs["incident_id"] == "INC-1"


async def test_the_steps_token_is_refused_for_another_execution(world: World):
    first, _ = await world.alice.run_function(
        StepId.ONCALL, {"schedule": "primary"}, wait_ack=False
    )
    await world.alice.wait_function(first)
    second = world.emu.workspace.functions.start(StepId.ONCALL, {"schedule": "primary"}, "UBOB")
    answer = await world.emu.gateway.call(
        "functions.completeSuccess",
        {"function_execution_id": second.execution_id, "outputs": {}},
        first.token,
    )
    assert answer.body == {"ok": False, "error": "access_denied"}
    bot = await world.emu.gateway.call(
        "functions.completeError",
        {"function_execution_id": second.execution_id, "error": "x"},
        world.emu.bot_token,
    )
    assert bot.body == {"ok": False, "error": "access_denied"}


# --- several workspaces: a step acts in its own workspace's Beacon --------------------------


async def test_steps_in_two_workspaces_each_act_in_their_own(multi: Multi) -> None:  # noqa: F811
    for team in (A, B):
        assert (await browser_install(multi, team))[0] == 200
    a_ws, b_ws = multi.emu.team(A), multi.emu.team(B)
    first, _ = await multi.alice.run_function(StepId.DECLARE, {"title": "A down",
                                                                "severity": "P3"})
    second, _ = await multi.alice.run_function(StepId.DECLARE, {"title": "A slow",
                                                                 "severity": "P3"})
    in_b, _ = await multi.bert.run_function(StepId.DECLARE, {"title": "B down", "severity": "P3",
                                                              "user": "UBERT"})
    for execution in (first, second, in_b):
        await multi.alice.wait_function(execution)
    assert [e.outputs["incident_id"] for e in (first, second, in_b)] == ["INC-1", "INC-2", "INC-1"]
    b_card = await multi.card(b_ws, "b-incidents", "INC-1")
    assert "B down" in b_card.all_text() and in_b.outputs["channel_id"] == b_card.channel
    await multi.card(a_ws, "incidents", "INC-2")
    # B's step cannot reach A's INC-2.
    refused, _ = await multi.bert.run_function(StepId.ACKNOWLEDGE, {"incident_id": "INC-2"})
    await multi.bert.wait_function(refused)
    assert (refused.error or "").startswith("I can't find incident INC-2.")

