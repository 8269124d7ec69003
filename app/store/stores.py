"""Every store on one connection: one key namespace, one scripts registry."""

from __future__ import annotations

from redis.asyncio import Redis
from redis.exceptions import RedisError

from app.store.answers import AnswerStore
from app.store.approvals import ApprovalStore, InvestigationStore
from app.store.cache import CacheStore
from app.store.home import HomeStore
from app.store.idempotency import IdempotencyStore
from app.store.incident_channels import ChannelStore
from app.store.incident_record import RecordStore
from app.store.incidents import IncidentStore
from app.store.keys import Keys
from app.store.leases import LeaseStore
from app.store.messages import MessageStore
from app.store.migrations import Migrations
from app.store.oncall import OnCallStore
from app.store.outbox import OutboxStore
from app.store.rollups import RollupStore
from app.store.runbooks import RunbookStore
from app.store.scripts import Scripts
from app.store.timers import TimerStore


class Stores:
    """One of each store, by aggregate. The composition root builds it and hands each service
    the stores it needs; the connection itself stays in here."""

    def __init__(self, redis: Redis, keys: Keys, *, keep_acknowledged: int = 1000) -> None:
        self._redis = redis
        self.keys = keys
        scripts = Scripts(redis)
        self.incidents = IncidentStore(redis, keys, scripts)
        self.messages = MessageStore(redis, keys, scripts)
        self.timers = TimerStore(redis, keys, scripts)
        self.oncall = OnCallStore(redis, keys, scripts)
        self.outbox = OutboxStore(redis, keys, scripts, keep_acknowledged=keep_acknowledged)
        self.leases = LeaseStore(redis, keys, scripts)
        self.cache = CacheStore(redis, keys, scripts)
        self.approvals = ApprovalStore(redis, keys, scripts)
        self.investigations = InvestigationStore(redis, keys, scripts)
        self.channels = ChannelStore(redis, keys, scripts)
        self.record = RecordStore(redis, keys, scripts)
        self.runbooks = RunbookStore(redis, keys, scripts)
        self.rollups = RollupStore(redis, keys, scripts)
        self.idempotency = IdempotencyStore(redis, keys, scripts)
        self.home = HomeStore(redis, keys, scripts)
        self.migrations = Migrations(redis, keys, scripts)
        self.answers = AnswerStore(redis, keys, scripts)

    async def ping(self) -> None:
        """Raises (a StoreError, OSError or TimeoutError) when Redis does not answer."""
        await self._redis.ping()

    async def ping_error(self) -> str | None:
        """None when Redis answers a PING, else what went wrong (for `/incident status`)."""
        try:
            await self._redis.ping()
        except (RedisError, OSError) as exc:
            return str(exc)
        return None

    async def close(self) -> None:
        await self._redis.aclose()
