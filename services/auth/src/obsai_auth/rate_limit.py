"""Sliding-window rate limits in Redis: one Lua script, one round trip.

Each bucket (``auth:rl:user:<id>`` or ``auth:rl:key:<id>``) is a sorted set of
request timestamps in milliseconds. A hit drops entries older than the window,
counts the rest, and admits the request only if the count is under the limit.
A rejected request is not recorded, so a client hammering past its limit gets
back in as soon as its oldest admitted request leaves the window. Time comes
from the caller (the auth service's clock), so it is injectable in tests.

A hit may carry a `Precondition` — "this session still belongs to this user" —
checked by the same script before anything is counted: a request with a
revoked token never spends its user's quota, and the token path pays one
round trip for both questions instead of two.
"""

from __future__ import annotations

import math
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from redis.asyncio import Redis

from obsai_auth.storage import redis_errors
from obsai_common.interceptor import RateLimitStatus


@dataclass(frozen=True, slots=True)
class WindowState:
    """A bucket right after a hit (or a peek)."""

    allowed: bool
    limit: int
    count: int  # requests in the window, including this one if allowed
    oldest_ms: int | None  # timestamp of the oldest request still in the window
    now_ms: int
    window_ms: int

    @property
    def remaining(self) -> int:
        return max(self.limit - self.count, 0)

    @property
    def reset(self) -> int:
        """Epoch seconds when the next slot frees up (now, if nothing is counted)."""
        if self.oldest_ms is None:
            return math.ceil(self.now_ms / 1000)
        return math.ceil((self.oldest_ms + self.window_ms) / 1000)

    @property
    def retry_after(self) -> int:
        """Whole seconds to wait before a rejected request can succeed (at least 1)."""
        if self.allowed:
            return 0
        if self.oldest_ms is None:
            return 1
        return max(math.ceil((self.oldest_ms + self.window_ms - self.now_ms) / 1000), 1)

    def status(self) -> RateLimitStatus:
        return RateLimitStatus(limit=self.limit, remaining=self.remaining, reset=self.reset)


@dataclass(frozen=True, slots=True)
class Precondition:
    """A Redis hash field that must hold `expected` for the request to count."""

    key: str
    field: str
    expected: str


class PreconditionFailed(Exception):
    """The precondition did not hold; nothing was counted."""


class RateLimiter(Protocol):
    async def hit(
        self, bucket: str, limit: int, window_seconds: int, requires: Precondition | None = None
    ) -> WindowState:
        """Count one request if `requires` holds and it fits in the window."""
        ...

    async def peek(
        self, bucket: str, limit: int, window_seconds: int, requires: Precondition | None = None
    ) -> WindowState:
        """The bucket's state without counting a request (if `requires` holds)."""
        ...


# KEYS[1] bucket, KEYS[2] (optional) the precondition's hash; ARGV: now_ms,
# window_ms, limit, cost (0 or 1), unique member, then the precondition's field
# and expected value. Returns {allowed, count, oldest_ms or -1}; allowed is -1
# when the precondition fails. (Both keys live on one Redis: ObsAI does not
# shard its Redis, so the keys need no shared hash slot.)
_SLIDING_WINDOW = """
if KEYS[2] and redis.call('HGET', KEYS[2], ARGV[6]) ~= ARGV[7] then
  return {-1, 0, -1}
end
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
local cost = tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
local allowed = 0
if cost == 0 or count < limit then
  allowed = 1
  if cost > 0 then
    redis.call('ZADD', KEYS[1], now, ARGV[5])
    redis.call('PEXPIRE', KEYS[1], window)
    count = count + 1
  end
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local oldest_ms = -1
if oldest[2] then oldest_ms = tonumber(oldest[2]) end
return {allowed, count, oldest_ms}
"""


class RedisRateLimiter:
    def __init__(self, redis: Redis, clock: Callable[[], float] = time.time) -> None:
        self._script = redis.register_script(_SLIDING_WINDOW)
        self._clock = clock

    async def hit(
        self, bucket: str, limit: int, window_seconds: int, requires: Precondition | None = None
    ) -> WindowState:
        return await self._run(bucket, limit, window_seconds, 1, requires)

    async def peek(
        self, bucket: str, limit: int, window_seconds: int, requires: Precondition | None = None
    ) -> WindowState:
        return await self._run(bucket, limit, window_seconds, 0, requires)

    async def _run(
        self,
        bucket: str,
        limit: int,
        window_seconds: int,
        cost: int,
        requires: Precondition | None,
    ) -> WindowState:
        now_ms = int(self._clock() * 1000)
        window_ms = window_seconds * 1000
        keys = [f"auth:rl:{bucket}"]
        args: list[str | int] = [now_ms, window_ms, limit, cost, f"{now_ms}-{secrets.token_hex(6)}"]
        if requires is not None:
            keys.append(requires.key)
            args += [requires.field, requires.expected]
        with redis_errors():
            allowed, count, oldest = await self._script(keys=keys, args=args)
        if allowed < 0:
            raise PreconditionFailed(requires)
        return WindowState(
            allowed=bool(allowed),
            limit=limit,
            count=int(count),
            oldest_ms=int(oldest) if int(oldest) >= 0 else None,
            now_ms=now_ms,
            window_ms=window_ms,
        )


class RedisLoginThrottle:
    """Failed logins per username (case-insensitive) in a fixed window.

    Keyed by the name tried, whether or not it exists, so it reveals nothing;
    a success clears the count.
    """

    def __init__(self, redis: Redis, max_failures: int, window_seconds: int) -> None:
        self._redis = redis
        self._max = max_failures
        self._window = window_seconds

    @staticmethod
    def _key(username: str) -> str:
        return f"auth:login-failures:{username.casefold()}"

    async def blocked(self, username: str) -> bool:
        with redis_errors():
            count = await self._redis.get(self._key(username))
        return count is not None and int(count) >= self._max

    async def failed(self, username: str) -> None:
        key = self._key(username)
        with redis_errors():
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.incr(key)
                pipe.expire(key, self._window, nx=True)
                await pipe.execute()

    async def succeeded(self, username: str) -> None:
        with redis_errors():
            await self._redis.delete(self._key(username))
