"""Investigation results with feedback buttons, and feedback stats, end to end."""

from __future__ import annotations

from slack_emulator.models import Message
from tests.e2e.api_world import ApiWorld, config_path, world

__all__ = ["config_path", "world"]  # fixtures: the World with the intake API

RESULT = {
    "alert_summary": "Checkout 5xx above 5% for 10 minutes",
    "root_cause": "Connection pool exhausted after the 10:00 deploy <!channel>",
    "affected_resources": ["deploy/checkout", "db/payments"],
    "recommended_actions": [
        {"text": "Roll back checkout", "command": "kubectl rollout undo deploy/checkout"},
        {"text": "Watch the error rate"},
    ],
}


async def counts_become(world: ApiWorld, message: Message, text: str) -> Message:
    await world.settle()

    def updated() -> Message | None:
        fresh = world.fresh(message)
        return fresh if text in fresh.all_text() else None

    return await world.emu.wait_for(updated, timeout=10)


async def test_result_in_the_incident_thread_votes_change_and_stats(world: ApiWorld):
    incidents = world.channel("incidents")
    await world.alice.slash_command("/incident", "create Checkout errors --sev P3", incidents)
    card = await world.card("incidents")
    status, body = await world.post("/api/v1/investigations", {**RESULT, "incident_id": "INC-1"})
    assert status == 201 and body["id"] == "INV-1"
    result = await world.reply("incidents", card, "Investigation result")
    text = result.all_text()
    assert "Connection pool exhausted after the 10:00 deploy &lt;!channel&gt;" in text
    assert "• deploy/checkout" in text
    assert "```kubectl rollout undo deploy/checkout```" in text
    assert result.buttons() == ["Accurate", "Partially accurate", "Needs improvement"]
    assert result.metadata["event_payload"]["event_id"] == "INV-1#1"

    await world.alice.click(result, "Accurate")
    await world.bob.click(result, "Needs improvement")
    await counts_become(world, result, "Needs improvement: 1")
    await world.bob.click(result, "Partially accurate")  # a changed vote replaces the old
    fresh = await counts_become(world, result, "Partially accurate: 1")
    assert "Accurate: 1" in fresh.all_text() and "Needs improvement: 0" in fresh.all_text()
    assert fresh.ts == result.ts  # updated in place
    await world.alice.click(result, "Accurate")
    await world.alice.wait_ephemeral("You already rated INV-1 *Accurate*")

    status, stats = await world.get("/api/v1/feedback/stats?days=2")
    assert status == 200
    assert stats["totals"] == {"accurate": 1, "partially_accurate": 1, "needs_improvement": 0}
    assert (stats["total"], stats["accuracy_ratio"]) == (2, 0.5)
    assert [d["total"] for d in stats["days"]] == [0, 2]
    status, votes = await world.get("/api/v1/investigations/INV-1")
    assert status == 200 and votes["votes"]["accurate"] == 1


async def test_result_to_a_named_channel_and_bad_bodies(world: ApiWorld):
    status, _ = await world.post("/api/v1/investigations", {**RESULT, "channel": "#random"})
    assert status == 201
    message = await world.emu.wait_message(world.channel("random"), "Investigation result")
    assert message.thread_ts is None and "Feedback · 👍 Accurate: 0" in message.all_text()
    status, body = await world.post("/api/v1/investigations", {"root_cause": "x"})
    assert (status, body["field"]) == (422, "alert_summary")
    status, body = await world.post(
        "/api/v1/investigations", {**RESULT, "recommended_actions": [{"command": "ls"}]}
    )
    assert (status, body["field"]) == (422, "recommended_actions.0.text")
    status, _ = await world.post("/api/v1/investigations", {**RESULT, "incident_id": "INC-9"})
    assert status == 404
    status, body = await world.get("/api/v1/feedback/stats?days=x")
    assert (status, body["field"]) == (422, "days")
    status, body = await world.get("/api/v1/feedback/stats")
    assert body == {
        "totals": {"accurate": 0, "partially_accurate": 0, "needs_improvement": 0},
        "total": 0,
        "accuracy_ratio": None,
    }
