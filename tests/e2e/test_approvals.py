"""Approval requests through real HTTP and the emulator, acting as users."""

from __future__ import annotations

import asyncio
import copy
import hashlib
import hmac
import json
import time
from typing import Any

from aiohttp import web

from tests.e2e.api_world import SECRET, ApiWorld, config_path, world

__all__ = ["config_path", "world"]  # fixtures: this module's World has the API and #approvals


def request(**kw: Any) -> dict[str, Any]:
    return {
        "operation": "Restart the payments-db primary",
        "risk": "low",
        "rollback": "kubectl rollout undo sts/payments-db",
        "requested_by": "UALICE",
        "approvers": ["UALICE", "UBOB"],
        "expires_in": 600,
        **kw,
    }


async def test_an_approver_approves_and_the_card_shows_it(world: ApiWorld):
    status, body = await world.post("/api/v1/approvals", request())
    assert status == 201 and (body["id"], body["status"]) == ("APR-1", "pending")
    card = await world.approval_card()
    text = card.all_text()
    for part in (
        "Restart the payments-db primary",
        "*Risk*\n🟢 Low",
        "*Requested by*\n<@UALICE>",
        "*Approvers*\n<@UALICE>, <@UBOB>",
        "*Expires*\n<!date^",
        "```kubectl rollout undo sts/payments-db```",
    ):
        assert part in text, part
    assert card.buttons() == ["Approve", "Deny"]
    assert card.metadata["event_payload"]["event_id"] == "APR-1#1"
    await world.bob.click(card, "Approve")
    card = await world.card_says(card, "✅ Approved by <@UBOB>")
    assert card.buttons() == []
    status, body = await world.get("/api/v1/approvals/APR-1")
    assert status == 200
    assert (body["status"], body["decided_by"]) == ("approved", "UBOB")
    assert body["decided_at"] == world.clock.now()


async def test_non_approver_and_requester_are_refused(world: ApiWorld):
    await world.post("/api/v1/approvals", request())
    card = await world.approval_card()
    await world.carol.click(card, "Approve")
    await world.carol.wait_ephemeral("You are not an approver for APR-1.")
    await world.carol.click(card, "Deny")
    assert world.carol.current_view() is None  # no modal for someone who can't decide
    await world.emu.wait_for(lambda: len(world.carol.ephemerals()) == 2, timeout=5)
    await world.alice.click(card, "Approve")
    await world.alice.wait_ephemeral("You requested APR-1, so you can't approve it yourself")
    await world.settle()
    assert world.fresh(card).buttons() == ["Approve", "Deny"]
    assert (await world.get("/api/v1/approvals/APR-1"))[1]["status"] == "pending"


async def test_two_approvers_at_once_make_one_decision(world: ApiWorld):
    await world.post("/api/v1/approvals", request(approvers=["UBOB", "UCAROL"]))
    card = await world.approval_card()
    await asyncio.gather(world.bob.click(card, "Approve"), world.carol.click(card, "Approve"))
    _, body = await world.get("/api/v1/approvals/APR-1")
    winner = body["decided_by"]
    loser = world.carol if winner == "UBOB" else world.bob
    msg = await loser.wait_ephemeral("APR-1 was already approved by")
    assert f"<@{winner}>" in msg.text
    await world.card_says(card, f"✅ Approved by <@{winner}>")
    events = await world.redis.xrange(world.runtime.beacon.stores.keys.events())
    assert [f["type"] for _, f in events].count("approval.decided") == 1


async def test_high_risk_asks_to_confirm_and_deny_takes_a_reason(world: ApiWorld):
    await world.post("/api/v1/approvals", request(risk="high"))
    card = await world.approval_card()
    cancelled = await world.bob.click(card, "Approve", confirm=False)
    assert cancelled.ack is None and cancelled.confirm is not None
    assert cancelled.confirm["title"]["text"] == "Approve APR-1?"
    await world.bob.click(card, "Deny")
    assert world.bob.current_view().title == "Deny APR-1"
    await world.bob.fill({"Reason": "Not during peak <!here>"})
    result = await world.bob.submit()
    assert result.errors == {}
    card = await world.card_says(card, "❌ Denied by <@UBOB>: Not during peak &lt;!here&gt;")
    assert card.buttons() == []
    _, body = await world.get("/api/v1/approvals/APR-1")
    assert (body["status"], body["reason"]) == ("denied", "Not during peak <!here>")


