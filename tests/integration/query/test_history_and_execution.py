"""History on real PostgreSQL (including a blip), the cache on real Redis, and
execution on the demo world's real Prometheus."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest
from redis.asyncio import Redis

from obsai_common import db
from obsai_common.errors import FailedPrecondition, UpstreamTimeout
from obsai_devstack.demo_world import DemoWorld
from obsai_query.cache import AnswerCache
from obsai_query.executor import Executor
from obsai_query.history import HistoryRecord, HistoryWriter
from obsai_query.prometheus import PrometheusClient
from obsai_query.time_range import TimeWindow

pytestmark = pytest.mark.integration


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await db.create_pool(database_url, "query", max_size=2)
    await db.apply_migrations(pool, "query", "obsai_query.migrations")
    yield pool
    await pool.close()


class BlippingPool:
    """The real pool, but the next `failures` acquisitions fail like a restarting Postgres."""

    def __init__(self, pool: asyncpg.Pool, failures: int) -> None:
        self.pool = pool
        self.failures = failures

    @contextlib.asynccontextmanager
    async def acquire(self, timeout: float | None = None) -> AsyncIterator[Any]:  # noqa: ASYNC109
        if self.failures > 0:
            self.failures -= 1
            raise ConnectionRefusedError("postgres is restarting")
        async with self.pool.acquire(timeout=timeout) as conn:
            yield conn


def record(user: str, n: int) -> HistoryRecord:
    return HistoryRecord(id=str(uuid.uuid4()), user_id=user, question=f"q{n}", promql="up")


async def test_history_survives_a_postgres_blip(pool: asyncpg.Pool) -> None:
    blipping = BlippingPool(pool, failures=3)
    writer = HistoryWriter(blipping, retry_max_seconds=0.05)  # type: ignore[arg-type]
    writer.start()
    for n in range(5):
        writer.record(record("u1", n))
    assert writer.pending_count == 5  # queued: recording never waits for Postgres
    assert await writer.flush(5.0)
    await writer.close(1.0)
    count = await pool.fetchval("SELECT count(*) FROM query_history WHERE user_id = 'u1'")
    assert count == 5
    assert blipping.failures == 0


async def test_text_postgres_cannot_hold_is_stored_safely(pool: asyncpg.Pool) -> None:
    writer = HistoryWriter(pool)
    writer.start()
    odd = HistoryRecord(
        id=str(uuid.uuid4()), user_id="u5", question="cpu\x00 of auth \udc80", promql=""
    )
    writer.record(odd)
    writer.record(record("u5", 2))
    await writer.close(5.0)
    questions = await pool.fetch("SELECT question FROM query_history WHERE user_id = 'u5'")
    assert sorted(r["question"] for r in questions) == ["cpu\ufffd of auth ?", "q2"]


async def test_a_refused_row_does_not_block_the_rest(pool: asyncpg.Pool) -> None:
    writer = HistoryWriter(pool)
    writer.start()
    # The user id is not cleaned (it comes from a verified identity), so this
    # row is one Postgres refuses: it is dropped, and the next one is written.
    writer.record(HistoryRecord(id=str(uuid.uuid4()), user_id="u6\x00", question="x", promql=""))
    writer.record(record("u6", 1))
    await writer.close(5.0)
    assert await pool.fetchval("SELECT count(*) FROM query_history WHERE user_id = 'u6'") == 1


async def test_close_flushes_the_outbox(pool: asyncpg.Pool) -> None:
    writer = HistoryWriter(pool)
    writer.start()
    for n in range(50):
        writer.record(record("u2", n))
    await writer.close(5.0)
    assert await pool.fetchval("SELECT count(*) FROM query_history WHERE user_id = 'u2'") == 50


async def test_pending_rows_are_readable_before_they_are_written(pool: asyncpg.Pool) -> None:
    writer = HistoryWriter(BlippingPool(pool, failures=1000))  # type: ignore[arg-type]
    row = record("u3", 1)
    writer.record(row)
    assert await writer.get(row.id) == row


async def test_full_outbox_drops_the_oldest(pool: asyncpg.Pool) -> None:
    writer = HistoryWriter(pool, queue_size=3)
    rows = [record("u4", n) for n in range(5)]
    for row in rows:
        writer.record(row)
    assert writer.pending_count == 3
    assert await writer.get(rows[0].id) is None
    await writer.close(5.0)
    assert await pool.fetchval("SELECT count(*) FROM query_history WHERE user_id = 'u4'") == 3


async def test_cache_on_real_redis(redis_url: str) -> None:
    redis = Redis.from_url(redis_url)
    cache = AnswerCache(redis, ttl_seconds=60)
    await cache.put("k", {"a": 1})
    assert await cache.get("k") == {"a": 1}
    assert 0 < await redis.ttl("k") <= 60
    await redis.aclose()


async def test_cache_with_redis_down_is_a_miss_not_an_error() -> None:
    redis = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    cache = AnswerCache(redis, ttl_seconds=60)
    await cache.put("k", {"a": 1})
    assert await cache.get("k") is None
    await redis.aclose()


@pytest.fixture
async def executor(demo_world: DemoWorld) -> AsyncIterator[Executor]:
    async with httpx.AsyncClient() as http:
        yield Executor(PrometheusClient(http, demo_world.prometheus_url), max_series=5)


async def test_instant_query_on_real_prometheus(executor: Executor) -> None:
    execution = await executor.execute(
        "sum by (service) (rate(http_requests_total[5m]))", TimeWindow(time.time()), ""
    )
    assert execution.result.type == "vector"
    assert len(execution.result.series) == 5
    assert execution.result.truncated  # ten services, five allowed


async def test_range_query_on_real_prometheus(executor: Executor) -> None:
    now = time.time()
    window = TimeWindow(now, now - 3600, 60)
    execution = await executor.execute("sum(rate(http_requests_total[5m]))", window, "")
    assert execution.result.type == "matrix"
    assert 55 <= len(execution.result.series[0].values) <= 61


async def test_prometheus_refusal_is_a_failed_precondition(executor: Executor) -> None:
    with pytest.raises(FailedPrecondition) as caught:
        await executor.execute(
            "http_requests_total / on(service) container_memory_usage_bytes",
            TimeWindow(time.time()),
            "",
        )
    assert caught.value.details["promql"].startswith("http_requests_total")


async def test_slow_prometheus_is_an_upstream_timeout() -> None:
    async def slow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(2)
        writer.close()

    server = await asyncio.start_server(slow, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server, httpx.AsyncClient() as http:
        executor = Executor(PrometheusClient(http, f"http://127.0.0.1:{port}"), timeout=0.2)
        with pytest.raises(UpstreamTimeout) as caught:
            await executor.execute("up", TimeWindow(time.time()), "")
    assert caught.value.details["promql"] == "up"
