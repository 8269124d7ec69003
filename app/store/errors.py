"""The store's failures, named for code outside app/store (which never imports redis)."""

from __future__ import annotations

from redis.exceptions import BusyLoadingError, ReadOnlyError, RedisError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

# Anything a store call raised because of Redis.
StoreError = RedisError

# Redis unreachable, still loading its data, or a replica during a failover: worth waiting out.
StoreUnavailable = (RedisConnectionError, RedisTimeoutError, BusyLoadingError, ReadOnlyError)

__all__ = ["StoreError", "StoreUnavailable"]
