"""Where a dead dependency becomes `Unavailable`, in one place per backend.

Stores wrap every Postgres and Redis call in these, so an outage surfaces as
UNAVAILABLE (503) with a fixed message: never a hang (asyncpg's command timeout,
the Redis client's socket timeouts) and never the driver's exception text.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Iterator

import asyncpg
import redis.exceptions

from obsai_common.errors import InvalidArgument, Unavailable

log = logging.getLogger(__name__)

_POSTGRES_DOWN = (
    OSError,
    TimeoutError,
    asyncpg.InterfaceError,
    asyncpg.PostgresConnectionError,  # SQLSTATE class 08
    asyncpg.InsufficientResourcesError,  # class 53
    asyncpg.OperatorInterventionError,  # class 57: shutdown, cannot connect now
)
_REDIS_DOWN = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError)


@contextlib.contextmanager
def postgres_errors() -> Iterator[None]:
    try:
        yield
    except _POSTGRES_DOWN as error:
        log.warning("postgres unavailable", extra={"error": type(error).__name__})
        raise Unavailable("the database is unavailable, try again shortly") from error


class RedisUnavailable(Unavailable):
    """Redis could not be reached; callers decide whether to fail open."""


@contextlib.contextmanager
def redis_errors() -> Iterator[None]:
    try:
        yield
    except _REDIS_DOWN as error:
        log.warning("redis unavailable", extra={"error": type(error).__name__})
        raise RedisUnavailable("the session store is unavailable, try again shortly") from error


def parse_uuid(value: str, what: str) -> uuid.UUID:
    """A client-supplied id, validated before it reaches SQL."""
    try:
        return uuid.UUID(value)
    except (ValueError, AttributeError, TypeError):
        raise InvalidArgument(f"{what} must be a UUID") from None
