"""Investigation updates go to the configured updates channel, a thread per incident."""

from __future__ import annotations

from pathlib import Path

import pytest

from slack_emulator import SlackEmulator
from tests.conftest import TEST_CONFIG
from tests.e2e.api_world import ApiWorld, world

__all__ = ["world"]  # the World with the intake API, on the config below


@pytest.fixture
def config_path(tmp_path: Path, emu: SlackEmulator) -> Path:
    emu.add_channel("ai-investigations", members=["UALICE"])
    path = tmp_path / "beacon.yml"
    path.write_text(TEST_CONFIG + 'investigations: {updates_channel: "#ai-investigations"}\n')
    return path


async def test_updates_thread_under_one_parent_per_incident(world: ApiWorld):
    incidents = world.channel("incidents")
    for title in ("Checkout errors", "Search slow"):
        await world.alice.slash_command("/incident", f"create {title} --sev P3", incidents)
        await world.alice.wait_ephemeral(title, incidents)
    card = await world.card("incidents")
    for incident_id, stage in (("INC-1", "started"), ("INC-1", "root_cause"), ("INC-2", "started")):
        body = {"stage": stage, "text": f"{incident_id} <!here> {stage}", "confidence": 0.5}
        status, _ = await world.post(f"/api/v1/incidents/{incident_id}/investigation", body)
        assert status == 201
    await world.settle()
    updates = world.channel("ai-investigations")
    parents = [m for m in world.emu.messages(updates) if not m.is_reply]
    beacon = world.runtime.beacon
    assert [p.text.split(" (")[0] for p in parents] == [
        f"🔎 Investigation updates for <{(await beacon.incidents.get(i)).permalink}|{i}>"
        for i in ("INC-1", "INC-2")
    ]
    first = [m.text for m in world.emu.thread(updates, parents[0].ts)]
    assert len(first) == 2 and "🎯 *Root cause*" in first[1]
    assert "&lt;!here&gt;" in first[0] and "<!here>" not in first[0]
    assert len(world.emu.thread(updates, parents[1].ts)) == 1
    # nothing in the card thread
    assert not [m for m in world.emu.thread(incidents, card.ts) if "Investigation" in m.text]