async def test_expiry_removes_the_buttons(world: ApiWorld):
    await world.post("/api/v1/approvals", request(expires_in=120))
    card = await world.approval_card()
    stale = copy.deepcopy(card)  # a copy the client still shows with buttons
    await world.clock.advance(121)
    fresh = await world.card_says(card, "⌛ Expired")
    assert fresh.buttons() == []
    assert (await world.get("/api/v1/approvals/APR-1"))[1]["status"] == "expired"
    await world.bob.click(stale, "Approve")
    await world.bob.wait_ephemeral("APR-1 expired")


async def test_long_poll_returns_when_decided(world: ApiWorld):
    await world.post("/api/v1/approvals", request())
    card = await world.approval_card()
    started = time.monotonic()
    poll = asyncio.create_task(world.get("/api/v1/approvals/APR-1?wait=30"))
    await asyncio.sleep(0.3)
    assert not poll.done()  # still waiting while pending
    await world.bob.click(card, "Approve")
    status, body = await asyncio.wait_for(poll, 5)
    assert status == 200 and body["status"] == "approved"
    assert time.monotonic() - started < 5
    # a wait on a decided approval answers at once; an unknown id is a 404
    assert (await world.get("/api/v1/approvals/APR-1?wait=30"))[1]["status"] == "approved"
    status, body = await world.get("/api/v1/approvals/APR-99")
    assert status == 404 and "APR-99" in body["error"]


async def test_callback_is_signed_and_retried_with_backoff(world: ApiWorld):
    hits: list[tuple[bytes, dict[str, str]]] = []
    arrived = asyncio.Event()

    async def receive(req: web.Request) -> web.Response:
        hits.append((await req.read(), dict(req.headers)))
        arrived.set()
        return web.Response(status=500 if len(hits) == 1 else 200)

    receiver = web.Application()
    receiver.router.add_post("/hook", receive)
    runner = web.AppRunner(receiver)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        url = f"http://127.0.0.1:{port}/hook"
        await world.post("/api/v1/approvals", request(callback_url=url))
        card = await world.approval_card()
        await world.bob.click(card, "Approve")
        await asyncio.wait_for(arrived.wait(), 5)
        arrived.clear()
        await asyncio.sleep(0.2)
        assert len(hits) == 1  # the retry waits for Beacon's clock: 2 s after attempt 1
        await world.clock.advance(2)
        await asyncio.wait_for(arrived.wait(), 5)
    finally:
        await runner.cleanup()
    body, headers = hits[1]
    assert body == hits[0][0]
    signed = headers["X-Beacon-Timestamp"].encode() + b"." + body
    expected = "sha256=" + hmac.new(SECRET.encode(), signed, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(headers["X-Beacon-Signature"], expected)
    assert headers["X-Beacon-Timestamp"] == str(int(world.clock.now()))
    assert json.loads(body) == {
        "id": "APR-1",
        "status": "approved",
        "decided_by": "UBOB",
        "reason": None,
        "decided_at": world.clock.now() - 2,
    }

    async def delivered() -> bool:
        return (await world.get("/api/v1/approvals/APR-1"))[1]["callback_status"] == "delivered"

    await world.emu.wait_for(delivered, timeout=5)


async def test_user_group_approvers_and_bad_requests(world: ApiWorld):
    world.emu.add_usergroup(["UCAROL"], group_id="SONCALL")
    status, body = await world.post(
        "/api/v1/approvals", request(approvers=[], approver_group="SONCALL")
    )
    assert status == 201 and body["approvers"] == ["UCAROL"]
    card = await world.approval_card()
    await world.carol.click(card, "Approve")
    await world.card_says(card, "✅ Approved by <@UCAROL>")
    status, body = await world.post(
        "/api/v1/approvals", request(approvers=[], approver_group="SNOPE")
    )
    assert (status, body["field"]) == (422, "approver_group")
    status, body = await world.post("/api/v1/approvals", request(risk="extreme"))
    assert (status, body["field"]) == (422, "risk")
    status, body = await world.post("/api/v1/approvals", request(incident_id="INC-404"))
    assert status == 404
