"""The lexical signal's name match, checked against PostgreSQL's pg_trgm itself.

`NameIndex` rules out names whose trigram share cannot reach the threshold; the
database then computes `word_similarity` for the rest. Nothing PostgreSQL would
match may be ruled out, and the store must not trust an index read at another
catalog version.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import AsyncIterator

import asyncpg
import pytest

from obsai.v1 import catalog_pb2 as C
from obsai_catalog.store import CatalogStore, LexicalQuery, init_connection
from obsai_catalog.trigrams import NameIndex
from obsai_common import db
from tests.integration.catalog.harness import SERVICE, CatalogHandle
from tests.retrieval.questions import QUESTIONS

pytestmark = pytest.mark.integration

NAMES = [
    "up",
    "go_gc_duration_seconds",
    "process_cpu_seconds_total",
    "container_cpu_usage_seconds_total",
    "container_memory_usage_bytes",
    "container_spec_memory_limit_bytes",
    "http_requests_total",
    "http_request_duration_seconds_bucket",
    "kube_pod_container_status_restarts_total",
    "node_filesystem_avail_bytes",
    "redis_connected_clients",
    "pg_stat_database_xact_commit",
    "probe_success",
    "scrape_duration_seconds",
    "a",
    "x9",
    "CamelCaseMetric",
    "errors",
]
TEXTS = [
    *(q for q, _ in QUESTIONS),
    *NAMES,
    *(name.replace("_", " ") for name in NAMES),
    "container cpu usage",
    "requests total",
    "HTTP Requests!",
    "up?",
    "restarts of kube pods",
    "memory limit bytes of the container",
    "a x9 errors",
    "camel case metric",
    "",
]


async def test_no_name_postgres_matches_is_ruled_out(database_url: str) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        rows = await conn.fetch(
            """
            SELECT n.i, t.text, word_similarity(n.name, t.text) >= 0.6 AS hit
            FROM unnest($1::text[]) WITH ORDINALITY AS n(name, i), unnest($2::text[]) AS t(text)
            """,
            NAMES,
            TEXTS,
        )
    finally:
        await conn.close()
    index = NameIndex(1, dict(enumerate(NAMES, start=1)))
    hits = {(r["i"], r["text"]) for r in rows if r["hit"]}
    assert len(hits) > len(NAMES)  # names match themselves, and more
    for text, group in itertools.groupby(sorted(hits, key=lambda h: h[1]), key=lambda h: h[1]):
        candidates = index.candidates(text)
        assert candidates is not None
        assert {i for i, _ in group} <= set(candidates), text
    # And it rules most names out.
    kept = [index.candidates(text) for text in TEXTS]
    assert sum(len(NAMES) - len(ids) for ids in kept if ids is not None) > (
        0.8 * len(NAMES) * len(TEXTS)
    )


@pytest.fixture
async def store(catalog: CatalogHandle, database_url: str) -> AsyncIterator[CatalogStore]:
    pool = await db.create_pool(
        database_url, "catalog", init=functools.partial(init_connection, ef_search=100)
    )
    try:
        yield CatalogStore(pool, 100)
    finally:
        await pool.close()


async def _apply(catalog: CatalogHandle, scan: str, *names: str) -> None:
    await catalog.stub.ApplyDiscoveryBatch(
        C.ApplyDiscoveryBatchRequest(
            source="prom",
            scan_id=scan,
            metrics=[C.DiscoveredMetric(name=n, help="something measured") for n in names],
        ),
        metadata=SERVICE,
    )


async def _name_matches(store: CatalogStore, text: str, version: int) -> list[int]:
    # A full-text query that matches no description: only the name match is left.
    found = await store.lexical([LexicalQuery(text, "zzzqqxx")], "", 100, version)
    return found.ranked[0]


async def test_names_are_matched_at_the_version_the_caller_saw_and_after_it(
    catalog: CatalogHandle, store: CatalogStore
) -> None:
    await _apply(catalog, "s1", "orders_shipped_total", "go_goroutines")
    first = (await store.recognise([], "")).catalog_version
    assert len(await _name_matches(store, "orders shipped total", first)) == 1
    assert await _name_matches(store, "cpu", first) == []

    await _apply(catalog, "s1", "payments_failed_total")
    # The caller has not seen the change: the index is not read again, and the
    # database, seeing another version, compares every name itself.
    assert len(await _name_matches(store, "payments failed total", first)) == 1
    second = (await store.recognise([], "")).catalog_version
    assert second > first
    assert len(await _name_matches(store, "payments failed total", second)) == 1
    # A text the index cannot read (non-ASCII) is left to the database.
    assert len(await _name_matches(store, "payments failed total ü", second)) == 1
