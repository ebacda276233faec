"""The real dependencies the suite runs on are what they claim to be."""

from __future__ import annotations

import asyncpg
from redis.asyncio import Redis


async def test_postgres_has_pgvector_and_trigram(database_url: str) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
        await conn.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        distance = await conn.fetchval("SELECT '[1,0,0]'::vector <=> '[0,1,0]'::vector")
        similarity = await conn.fetchval("SELECT similarity('latency', 'latancy')")
    finally:
        await conn.close()
    assert distance == 1.0
    assert 0.3 < similarity < 1.0


async def test_redis_is_private_and_flushed(redis_url: str) -> None:
    client = Redis.from_url(redis_url)
    try:
        assert await client.dbsize() == 0
        await client.set("k", "v")
        assert await client.get("k") == b"v"
    finally:
        await client.aclose()
