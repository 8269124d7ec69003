"""Scripts called together share one pipelined round trip (app/store/scripts.py), and each
caller still gets its own answer or its own error, on a real redis-server."""

from __future__ import annotations

import asyncio
import socket

import pytest
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError

from app.store.keys import Keys
from app.store.scripts import Call, Scripts


class CountingScripts(Scripts):
    """Counts what reaches Redis: pipelines (with their sizes) and lone calls."""

    def __init__(self, redis: Redis) -> None:
        super().__init__(redis)
        self.pipelines: list[int] = []

    async def _pipeline(self, calls):  # type: ignore[no-untyped-def]
        self.pipelines.append(len(calls))
        return await super()._pipeline(calls)


def lock_call(i: int, owner: str = "owner") -> tuple[str, list[str], list[str]]:
    # lock.lua: takes (or renews) the lease, 1; held by another owner, 0.
    return "lock", [Keys("t").lock(f"job-{i}")], [f"{owner}-{i}", "60000"]


async def test_a_burst_of_calls_shares_a_few_round_trips_and_each_gets_its_answer(redis):
    scripts = CountingScripts(redis)
    assert await scripts.run(*lock_call(0, "first")) == 1  # alone: loads the script
    answers = await asyncio.gather(*(scripts.run(*lock_call(i)) for i in range(1, 301)))
    assert answers == [1] * 300
    # Others ask for the same leases: each hears they are held.
    again = await asyncio.gather(*(scripts.run(*lock_call(i, "other")) for i in range(1, 301)))
    assert again == [0] * 300
    assert sum(scripts.pipelines) == 600
    assert len(scripts.pipelines) <= 8  # a few batches (256 at most each), not 600 trips
    assert await redis.get(Keys("t").lock("job-7")) == "owner-7"


async def test_a_lone_call_is_sent_at_once(redis):
    scripts = CountingScripts(redis)
    assert await scripts.run(*lock_call(1)) == 1
    assert scripts.pipelines == []  # no pipeline for one call


async def test_one_callers_script_error_is_its_own(redis):
    scripts = Scripts(redis)
    good = [scripts.run(*lock_call(i)) for i in range(3)]
    # lock.lua with a non-numeric TTL: Redis refuses that one call only.
    bad = scripts.run("lock", [Keys("t").lock("bad")], ["owner", "not-a-number"])
    results = await asyncio.gather(*good, bad, return_exceptions=True)
    assert results[:3] == [1, 1, 1]
    assert isinstance(results[3], ResponseError)


async def test_scripts_redis_lost_are_loaded_again_for_a_batch(redis):
    scripts = CountingScripts(redis)
    assert await scripts.run(*lock_call(0)) == 1
    await redis.script_flush()  # a restart or failover: the server forgot every script
    answers = await asyncio.gather(*(scripts.run(*lock_call(i)) for i in range(1, 20)))
    assert answers == [1] * 19
    assert await scripts.run_many([Call(*lock_call(50))]) == [1]


async def test_redis_away_every_caller_of_the_batch_hears_it():
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = Redis(port=port, decode_responses=True, socket_connect_timeout=1)
    scripts = CountingScripts(client)
    results = await asyncio.gather(*(scripts.run(*lock_call(i)) for i in range(5)),
                                   return_exceptions=True)
    assert scripts.pipelines == [5]  # they went together, and all heard it
    assert all(isinstance(r, RedisConnectionError) for r in results), results
    await client.aclose()


async def test_a_caller_that_gives_up_does_not_stop_the_others(redis):
    scripts = Scripts(redis)
    waiting = [asyncio.ensure_future(scripts.run(*lock_call(i))) for i in range(10)]
    waiting[3].cancel()
    results = await asyncio.gather(*waiting, return_exceptions=True)
    assert isinstance(results[3], asyncio.CancelledError)
    assert [r for i, r in enumerate(results) if i != 3] == [1] * 9


@pytest.mark.parametrize("size", [1, 2, 257])
async def test_answers_come_back_in_the_order_of_the_calls(redis, size):
    scripts = Scripts(redis)
    calls = [scripts.run(*lock_call(i)) for i in range(size)]
    assert await asyncio.gather(*calls) == [1] * size
    owners = await redis.mget([Keys("t").lock(f"job-{i}") for i in range(size)])
    assert owners == [f"owner-{i}" for i in range(size)]
