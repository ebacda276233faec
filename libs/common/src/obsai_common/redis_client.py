"""Redis with timeouts everywhere, so a dead Redis is an error, never a hang."""

from __future__ import annotations

from redis.asyncio import Redis


def create_redis(url: str, *, timeout: float = 1.0) -> Redis:
    return Redis.from_url(
        url,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        health_check_interval=30,
        decode_responses=False,
    )
