"""Answers cached in Redis for a few minutes.

The key is the normalised question, the tenant, the time parameters, the
catalog version and the engine mode: a different tenant, window or catalog
never sees another's answer. Redis failing never fails a question — the answer
is computed and returned uncached, and the failure is logged once per outage.
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from obsai_query.metrics import CACHE_ERRORS

log = logging.getLogger(__name__)

KEY_PREFIX = "obsai:query:answer:"


def cache_key(
    *,
    question: str,
    tenant: str,
    window_key: str,
    catalog_version: int,
    engine_mode: str,
) -> str:
    """A Redis key for one answer; `question` is already normalised."""
    material = json.dumps(
        [question, tenant, window_key, catalog_version, engine_mode],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return KEY_PREFIX + hashlib.sha256(material.encode()).hexdigest()


class AnswerCache:
    def __init__(self, redis: Redis | None, ttl_seconds: int) -> None:
        self._redis = redis
        self._ttl = ttl_seconds
        self._failing = False

    @property
    def enabled(self) -> bool:
        return self._redis is not None and self._ttl > 0

    def _failed(self, operation: str, error: Exception) -> None:
        CACHE_ERRORS.inc()
        if not self._failing:
            self._failing = True
            log.warning(
                "redis unavailable; answering uncached",
                extra={"operation": operation, "error": type(error).__name__},
            )

    def _recovered(self) -> None:
        if self._failing:
            self._failing = False
            log.info("redis is back; caching answers again")

    async def get(self, key: str) -> dict[str, Any] | None:
        if not self.enabled:
            return None
        assert self._redis is not None
        try:
            raw = await self._redis.get(key)
        except (RedisError, OSError) as error:
            self._failed("get", error)
            return None
        self._recovered()
        if raw is None:
            return None
        try:
            value = json.loads(raw)
        except ValueError:
            return None
        return value if isinstance(value, dict) else None

    async def put(self, key: str, value: dict[str, Any]) -> None:
        if not self.enabled:
            return
        assert self._redis is not None
        try:
            await self._redis.set(key, json.dumps(value, separators=(",", ":")), ex=self._ttl)
        except (RedisError, OSError) as error:
            self._failed("set", error)
            return
        self._recovered()
