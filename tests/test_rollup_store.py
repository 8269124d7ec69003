"""Storm rollups' bookkeeping on a real redis-server (app/store/rollups.py)."""

from __future__ import annotations

from redis.asyncio import Redis

from app.store import Stores
from app.store.keys import Keys


async def test_one_event_says_a_bulk_action_and_may_try_again_until_it_has(redis: Redis):
    rollups = Stores(redis, Keys("t")).rollups
    # The first event of the batch claims it; another event of the same batch does not.
    assert await rollups.claim_bulk("R1", "R1:b7", "INC-3#2") == (True, None)
    assert await rollups.claim_bulk("R1", "R1:b7", "INC-4#2") == (False, None)
    # Slack was down, or the instance died, before the reply: the same event still posts it.
    assert await rollups.claim_bulk("R1", "R1:b7", "INC-3#2") == (True, None)
    await rollups.bulk_posted("R1", "R1:b7", "1700000000.000200")
    # Tried again after posting: it knows where the reply is (not posted twice).
    assert await rollups.claim_bulk("R1", "R1:b7", "INC-3#2") == (True, "1700000000.000200")
    # Another batch on the same rollup is its own.
    assert await rollups.claim_bulk("R1", "R1:b8", "INC-4#3") == (True, None)
