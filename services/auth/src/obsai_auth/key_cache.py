"""Resolved API keys kept in memory, so a request with a key costs no
PostgreSQL round trip — without letting a revoked key live on.

Every change to a key (revoke, update) evicts it here at once and is published
on a Redis channel that every auth replica listens to, so the others evict it
within milliseconds. Entries also expire after `ttl` seconds, which bounds the
damage of a missed message (pub/sub is not durable) and keeps `last_used_at`
roughly current. A key's owner's roles are read with the key, so they too are
at most `ttl` old.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from obsai_auth.api_keys import ApiKey, ApiKeyStore, KeyPrincipal, NewKey, Page

log = logging.getLogger(__name__)

CHANNEL = "auth:api-keys:changed"


class CachingKeyStore:
    """An `ApiKeyStore` in front of another, caching `resolve`."""

    def __init__(
        self,
        inner: ApiKeyStore,
        redis: Redis,
        ttl: float,
        *,
        max_entries: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._inner = inner
        self._redis = redis
        self._ttl = ttl
        self._max_entries = max_entries
        self._clock = clock
        self._entries: dict[bytes, tuple[float, KeyPrincipal | None]] = {}
        self._listener: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._listener = asyncio.create_task(self._listen(), name="api-key-invalidations")

    async def close(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener

    async def resolve(self, key_hash: bytes) -> KeyPrincipal | None:
        now = self._clock()
        cached = self._entries.get(key_hash)
        if cached is not None and now - cached[0] < self._ttl:
            return cached[1]
        principal = await self._inner.resolve(key_hash)
        if principal is not None:  # unknown keys are not kept: a flood of guesses costs memory
            if len(self._entries) >= self._max_entries:
                self._entries.clear()
            self._entries[key_hash] = (now, principal)
        return principal

    async def revoke(self, key_id: str) -> ApiKey | None:
        key = await self._inner.revoke(key_id)
        await self._changed(key_id)
        return key

    async def update(
        self, key_id: str, name: str | None, description: str | None, rate_limit: int | None
    ) -> ApiKey | None:
        key = await self._inner.update(key_id, name, description, rate_limit)
        await self._changed(key_id)
        return key

    async def create(self, new: NewKey) -> ApiKey:
        return await self._inner.create(new)

    async def get(self, key_id: str) -> ApiKey | None:
        return await self._inner.get(key_id)

    async def list(
        self, owner_id: str | None, include_revoked: bool, page: Page
    ) -> tuple[list[ApiKey], int]:
        return await self._inner.list(owner_id, include_revoked, page)

    def evict(self, key_id: str) -> None:
        stale = [h for h, (_, p) in self._entries.items() if p is not None and p.key.id == key_id]
        for key_hash in stale:
            del self._entries[key_hash]

    async def _changed(self, key_id: str) -> None:
        self.evict(key_id)
        try:
            await self._redis.publish(CHANNEL, key_id)
        except RedisError:
            # Other replicas fall back on the TTL; this one is already right.
            log.warning("could not publish an API key change", extra={"key_id": key_id})

    async def _listen(self) -> None:
        while True:
            try:
                async with self._redis.pubsub(ignore_subscribe_messages=True) as pubsub:
                    await pubsub.subscribe(CHANNEL)
                    # A gap while (re)subscribing may have missed changes.
                    self._entries.clear()
                    while True:
                        # Polled with its own timeout: the client's socket
                        # timeout would otherwise break an idle subscription.
                        message = await pubsub.get_message(timeout=1.0)
                        if message is not None:
                            self._on_message(message)
            except RedisError:
                log.warning("API key invalidation channel lost; retrying")
                await asyncio.sleep(1.0)

    def _on_message(self, message: dict[str, Any]) -> None:
        if message.get("type") == "message":
            data = message["data"]
            self.evict(data.decode() if isinstance(data, bytes) else str(data))
