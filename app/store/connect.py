"""Builds Beacon's Redis client: from REDIS_URL, or through Redis Sentinel (REDIS_SENTINELS).

Every client retries a command a few times with exponential backoff on connection errors and
timeouts, so a short blip (a restart, a Sentinel failover) heals by itself. The budget stays
well under Slack's 3 s ack window: when Redis is really gone, the clicker hears so in time.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.asyncio.sentinel import Sentinel
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError, RedisError, TimeoutError

from app.settings import Settings, StartupError
from app.store.keys import Keys

log = logging.getLogger("beacon.redis")

# 0.1 + 0.2 + 0.4 s between four attempts: ~0.7 s before a command gives up.
RETRIES = 3
BACKOFF_BASE_S = 0.05
BACKOFF_CAP_S = 0.5
POOL_SIZE = 64
POOL_WAIT_S = 2.0
# redis-py has no blocking Sentinel pool: leave room for bursts instead.
SENTINEL_POOL_SIZE = 1000


def make_retry() -> Retry:
    return Retry(
        ExponentialBackoff(cap=BACKOFF_CAP_S, base=BACKOFF_BASE_S),
        RETRIES,
        supported_errors=(ConnectionError, TimeoutError),
    )


def client_options() -> dict[str, Any]:
    """Connection options shared by the URL and the Sentinel clients."""
    return {
        "decode_responses": True,
        "socket_connect_timeout": 3,
        "socket_timeout": 5,
        "health_check_interval": 15,
        "retry": make_retry(),
    }


def parse_sentinels(value: str) -> list[tuple[str, int]]:
    """`host:port,host:port` → [(host, port), ...]; StartupError naming a bad entry."""
    nodes: list[tuple[str, int]] = []
    for raw in value.split(","):
        entry = raw.strip()
        if not entry:
            continue
        host, sep, port = entry.rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise StartupError(
                f"REDIS_SENTINELS entry '{entry}' is not host:port: write it like "
                "REDIS_SENTINELS=10.0.0.1:26379,10.0.0.2:26379,10.0.0.3:26379"
            )
        nodes.append((host.strip("[]"), int(port)))
    return nodes


class SentinelRedis(Redis):
    """The master client of a Sentinel setup; closing it also closes the sentinel clients."""

    async def aclose(self, close_connection_pool: bool | None = None) -> None:
        await super().aclose(close_connection_pool)
        manager = getattr(self.connection_pool, "sentinel_manager", None)
        if isinstance(manager, Sentinel):
            await manager.aclose()


def sentinel_client(settings: Settings, nodes: list[tuple[str, int]]) -> Redis:
    sentinel_kwargs: dict[str, Any] = {
        "socket_connect_timeout": 1,
        "socket_timeout": 1,
        # No retry here: discover_master already moves on to the next sentinel.
        "retry": Retry(ExponentialBackoff(), 0),
    }
    if settings.redis_sentinel_password:
        sentinel_kwargs["password"] = settings.redis_sentinel_password
    sentinel = Sentinel(nodes, sentinel_kwargs=sentinel_kwargs)
    return sentinel.master_for(
        settings.redis_sentinel_master,
        redis_class=SentinelRedis,
        db=settings.redis_db,
        password=settings.redis_password or None,
        max_connections=SENTINEL_POOL_SIZE,
        **client_options(),
    )


def url_client(settings: Settings, url: str) -> Redis:
    extra: dict[str, Any] = {"db": settings.redis_db}
    if settings.redis_password:
        extra["password"] = settings.redis_password  # a password in the URL wins
    # A burst of clicks must queue for a connection, not fail with "Too many connections"
    # (redis-py's default pool raises at 100 in flight, and that reads as "database down").
    pool = BlockingConnectionPool.from_url(
        url, max_connections=POOL_SIZE, timeout=POOL_WAIT_S, **extra, **client_options()
    )
    return Redis.from_pool(pool)  # the client owns the pool and closes it


def describe(settings: Settings, url: str | None) -> str:
    if settings.redis_sentinels:
        return f"Sentinel {settings.redis_sentinels} (master '{settings.redis_sentinel_master}')"
    return f"Redis at {url}"


async def connect(settings: Settings, url: str | None) -> Redis:
    """A pinged client for `url` (REDIS_URL or the embedded server) or for REDIS_SENTINELS."""
    sentinels = (settings.redis_sentinels or "").strip()
    if sentinels and settings.redis_url:
        raise StartupError(
            "REDIS_URL and REDIS_SENTINELS are both set: keep REDIS_SENTINELS to connect "
            "through Sentinel, or REDIS_URL for a single Redis, not both"
        )
    if sentinels:
        nodes = parse_sentinels(sentinels)
        if not nodes:
            raise StartupError("REDIS_SENTINELS is empty: list them as host:port,host:port")
        redis = sentinel_client(settings, nodes)
        where = ",".join(f"{h}:{p}" for h, p in nodes)
        fix = (
            f"Redis master '{settings.redis_sentinel_master}' via the sentinels at {where} "
            "is unreachable"
        )
        how = (
            "start the sentinels, or check REDIS_SENTINELS, REDIS_SENTINEL_MASTER and "
            "REDIS_SENTINEL_PASSWORD"
        )
    else:
        assert url, "connect() needs a URL when REDIS_SENTINELS is unset"
        redis = url_client(settings, url)
        fix = f"Redis at {url} is unreachable"
        how = "start Redis, or fix REDIS_URL (unset it to use the embedded redis-server)"
    try:
        await redis.ping()
    except (RedisError, OSError) as exc:
        await redis.aclose()
        detail = " ".join(str(exc).split())[:300]  # one line, whatever redis-py says
        raise StartupError(f"{fix} ({detail}): {how}") from None
    log.info("connected to %s", describe(settings, url))
    return redis


class ServerProbe:
    """What `python -m app doctor` asks the Redis server, on a connection of its own."""

    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    @classmethod
    async def connect(cls, settings: Settings, url: str | None) -> ServerProbe:
        return cls(await connect(settings, url))

    async def version(self) -> str:
        info = await self.redis.info("server")
        return str(info.get("redis_version", "?"))

    async def durability(self) -> dict[str, str]:
        """appendonly and maxmemory-policy; raises where CONFIG is disabled (managed Redis)."""
        config = {**await self.redis.config_get("appendonly"),
                  **await self.redis.config_get("maxmemory-policy")}
        return {str(k): str(v) for k, v in config.items()}

    async def memory(self, keys: Keys, now: float) -> MemoryFacts:
        """Redis memory against what it holds: incidents now, archived, declared lately."""
        used = int((await self.redis.info("memory"))["used_memory"])
        incidents = int(await self.redis.zcard(keys.incidents_all()))
        archived = 0
        async for key in self.redis.scan_iter(match=keys.archive("*"), count=1000):
            archived += int(await self.redis.hlen(key))
        last = int(now // 900)  # the digest's quarter-hour totals (lua/_prelude.lua)
        declared = 0.0
        for bucket in range(last - 2 * 96, last):
            declared += float(await self.redis.hget(keys.stats(bucket), "declared") or 0)
        return MemoryFacts(used, incidents, archived, declared / 2)

    async def close(self) -> None:
        await self.redis.aclose()


@dataclass(frozen=True)
class MemoryFacts:
    used_bytes: int
    incidents: int  # in Redis in full
    archived: int
    declared_per_day: float  # over the last two days
