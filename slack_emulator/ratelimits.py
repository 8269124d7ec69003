"""Slack Web API rate limits for the emulator (opt-in: ``SlackEmulator(rate_limits=True)`` or
``emu.enable_rate_limits(...)``).

Model: continuously refilled token buckets, checked before a method runs; a refused call changes
nothing and is answered like Slack does, HTTP 429 + ``Retry-After: <int seconds>`` +
``{"ok": false, "error": "ratelimited"}``.

* ``chat.postMessage`` (Slack's "special" tier): one bucket per conversation (a user id counts
  against the bot's DM with that user) plus one workspace-wide bucket.
* Every other limited method: one bucket per (workspace, method), refilled at the tier's
  per-minute rate, capacity = one minute's worth (Slack: "bursts up to roughly a minute's worth").

Sources (see /work/shared/slack-payloads/LIMITS.md, "Web API rate limits"):
  https://docs.slack.dev/apis/web-api/rate-limits and https://api.slack.com/docs/rate-limits
  (tiers: "Tier 1: 1+ per minute, Tier 2: 20+, Tier 3: 50+, Tier 4: 100+, Special: varies";
  "Posting messages: 1 per second [per channel]. Short bursts >1 allowed.", plus an unnumbered
  workspace-wide posting limit), and https://docs.slack.dev/reference/methods/<method> for the
  tier of each method. Tiers marked "(unconfirmed)" were not re-read in a stored copy of the
  method page; LIMITS.md lists which ones it confirmed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

TIER_1 = 1.0  # requests per minute
TIER_2 = 20.0
TIER_3 = 50.0
TIER_4 = 100.0

# Requests per minute per (workspace, method). None = the emulator does not limit it.
# chat.postMessage is not here: it has its own per-channel + workspace buckets (POST_METHODS).
METHOD_LIMITS: dict[str, float | None] = {
    "auth.test": TIER_4,  # special ("hundreds per minute"); 100/min, Tier 4-like (unconfirmed)
    "apps.connections.open": TIER_1,  # api.slack.com: Tier 1; a newer mirror says Tier 3
    "chat.update": TIER_3,  # (unconfirmed)
    "chat.delete": TIER_3,  # (unconfirmed)
    "chat.postEphemeral": TIER_4,  # (unconfirmed)
    "chat.getPermalink": 500.0,  # special, "hundreds of requests per minute"; 500 is our pick
    "views.open": TIER_4,  # confirmed
    "views.push": TIER_4,  # (unconfirmed)
    "views.update": TIER_4,  # (unconfirmed)
    "views.publish": TIER_4,  # (unconfirmed)
    "conversations.create": TIER_2,  # confirmed
    "conversations.invite": TIER_3,  # (unconfirmed)
    "conversations.setTopic": TIER_2,  # (unconfirmed)
    "conversations.setPurpose": TIER_2,  # (unconfirmed)
    "conversations.archive": TIER_2,  # (unconfirmed)
    "conversations.info": TIER_3,  # (unconfirmed)
    "conversations.list": TIER_2,  # (unconfirmed)
    "conversations.join": None,  # not limited here (Slack: Tier 3, unconfirmed)
    # Tier 3 for internal and Marketplace apps; 1/min (15 messages per answer) for commercially
    # distributed non-Marketplace apps created since 2025-05-29 (confirmed). Override with
    # enable_rate_limits(method_limits={"conversations.history": 1}) to test that case.
    "conversations.history": TIER_3,
    "conversations.replies": TIER_3,
    "conversations.open": TIER_3,  # (unconfirmed)
    "conversations.members": TIER_4,  # (unconfirmed)
    "users.info": TIER_4,  # (unconfirmed)
    "users.list": None,  # not limited here (Slack: Tier 2, unconfirmed)
    "users.lookupByEmail": TIER_3,  # (unconfirmed)
    "usergroups.users.list": TIER_2,  # (unconfirmed)
    "bookmarks.add": TIER_2,  # (unconfirmed)
    "bookmarks.list": None,  # not limited here (Slack: Tier 3, unconfirmed)
    "reactions.add": TIER_3,  # (unconfirmed)
    "pins.add": TIER_2,  # (unconfirmed)
    "files.getUploadURLExternal": TIER_4,  # (unconfirmed)
    "files.completeUploadExternal": TIER_4,  # (unconfirmed)
}

# Methods limited per conversation (+ workspace-wide) instead of per method. chat.scheduleMessage
# would belong here too, but the emulator does not implement it.
POST_METHODS = frozenset({"chat.postMessage"})

# chat.postMessage defaults. Sustained 1/s per channel is documented; the burst size and the
# workspace-wide rate are NOT published by Slack: 3 and 100/min are the emulator's own picks.
POST_PER_SECOND = 1.0
POST_BURST = 3
POST_WORKSPACE_PER_MINUTE = 100.0

_EPS = 1e-9  # float slack so that e.g. 3 s x (20/60 per s) refills exactly one token


class TokenBucket:
    """`capacity` tokens, refilled continuously at `rate` per second, computed lazily (O(1))."""

    __slots__ = ("capacity", "rate", "tokens", "updated")

    def __init__(self, rate: float, capacity: float, now: float) -> None:
        self.rate = rate
        self.capacity = max(1.0, capacity)
        self.tokens = self.capacity
        self.updated = now

    def _refill(self, now: float) -> None:
        elapsed = now - self.updated
        if elapsed > 0:
            self.tokens = min(self.capacity, self.tokens + elapsed * self.rate)
        self.updated = max(self.updated, now)

    def wait(self, now: float) -> float:
        """Seconds until one token is free (0.0 = available now). Does not take it."""
        self._refill(now)
        missing = 1.0 - self.tokens
        if missing <= _EPS:
            return 0.0
        return math.inf if self.rate <= 0 else missing / self.rate

    def take(self) -> None:
        """Take one token; call right after wait() returned 0.0 for the same `now`."""
        self.tokens = max(0.0, self.tokens - 1.0)


def per_minute_bucket(per_minute: float, now: float) -> TokenBucket:
    return TokenBucket(per_minute / 60.0, per_minute, now)


@dataclass(frozen=True)
class RateLimitConfig:
    post_per_second: float = POST_PER_SECOND
    post_burst: float = POST_BURST
    post_workspace_per_minute: float | None = POST_WORKSPACE_PER_MINUTE
    method_limits: Mapping[str, float | None] | None = None  # overrides over METHOD_LIMITS

    def per_minute(self, method: str) -> float | None:
        if self.method_limits is not None and method in self.method_limits:
            return self.method_limits[method]
        return METHOD_LIMITS.get(method)


class RateLimiter:
    """All buckets of one emulator. `check` is O(1): a couple of dict lookups per call."""

    def __init__(self, config: RateLimitConfig, now: Callable[[], float]) -> None:
        self.config = config
        self.now = now
        self._buckets: dict[tuple[str, ...], TokenBucket] = {}

    def _bucket(
        self, key: tuple[str, ...], make: Callable[[float], TokenBucket], now: float
    ) -> TokenBucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = make(now)
        return bucket

    def check(self, team: str, method: str, channel_key: str | None) -> float:
        """Take a token for this call and return 0.0, or return the wait in seconds (> 0) and
        take nothing. `channel_key` is only used for POST_METHODS."""
        now = self.now()
        cfg = self.config
        buckets: list[TokenBucket] = []
        if method in POST_METHODS:
            if channel_key is not None:
                buckets.append(
                    self._bucket(
                        ("post", team, channel_key),
                        lambda t: TokenBucket(cfg.post_per_second, cfg.post_burst, t),
                        now,
                    )
                )
            if cfg.post_workspace_per_minute is not None:
                ws_rate = cfg.post_workspace_per_minute
                buckets.append(
                    self._bucket(("post", team), lambda t: per_minute_bucket(ws_rate, t), now)
                )
        else:
            per_minute = cfg.per_minute(method)
            if per_minute is None:
                return 0.0
            buckets.append(
                self._bucket(
                    ("method", team, method), lambda t: per_minute_bucket(per_minute, t), now
                )
            )
        wait = max((b.wait(now) for b in buckets), default=0.0)
        if wait > 0:
            return wait
        for b in buckets:
            b.take()
        return 0.0


def retry_after(wait: float) -> int:
    """The Retry-After header value: whole seconds, rounded up, at least 1."""
    if math.isinf(wait):
        return 3600
    return max(1, math.ceil(wait - _EPS))
