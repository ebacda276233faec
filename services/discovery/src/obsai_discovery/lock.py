"""A cross-replica lock in Redis: `SET key token NX PX ttl`, renewed while held.

Only the holder's token can renew or release it (checked atomically in Lua), so
a replica whose lock expired mid-scan can never release another's.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import AsyncIterator

from redis.asyncio import Redis
from redis.exceptions import RedisError

from obsai_common.errors import Unavailable

log = logging.getLogger(__name__)

_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('del', KEYS[1])
end
return 0
"""


class RedisLock:
    def __init__(self, redis: Redis, key: str, ttl_seconds: float) -> None:
        self._redis = redis
        self._key = key
        self._ttl_ms = int(ttl_seconds * 1000)

    async def acquire(self) -> str | None:
        """A token if this caller now holds the lock, None if someone else does."""
        token = secrets.token_hex(16)
        try:
            acquired = await self._redis.set(self._key, token, nx=True, px=self._ttl_ms)
        except RedisError as error:
            raise Unavailable("Redis is unavailable: the discovery lock can't be taken") from error
        return token if acquired else None

    async def renew(self, token: str) -> bool:
        result = await self._redis.eval(_RENEW, 1, self._key, token, self._ttl_ms)  # type: ignore[misc]
        return bool(result)

    async def release(self, token: str) -> None:
        try:
            await self._redis.eval(_RELEASE, 1, self._key, token)  # type: ignore[misc]
        except RedisError:
            log.warning("could not release the discovery lock; it expires by itself")

    async def held(self) -> bool:
        """Whether anyone holds the lock now."""
        try:
            return bool(await self._redis.exists(self._key))
        except RedisError:
            return False

    @contextlib.asynccontextmanager
    async def holding(self, token: str) -> AsyncIterator[None]:
        """Keeps renewing the lock `token` holds until the block ends, then releases it."""

        async def keep() -> None:
            while True:
                await asyncio.sleep(self._ttl_ms / 3000)
                try:
                    if not await self.renew(token):
                        log.warning("the discovery lock was lost while a scan ran")
                        return
                except RedisError:
                    log.warning("could not renew the discovery lock")

        renewer = asyncio.create_task(keep())
        try:
            yield
        finally:
            renewer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewer
            await self.release(token)
