"""Approval and feedback Lua scripts against a real redis-server; the approval card views."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from datetime import UTC, datetime

import pytest
from redis.asyncio import Redis

from app.approval_callbacks import callback_body, sign
from app.clock import FakeClock
from app.config import ApprovalsConfig, BeaconConfig
from app.domain.approvals import (
    Approval,
    ApprovalService,
    ApprovalStatus,
    NewApproval,
    NotApprover,
    Risk,
    SelfApproval,
)
from app.domain.errors import AlreadyDone, InvalidInput
from app.domain.incidents import IncidentService
from app.domain.investigations import (
    STATS_DAYS_MAX,
    InvestigationService,
    NewInvestigation,
    Rating,
)
from app.domain.refusals import RefusalCode
from app.domain.timers import approval_callback_id, approval_expire_id
from app.scheduler import Scheduler, TimerWork
from app.store import Stores
from app.store.incidents import IncidentStore
from app.store.keys import Keys
from views.approvals import approval_blocks
from views.ids import ActionId, BlockId
from views.investigations import result_blocks
from views.modals.deny import deny_modal
from views.refusals import refusal_text


@pytest.fixture
def stores(redis: Redis) -> Stores:
    return Stores(redis, Keys("t"))


@pytest.fixture
def store(stores: Stores) -> IncidentStore:
    return stores.incidents


async def _no_groups(group_id: str) -> list[str]:
    return {"SOPS": ["UCAROL", "UDAVE"]}.get(group_id, [])


def approvals_for(
    stores: Stores, config: BeaconConfig, clock: FakeClock, **policy
) -> ApprovalService:
    if policy:
        config = config.model_copy(update={"approvals": ApprovalsConfig(**policy)})
    return ApprovalService(
        stores.approvals,
        IncidentService(stores.incidents, config, clock),
        config,
        clock,
        _no_groups,
        callbacks_enabled=True,
    )


@pytest.fixture
def approvals(stores, config, clock) -> ApprovalService:
    return approvals_for(stores, config, clock)


def new(**kw) -> NewApproval:
    base = {
        "operation": "Restart payments-db primary",
        "risk": Risk.HIGH,
        "rollback": "kubectl rollout undo sts/payments-db",
        "requested_by": "UALICE",
        "approvers": ("UALICE", "UBOB"),
        "expires_in": 600,
    }
    return NewApproval(**{**base, **kw})


async def stream(store: IncidentStore) -> list[dict[str, str]]:
    return [f for _, f in await store.redis.xrange(store.keys.events())]


async def test_create_stores_approvers_schedules_expiry_and_emits(approvals, store, clock, stores):
    first = await approvals.request(new(approver_group="SOPS"))
    second = await approvals.request(new(approvers=("UBOB",)))
    assert (first.id, second.id) == ("APR-1", "APR-2")
    assert first.status is ApprovalStatus.PENDING
    assert first.approvers == ("UALICE", "UBOB", "UCAROL", "UDAVE")
    assert first.expires_at == clock.now() + 600
    due = await store.redis.zscore(store.keys.timers(), approval_expire_id("APR-1"))
    assert due == clock.now() + 600
    assert (await stores.timers.timer(approval_expire_id("APR-1")))["kind"] == "approval_expire"
    events = await stream(store)
    assert [e["type"] for e in events] == ["approval.requested"] * 2
    # the stream's per-id field carries the approval id: the notifier orders per approval
    assert (events[0]["incident_id"], events[0]["event_id"]) == ("APR-1", "APR-1#1")


async def test_request_validation(approvals):
    with pytest.raises(InvalidInput) as err:
        await approvals.request(new(approvers=()))
    assert err.value.field == "approvers"
    with pytest.raises(InvalidInput) as err:
        await approvals.request(new(approvers=("bob",)))
    assert "not a Slack user id" in err.value.user_message
    with pytest.raises(InvalidInput) as err:
        await approvals.request(new(expires_in=5))
    assert err.value.field == "expires_in"
    with pytest.raises(InvalidInput):
        await approvals.request(new(approvers=(), approver_group="SEMPTY"))


async def test_exactly_one_decision_under_concurrent_clicks(store, config, clock, stores):
    service = approvals_for(stores, config, clock)
    people = tuple(f"U{n:03d}" for n in range(12))
    approval = await service.request(new(approvers=people, requested_by="deploy-bot"))
    results = await asyncio.gather(
        *(service.approve(approval.id, uid) for uid in people), return_exceptions=True
    )
    winners = [r for r in results if isinstance(r, Approval)]
    losers = [r for r in results if isinstance(r, AlreadyDone)]
    assert len(winners) == 1 and len(losers) == len(people) - 1
    refusal = losers[0].refusal
    assert (refusal.code, refusal.by) == (RefusalCode.ALREADY_APPROVED, winners[0].decided_by)
    assert f"already approved by <@{winners[0].decided_by}>" in refusal_text(refusal)
    decided = [e for e in await stream(store) if e["type"] == "approval.decided"]
    assert len(decided) == 1
    # the expiry timer went with the decision
    assert await store.redis.zscore(store.keys.timers(), approval_expire_id(approval.id)) is None


async def test_refusals_not_approver_self_and_allowed_self(store, config, clock, stores):
    service = approvals_for(stores, config, clock)
    approval = await service.request(new())
    with pytest.raises(NotApprover) as err:
        await service.approve(approval.id, "UCAROL")
    assert err.value.user_message == "You are not an approver for APR-1."
    with pytest.raises(SelfApproval):
        await service.approve(approval.id, "UALICE")
    # the requester may still deny their own request
    denied = await service.deny(approval.id, "UALICE", "changed my mind")
    assert (denied.status, denied.reason) == (ApprovalStatus.DENIED, "changed my mind")

    lenient = approvals_for(stores, config, clock, allow_self_approval=True)
    again = await lenient.request(new())
    approved = await lenient.approve(again.id, "UALICE")
    assert (approved.status, approved.decided_by) == (ApprovalStatus.APPROVED, "UALICE")
    with pytest.raises(InvalidInput):
        await service.deny((await service.request(new())).id, "UBOB", "   ")


async def test_expiry_by_the_scheduler_then_decisions_refused(approvals, store, clock, stores):
    approval = await approvals.request(new(expires_in=120))
    scheduler = Scheduler(stores.timers, TimerWork(stores, clock), clock)
    await clock.advance(119)
    assert await scheduler.tick() == 0
    await clock.advance(2)
    assert await scheduler.tick() == 1
    expired = await approvals.get(approval.id)
    assert expired.status is ApprovalStatus.EXPIRED and expired.decided_by is None
    with pytest.raises(AlreadyDone) as err:
        await approvals.approve(approval.id, "UBOB")
    assert "expired" in err.value.user_message
    assert [e["type"] for e in await stream(store)][-1] == "approval.expired"
    assert await store.redis.zcard(store.keys.timers()) == 0


async def test_click_after_expiry_time_before_the_timer_fires_is_refused(approvals, clock):
    approval = await approvals.request(new(expires_in=60))
    await clock.advance(61)
    with pytest.raises(AlreadyDone):
        await approvals.approve(approval.id, "UBOB")
    assert (await approvals.get(approval.id)).is_pending  # the timer still owns the expiry


async def test_decision_with_callback_schedules_it_and_results_are_recorded(
    approvals, store, clock, stores
):
    approval = await approvals.request(new(callback_url="http://127.0.0.1:9/hook"))
    await approvals.approve(approval.id, "UBOB")
    timer_id = approval_callback_id(approval.id)
    assert await store.redis.zscore(store.keys.timers(), timer_id) == clock.now()
    timer = await stores.timers.timer(timer_id)
    assert (timer["kind"], timer["attempt"]) == ("approval_callback", "1")
    assert (await approvals.get(approval.id)).callback_status == "pending"
    apr_store = stores.approvals
    await apr_store.callback_result(
        approval.id, "retry", next_due=clock.now() + 2, attempt=2, detail="HTTP 500"
    )
    assert await store.redis.zscore(store.keys.timers(), timer_id) == clock.now() + 2
    assert (await stores.timers.timer(timer_id))["attempt"] == "2"
    await apr_store.callback_result(approval.id, "delivered", detail="HTTP 200")
    assert await store.redis.zscore(store.keys.timers(), timer_id) is None
    assert (await approvals.get(approval.id)).callback_status == "delivered"


async def test_signature_is_hmac_of_the_exact_body(approvals):
    approval = await approvals.request(new())
    body = callback_body(await approvals.deny(approval.id, "UBOB", "no"))
    assert body == (
        b'{"decided_at":1800000000.0,"decided_by":"UBOB","id":"APR-1",'
        b'"reason":"no","status":"denied"}'
    )
    assert sign("k", "1800000000", body) == (
        "sha256=" + hmac.new(b"k", b"1800000000." + body, hashlib.sha256).hexdigest()
    )


# --- investigations and feedback ----------------------------------------------------------


@pytest.fixture
def investigations(stores, config, clock) -> InvestigationService:
    return InvestigationService(
        stores.investigations, IncidentService(stores.incidents, config, clock), clock
    )


async def test_one_vote_per_person_and_changes_replace(investigations, store, clock):
    inv = await investigations.post(
        NewInvestigation(alert_summary="5xx spike", root_cause="pool"), "api:robot"
    )
    await investigations.vote(inv.id, "UALICE", Rating.ACCURATE)
    await investigations.vote(inv.id, "UBOB", Rating.NEEDS_IMPROVEMENT)
    await clock.advance(86400)  # Bob changes his mind the next day
    after = await investigations.vote(inv.id, "UBOB", Rating.PARTIALLY_ACCURATE)
    assert after.votes == {
        Rating.ACCURATE: 1,
        Rating.PARTIALLY_ACCURATE: 1,
        Rating.NEEDS_IMPROVEMENT: 0,
    }
    with pytest.raises(AlreadyDone) as err:
        await investigations.vote(inv.id, "UALICE", Rating.ACCURATE)
    assert err.value.user_message == "You already rated INV-1 Accurate."
    assert "already rated INV-1 *Accurate*" in refusal_text(err.value.refusal)
    stats = await investigations.stats(days=2)
    assert stats["totals"] == {"accurate": 1, "partially_accurate": 1, "needs_improvement": 0}
    assert (stats["total"], stats["accuracy_ratio"]) == (2, 0.5)
    yesterday, today = stats["days"]
    assert yesterday["totals"] == {"accurate": 1, "partially_accurate": 0, "needs_improvement": 0}
    assert today["totals"] == {"accurate": 0, "partially_accurate": 1, "needs_improvement": 0}
    types = [e["type"] for e in await stream(store)]
    assert types == ["investigation.posted"] + ["investigation.voted"] * 3


async def test_concurrent_vote_changes_keep_counts_exact(investigations):
    inv = await investigations.post(NewInvestigation(alert_summary="x", root_cause="y"), "api")
    ratings = [Rating.ACCURATE, Rating.NEEDS_IMPROVEMENT, Rating.PARTIALLY_ACCURATE] * 4
    await asyncio.gather(
        *(investigations.vote(inv.id, "UALICE", r) for r in ratings), return_exceptions=True
    )
    final = await investigations.get(inv.id)
    assert sum(final.votes.values()) == 1
    assert (await investigations.stats())["total"] == 1


async def test_feedback_days_expire_after_every_day_stats_can_read(
    investigations, stores, redis, clock
):
    inv = await investigations.post(NewInvestigation(alert_summary="x", root_cause="y"), "api")
    await investigations.vote(inv.id, "UALICE", Rating.ACCURATE)
    day = stores.keys.feedback_day(datetime.fromtimestamp(clock.now(), UTC).date().isoformat())
    assert STATS_DAYS_MAX * 86400 < await redis.ttl(day) <= 120 * 86400
    await redis.delete(day)  # as if it had expired: a changed vote must not bring it back
    await clock.advance(86400)
    await investigations.vote(inv.id, "UALICE", Rating.NEEDS_IMPROVEMENT)
    assert not await redis.exists(day)
    days = [k async for k in redis.scan_iter(match=stores.keys.feedback_day("*"))]
    assert len(days) == 1 and await redis.ttl(days[0]) > STATS_DAYS_MAX * 86400


# --- views ---------------------------------------------------------------------------------


def _approval(risk: Risk, **kw) -> Approval:
    base = {
        "id": "APR-7",
        "number": 7,
        "operation": "Drop <!channel> table",
        "risk": risk,
        "rollback": "restore --from backup",
        "requested_by": "deploy-bot",
        "approvers": ("UBOB",),
        "created_at": 1.8e9,
        "expires_at": 1.8e9 + 600,
        "status": ApprovalStatus.PENDING,
    }
    return Approval(**{**base, **kw})


def _buttons(blocks: list[dict]) -> dict[str, dict]:
    return {e["action_id"]: e for b in blocks if b["type"] == "actions" for e in b["elements"]}


def test_card_asks_confirmation_for_configured_risks_only():
    policy = ApprovalsConfig()
    high = _buttons(approval_blocks(_approval(Risk.HIGH), policy, now=1.8e9))
    low = _buttons(approval_blocks(_approval(Risk.LOW), policy, now=1.8e9))
    assert "confirm" in high[ActionId.APPROVE] and "confirm" not in high[ActionId.DENY]
    assert high[ActionId.APPROVE]["confirm"]["confirm"]["text"] == "Approve"
    assert "confirm" not in low[ActionId.APPROVE]


def test_card_escapes_and_shows_rollback_as_code_then_outcome_without_buttons():
    blocks = approval_blocks(_approval(Risk.LOW), ApprovalsConfig(), now=1.8e9)
    text = str(blocks)
    assert "&lt;!channel&gt;" in text and "<!channel>" not in text
    assert "```restore --from backup```" in text
    denied = _approval(Risk.LOW, status=ApprovalStatus.DENIED, decided_by="UBOB", reason="<@U1> no")
    blocks = approval_blocks(denied, ApprovalsConfig(), now=1.8e9)
    assert not _buttons(blocks)
    outcome = next(b for b in blocks if b.get("block_id") == BlockId.APPROVAL_OUTCOME)
    assert outcome["text"]["text"] == "❌ Denied by <@UBOB>: &lt;@U1&gt; no"
    assert deny_modal(denied)["blocks"][1]["block_id"] == BlockId.DENY_REASON


def test_result_message_shows_commands_as_code_and_counts():
    from app.domain.investigations import Investigation, RecommendedAction

    inv = Investigation(
        id="INV-1",
        number=1,
        alert_summary="5xx",
        root_cause="pool",
        affected_resources=("db",),
        recommended_actions=(RecommendedAction("Roll back", "kubectl rollout undo x"),),
        posted_by="api",
        created_at=1.8e9,
        votes={Rating.ACCURATE: 2, Rating.PARTIALLY_ACCURATE: 0, Rating.NEEDS_IMPROVEMENT: 1},
    )
    text = str(result_blocks(inv))
    assert "```kubectl rollout undo x```" in text
    assert "Accurate: 2" in text and "Needs improvement: 1" in text
