"""Tells the requester's callback_url about a decision: signed, retried with backoff.

Fired by the scheduler (timer kind `approval_callback`, set by the decide/expire scripts in
the same step as the decision), so a crash or a slow receiver never loses a callback and
every retry waits on the injectable clock.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging

import aiohttp

from app.clock import Clock
from app.domain.approvals import Approval
from app.store.approvals import ApprovalStore

log = logging.getLogger("beacon.approvals")

MAX_ATTEMPTS = 5
TIMEOUT_S = 10.0


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """X-Beacon-Signature: 'sha256=' + hex HMAC-SHA256 of '<timestamp>.' + the body bytes.

    Signing the timestamp too lets receivers refuse replays (reject old timestamps).
    """
    message = timestamp.encode() + b"." + body
    return "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def callback_body(approval: Approval) -> bytes:
    return json.dumps(
        {
            "id": approval.id,
            "status": approval.status.value.lower(),
            "decided_by": approval.decided_by,
            "reason": approval.reason,
            "decided_at": approval.decided_at,
        },
        separators=(",", ":"),
        sort_keys=True,
    ).encode()


class CallbackSender:
    def __init__(self, store: ApprovalStore, clock: Clock, secret: str) -> None:
        self.store = store
        self.clock = clock
        self.secret = secret

    async def fire(self, timer_id: str, timer: dict[str, str]) -> None:
        approval_id = timer["approval_id"]
        attempt = int(timer.get("attempt") or 1)
        found = await self.store.get(approval_id)
        if found is None or not found[0].get("callback_url"):
            await self.store.callback_result(approval_id, "failed", detail="no callback_url")
            return
        approval = Approval.from_redis(*found)
        body = callback_body(approval)
        timestamp = str(int(self.clock.now()))
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "Beacon",
            "X-Beacon-Signature": sign(self.secret, timestamp, body),
            "X-Beacon-Timestamp": timestamp,
            "X-Beacon-Attempt": str(attempt),
        }
        try:
            async with (
                aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=TIMEOUT_S)) as session,
                session.post(str(approval.callback_url), data=body, headers=headers) as resp,
            ):
                ok, detail = 200 <= resp.status < 300, f"HTTP {resp.status}"
        except (aiohttp.ClientError, TimeoutError) as exc:
            ok, detail = False, f"{type(exc).__name__}: {exc}"[:200]
        if ok:
            await self.store.callback_result(approval_id, "delivered", detail=detail)
        elif attempt >= MAX_ATTEMPTS:
            log.warning("callback for %s gave up after %d tries: %s", approval_id, attempt, detail)
            await self.store.callback_result(approval_id, "failed", detail=detail)
        else:
            # Backoff 2, 4, 8, 16 s on Beacon's clock.
            await self.store.callback_result(
                approval_id,
                "retry",
                next_due=self.clock.now() + 2**attempt,
                attempt=attempt + 1,
                detail=detail,
            )
