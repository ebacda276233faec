"""The catalog's tables in PostgreSQL (schema `catalog`), behind one class.

Writes are batched into a few set-based statements per batch (a batch arrives as
one JSON document unpacked by `jsonb_to_recordset`), so applying 500 metrics
costs a handful of round trips, not 500. Every write is idempotent: a row whose
content hash is unchanged only has its `seen`/`last_seen_at` bookkeeping
touched, and `catalog_state.version` moves only when something readers can see
changed.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg
import numpy as np

from obsai_catalog.candidates import CandidateFacts, Candidates
from obsai_catalog.recognition import LabelHit, Recognised, RecognitionIndex, ServiceHit
from obsai_catalog.records import (
    BatchResult,
    DiscoveredMetric,
    DiscoveredService,
    Example,
    LabelSample,
    MetricRecord,
    MetricType,
    ScanCompletion,
    ServiceRecord,
    TypeSource,
)
from obsai_catalog.trigrams import NameIndex, pg_int_array
from obsai_catalog.vectors import VectorIndex
from obsai_common.memo import BoundedMemo

# Label values never worth recognising in a question: bucket bounds, quantiles.
_UNRECOGNISED_LABELS = frozenset({"le", "quantile"})


# Sampled label values kept in memory for recognising questions, at most.
MAX_RECOGNISED_VALUES = 100_000
# Live metrics whose embeddings are kept in memory for vector search, at most
# (~1.5 kB each: 50,000 is ~77 MB); a larger catalog is searched by pgvector.
MAX_VECTOR_METRICS = 50_000

# HNSW candidate list of vector searches, unless a search asks for more rows.
DEFAULT_EF_SEARCH = 100
_MIN_EF_SEARCH = 40


def ef_search_for(limit: int) -> int:
    """The HNSW candidate list a vector search of `limit` rows runs with."""
    return max(limit, _MIN_EF_SEARCH)


async def init_connection(conn: asyncpg.Connection, ef_search: int = DEFAULT_EF_SEARCH) -> None:
    """jsonb in and out as Python objects; the session's HNSW search settings.

    The pool never resets a connection (`obsai_common.db`), so settings made here
    hold for the connection's life and a search needs no transaction (and its
    three extra round trips) to set them. Iterative scans keep filtered vector
    searches (a service, live metrics only) returning as many rows as asked.
    """
    await conn.set_type_codec(
        "jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog", format="text"
    )
    await conn.execute(
        "SELECT set_config('hnsw.ef_search', $1, false),"
        " set_config('hnsw.iterative_scan', 'strict_order', false)",
        str(ef_search_for(ef_search)),
    )


def _model_prefix(model_id: str) -> str:
    """What the embedding keys of a model's vectors start with (`Catalog` writes
    `model_id:text_hash`): vectors of different models are never compared."""
    return f"{model_id}:"


def recognisable(label: str, value: str) -> bool:
    """Whether a sampled label value may be recognised in a question's words."""
    if label in _UNRECOGNISED_LABELS or label.startswith("__"):
        return False
    if not 2 <= len(value) <= 100:
        return False
    # Short numbers ("5", "30") are everywhere in questions ("last 5 minutes").
    return not (value.replace(".", "", 1).isdigit() and len(value) < 3)


@dataclass(frozen=True, slots=True)
class PreparedMetric:
    """A discovered metric with everything the store writes for it."""

    metric: DiscoveredMetric
    description: str
    content_hash: str
    embedding_key: str
    # pgvector text form; None keeps the stored embedding.
    embedding: str | None


@dataclass(frozen=True, slots=True)
class LexicalQuery:
    """One text's lexical search: its words, and its full-text query ('' for none)."""

    text: str
    tsquery: str


@dataclass(frozen=True, slots=True)
class CatalogState:
    """The catalog's version and whether examples exist for one embedding key."""

    version: int
    has_examples: bool


# By value: a dict lookup, not the enum's call, for the many records a search reads
# (the columns only ever hold these values: the store writes them from the enums).
_METRIC_TYPES = {t.value: t for t in MetricType}
_TYPE_SOURCES = {s.value: s for s in TypeSource}


def _label_samples(labels: Sequence[dict[str, Any]]) -> tuple[LabelSample, ...]:
    return tuple(
        LabelSample(item["name"], tuple(item["values"]), bool(item["truncated"])) for item in labels
    )


class LabelsCache(BoundedMemo[str, tuple[LabelSample, ...]]):
    """A metric's labels by their JSON text (jsonb's canonical form): the metrics a
    search returns recur across questions, and reading their label samples (dozens
    of values each) is most of the cost of reading a record. Bounded, least
    recently used first out."""

    def __init__(self, size: int = 4096) -> None:
        super().__init__(lambda text: _label_samples(json.loads(text)), size)


def _metric_record(
    row: asyncpg.Record, labels: tuple[LabelSample, ...] | None = None
) -> MetricRecord:
    """A row of metric_view; `labels` when they were read from its JSON text apart."""
    return MetricRecord(
        name=row["name"],
        family=row["family"],
        type=_METRIC_TYPES[row["type"]],
        type_source=_TYPE_SOURCES[row["type_source"]],
        help=row["help"],
        unit=row["unit"],
        labels=_label_samples(row["labels"]) if labels is None else labels,
        series_count=row["series_count"],
        services=tuple(row["services"]),
        namespaces=tuple(row["namespaces"]),
        first_seen_at=row["first_seen_at"],
        last_seen_at=row["last_seen_at"],
        stale=row["stale"],
    )


def _service_record(row: asyncpg.Record) -> ServiceRecord:
    return ServiceRecord(
        name=row["name"],
        namespaces=tuple(row["namespaces"]),
        source_label=row["source_label"],
        metric_count=row["metric_count"],
        series_count=row["series_count"],
        discovered_at=row["discovered_at"],
        last_seen_at=row["last_seen_at"],
        stale=row["stale"],
    )


def _metric_json(prepared: PreparedMetric) -> dict[str, Any]:
    m = prepared.metric
    item: dict[str, Any] = {
        "name": m.name,
        "family": m.family,
        "type": m.type.value,
        "type_source": m.type_source.value,
        "help": m.help,
        "unit": m.unit,
        "labels": [
            {"name": label.name, "values": list(label.values), "truncated": label.truncated}
            for label in m.labels
        ],
        "label_names": [label.name for label in m.labels],
        "series_count": m.series_count,
        "services": sorted(set(m.services)),
        "namespaces": sorted(set(m.namespaces)),
        "content_hash": prepared.content_hash,
        "description": prepared.description,
    }
    if prepared.embedding is not None:
        item["embedding"] = prepared.embedding
        item["embedding_key"] = prepared.embedding_key
    return item


def _service_hash(service: DiscoveredService) -> str:
    return json.dumps([sorted(set(service.namespaces)), service.source_label])


class CatalogStore:
    def __init__(
        self,
        pool: asyncpg.Pool,
        ef_search: int = DEFAULT_EF_SEARCH,
        max_recognised_values: int = MAX_RECOGNISED_VALUES,
        max_vector_metrics: int = MAX_VECTOR_METRICS,
    ) -> None:
        """`ef_search`: what the pool's connections were set up with (`init_connection`);
        `max_recognised_values`: the most sampled label values kept in memory for
        recognition (`recognition`); a larger catalog is recognised by the database;
        `max_vector_metrics`: the most embeddings kept in memory for vector search
        (`vector_index`); a larger catalog is searched by pgvector."""
        self._pool = pool
        self._ef_search = ef_search_for(ef_search)
        self._names: NameIndex | None = None
        self._names_lock = asyncio.Lock()
        self._max_values = max_recognised_values
        # (version, index), the index None when the catalog had too many label values.
        self._recognition: tuple[int, RecognitionIndex | None] | None = None
        self._recognition_lock = asyncio.Lock()
        self._max_vectors = max_vector_metrics
        # ((version, model id), index), the index None when the catalog had too many
        # metrics.
        self._vectors: tuple[tuple[int, str], VectorIndex | None] | None = None
        self._vectors_lock = asyncio.Lock()
        # Embedding keys known to have examples (examples are only ever added).
        self._with_examples: set[str] = set()
        self._labels = LabelsCache()

    async def version(self) -> int:
        version: int = await self._pool.fetchval("SELECT version FROM catalog_state")
        return version

    async def embedding_keys(self, names: Sequence[str]) -> dict[str, str]:
        rows = await self._pool.fetch(
            "SELECT name, embedding_key FROM metrics WHERE name = ANY($1::text[])", list(names)
        )
        return {r["name"]: r["embedding_key"] for r in rows}

    # -- discovery ---------------------------------------------------------------

    async def apply_batch(
        self,
        source: str,
        scan_id: str,
        services: Sequence[DiscoveredService],
        metrics: Sequence[PreparedMetric],
    ) -> BatchResult:
        async with self._pool.acquire() as conn, conn.transaction():
            started_us = await _register_scan(conn, source, scan_id)
            seen = {source: started_us}
            services_changed = await _apply_services(conn, seen, services, metrics)
            metrics_changed = await _apply_metrics(conn, seen, metrics)
            if services_changed or metrics_changed:
                await conn.execute("UPDATE catalog_state SET version = version + 1")
        return BatchResult(
            services_upserted=services_changed,
            metrics_upserted=metrics_changed,
            metrics_embedded=sum(1 for p in metrics if p.embedding is not None),
        )

    async def complete_scan(self, source: str, scan_id: str, grace_seconds: int) -> ScanCompletion:
        async with self._pool.acquire() as conn, conn.transaction():
            started_us = await _register_scan(conn, source, scan_id)
            counts = []
            for table in ("metrics", "services"):
                # Table names come from the tuple above, never from input.
                marked = await conn.fetchval(
                    f"""
                    WITH gone AS (
                        UPDATE {table} SET
                            seen = seen - $1::text,
                            stale_since = CASE WHEN seen - $1::text = '{{}}'::jsonb
                                               THEN now() ELSE stale_since END
                        WHERE seen ? $1::text AND (seen ->> $1::text)::bigint < $2
                        RETURNING seen = '{{}}'::jsonb AS now_stale
                    )
                    SELECT count(*) FILTER (WHERE now_stale) FROM gone
                    """,  # noqa: S608 (table names are constants)
                    source,
                    started_us,
                )
                dropped = await conn.fetchval(
                    f"""
                    WITH dropped AS (
                        DELETE FROM {table}
                        WHERE stale_since IS NOT NULL
                          AND stale_since <= now() - make_interval(secs => $1)
                        RETURNING 1
                    )
                    SELECT count(*) FROM dropped
                    """,  # noqa: S608 (table names are constants)
                    float(grace_seconds),
                )
                counts.append((marked, dropped))
            await conn.execute(
                "UPDATE scans SET completed_at = now() WHERE source = $1 AND scan_id = $2",
                source,
                scan_id,
            )
            await conn.execute("DELETE FROM scans WHERE started_us < $1", started_us - 30 * 86400e6)
            (metrics_stale, metrics_dropped), (services_stale, services_dropped) = counts
            if any((metrics_stale, metrics_dropped, services_stale, services_dropped)):
                await conn.execute("UPDATE catalog_state SET version = version + 1")
            version = await conn.fetchval("SELECT version FROM catalog_state")
        return ScanCompletion(
            metrics_marked_stale=metrics_stale,
            services_marked_stale=services_stale,
            metrics_dropped=metrics_dropped,
            services_dropped=services_dropped,
            catalog_version=version,
        )

    # -- reads -------------------------------------------------------------------

    async def list_services(
        self, namespace: str, include_stale: bool, after: str | None, limit: int
    ) -> tuple[list[ServiceRecord], int]:
        rows = await self._pool.fetch(
            """
            SELECT * FROM service_view
            WHERE ($1 = '' OR $1 = ANY(namespaces)) AND ($2 OR NOT stale)
              AND ($3::text IS NULL OR name > $3)
            ORDER BY name LIMIT $4
            """,
            namespace,
            include_stale,
            after,
            limit,
        )
        total = await self._pool.fetchval(
            """
            SELECT count(*) FROM services
            WHERE ($1 = '' OR $1 = ANY(namespaces)) AND ($2 OR stale_since IS NULL)
            """,
            namespace,
            include_stale,
        )
        return [_service_record(r) for r in rows], total

    async def get_service(self, name: str) -> ServiceRecord | None:
        row = await self._pool.fetchrow("SELECT * FROM service_view WHERE name = $1", name)
        return None if row is None else _service_record(row)

    async def list_metrics(
        self,
        *,
        service: str,
        metric_type: MetricType,
        name_prefix: str,
        include_stale: bool,
        after: str | None,
        limit: int,
    ) -> tuple[list[MetricRecord], int]:
        args = (service, metric_type.value, name_prefix, include_stale)
        rows = await self._pool.fetch(
            """
            SELECT * FROM metric_view
            WHERE ($1 = '' OR services @> ARRAY[$1]) AND ($2 = '' OR type = $2)
              AND ($3 = '' OR starts_with(name, $3)) AND ($4 OR NOT stale)
              AND ($5::text IS NULL OR name > $5)
            ORDER BY name LIMIT $6
            """,
            *args,
            after,
            limit,
        )
        total = await self._pool.fetchval(
            """
            SELECT count(*) FROM metric_view
            WHERE ($1 = '' OR services @> ARRAY[$1]) AND ($2 = '' OR type = $2)
              AND ($3 = '' OR starts_with(name, $3)) AND ($4 OR NOT stale)
            """,
            *args,
        )
        return [_metric_record(r) for r in rows], total

    async def get_metric(self, name: str) -> MetricRecord | None:
        row = await self._pool.fetchrow("SELECT * FROM metric_view WHERE name = $1", name)
        return None if row is None else _metric_record(row)

    async def metrics_by_id(self, ids: Sequence[int]) -> dict[int, MetricRecord]:
        # The labels as jsonb's text: parsed once per distinct value (`LabelsCache`).
        rows = await self._pool.fetch(
            """
            SELECT id, name, family, type, type_source, help, unit, labels::text AS labels,
                   series_count, services, namespaces, first_seen_at, last_seen_at, stale
            FROM metric_view WHERE id = ANY($1::bigint[])
            """,
            list(ids),
        )
        read = self._labels.read
        return {r["id"]: _metric_record(r, read(r["labels"])) for r in rows}

    async def metrics_by_id_at(self, ids: Sequence[int]) -> tuple[int, dict[int, MetricRecord]]:
        """`metrics_by_id` and the catalog version the rows were read at (one
        statement, one snapshot: the rows are that version's, `last_seen_at` aside,
        which a scan touches without moving the version)."""
        rows = await self._pool.fetch(
            """
            SELECT (SELECT version FROM catalog_state) AS version,
                   id, name, family, type, type_source, help, unit, labels::text AS labels,
                   series_count, services, namespaces, first_seen_at, last_seen_at, stale
            FROM metric_view WHERE id = ANY($1::bigint[])
            """,
            list(ids),
        )
        if not rows:
            return await self.version(), {}
        read = self._labels.read
        version: int = rows[0]["version"]
        return version, {r["id"]: _metric_record(r, read(r["labels"])) for r in rows}

    # -- search ------------------------------------------------------------------

    async def _fetch_nearest(
        self, ef_search: int, query: str, *args: object
    ) -> list[asyncpg.Record]:
        """Run a vector query; in its own transaction only when it needs a larger
        HNSW candidate list than the session's."""
        if ef_search <= self._ef_search:
            rows: list[asyncpg.Record] = await self._pool.fetch(query, *args)
            return rows
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT set_config('hnsw.ef_search', $1, true)", str(ef_search))
            return await conn.fetch(query, *args)  # type: ignore[no-any-return]

    async def _name_index(self, catalog_version: int) -> NameIndex:
        """The metric names by trigram, read again when the catalog has changed."""
        async with self._names_lock:
            if self._names is None or self._names.version != catalog_version:
                row = await self._pool.fetchrow(
                    """
                    SELECT (SELECT version FROM catalog_state) AS version,
                           coalesce(array_agg(id), '{}') AS ids,
                           coalesce(array_agg(name), '{}') AS names
                    FROM metrics
                    """
                )
                assert row is not None
                known = self._names.name_trigrams if self._names is not None else None
                self._names = NameIndex(
                    row["version"], dict(zip(row["ids"], row["names"], strict=True)), known
                )
            return self._names

    async def lexical(
        self,
        queries: Sequence[LexicalQuery],
        service: str,
        limit: int,
        catalog_version: int | None = None,
    ) -> Candidates:
        """Each query's best metrics by full-text rank over the description plus name
        trigram match, `limit` of each, in one statement.

        With the `catalog_version` the caller last saw, names that cannot reach the
        trigram threshold are ruled out here (`trigrams.NameIndex`) rather than
        compared row by row; the statement compares every name again whenever the
        catalog it reads is not the version those names were read at.
        """
        if not queries:
            return Candidates.of([], 0)
        names: NameIndex | None = None
        if catalog_version is not None:
            names = await self._name_index(catalog_version)
        possible: list[str | None] = []
        for query in queries:
            ids = names.candidates(query.text) if names is not None else None
            possible.append(None if ids is None else pg_int_array(ids))
        rows = await self._pool.fetch(
            """
            WITH q AS MATERIALIZED (
                SELECT t.i, t.meaning, t.tsq, t.names::bigint[] AS names
                FROM unnest($1::text[], $2::text[], $3::text[])
                     WITH ORDINALITY AS t(meaning, tsq, names, i)
                WHERE t.tsq <> ''
            ),
            names_hold AS (SELECT version = $6 AS hold FROM catalog_state),
            hits AS (
                SELECT q.i, c.id, c.rank
                FROM q CROSS JOIN LATERAL (
                    SELECT ranked.id, row_number() OVER () AS rank
                    FROM (
                        SELECT m.id
                        FROM metrics m, to_tsquery('english', q.tsq) AS query
                        WHERE m.stale_since IS NULL
                          AND ($4 = '' OR m.services @> ARRAY[$4])
                          AND (m.search_tsv @@ query
                               OR ((q.names IS NULL OR m.id = ANY(q.names)
                                    OR NOT (SELECT hold FROM names_hold))
                                   AND word_similarity(m.name, q.meaning) >= 0.6))
                        ORDER BY ts_rank(m.search_tsv, query) + word_similarity(m.name, q.meaning)
                                 DESC, m.name
                        LIMIT $5
                    ) ranked
                ) c
            )
            SELECT m.id, m.label_names, m.services,
                   array_agg(h.i) AS texts, array_agg(h.rank) AS ranks
            FROM hits h JOIN metrics m ON m.id = h.id
            GROUP BY m.id
            """,
            [q.text for q in queries],
            [q.tsquery for q in queries],
            possible,
            service,
            limit,
            names.version if names is not None else None,
        )
        return Candidates.of(rows, len(queries))

    async def nearest(
        self, vectors: Sequence[Sequence[float]], service: str, limit: int, model_id: str
    ) -> Candidates:
        """Each vector's nearest metrics embedded by `model_id`, by cosine distance
        (HNSW), `limit` of each, in one statement."""
        if not vectors:
            return Candidates.of([], 0)
        dimension = len(vectors[0])
        flat = [x for vector in vectors for x in vector]
        if len(flat) != dimension * len(vectors):
            raise ValueError("every query vector must have the same dimension")
        rows = await self._fetch_nearest(
            ef_search_for(limit),
            """
            -- Materialized: each vector is cut out of the array once, not once per row.
            WITH q AS MATERIALIZED (
                SELECT i, (($1::real[])[(i - 1) * $2 + 1 : i * $2])::vector AS v
                FROM generate_series(1, $3::int) AS i
            ),
            hits AS (
                SELECT q.i, c.id, c.rank
                FROM q CROSS JOIN LATERAL (
                    SELECT nearest.id, row_number() OVER () AS rank
                    FROM (
                        SELECT m.id FROM metrics m
                        WHERE m.stale_since IS NULL AND m.embedding IS NOT NULL
                          AND ($4 = '' OR m.services @> ARRAY[$4])
                          AND starts_with(m.embedding_key, $6)
                        ORDER BY m.embedding <=> q.v
                        LIMIT $5
                    ) nearest
                ) c
            )
            SELECT m.id, m.label_names, m.services,
                   array_agg(h.i) AS texts, array_agg(h.rank) AS ranks
            FROM hits h JOIN metrics m ON m.id = h.id
            GROUP BY m.id
            """,
            flat,
            dimension,
            len(vectors),
            service,
            limit,
            _model_prefix(model_id),
        )
        return Candidates.of(rows, len(vectors))

    async def vector_index(self, version: int, model_id: str) -> VectorIndex | None:
        """The live metrics' embeddings by `model_id` in memory, read again unless the
        index last read is at `version`. Its own version may differ from `version`
        (the catalog moved on meanwhile): the caller compares. None while the catalog
        holds more live embeddings than are kept."""
        async with self._vectors_lock:
            if self._vectors is None or self._vectors[0] != (version, model_id):
                read_at, index = await self._read_vectors(model_id)
                self._vectors = ((read_at, model_id), index)
            return self._vectors[1]

    async def _read_vectors(self, model_id: str) -> tuple[int, VectorIndex | None]:
        # One statement, one snapshot: the version and the rows agree. The left join
        # keeps the version's row when no metric has an embedding yet.
        rows = await self._pool.fetch(
            """
            SELECT s.version, m.id, m.label_names, m.services, m.embedding::real[] AS embedding
            FROM catalog_state s
            LEFT JOIN LATERAL (
                SELECT id, label_names, services, embedding FROM metrics
                WHERE stale_since IS NULL AND embedding IS NOT NULL
                  AND starts_with(embedding_key, $2)
                ORDER BY id LIMIT $1
            ) m ON true
            """,
            self._max_vectors + 1,
            _model_prefix(model_id),
        )
        version: int = rows[0]["version"]
        live = [r for r in rows if r["id"] is not None]
        if len(live) > self._max_vectors:
            return version, None
        vectors = np.array([r["embedding"] for r in live], dtype=np.float32, ndmin=2)
        return version, VectorIndex(
            version,
            [r["id"] for r in live],
            vectors if live else np.zeros((0, 0), dtype=np.float32),
            [CandidateFacts.of(r["label_names"], r["services"]) for r in live],
        )

    async def state(self, examples_key: str | None = None) -> CatalogState:
        """The catalog's version and, given an `examples_key`, whether any example was
        remembered with that embedding key."""
        row = await self._pool.fetchrow(
            """
            SELECT version, $1::text IS NOT NULL AND EXISTS (
                       SELECT 1 FROM examples WHERE embedding_key = $1::text
                   ) AS has_examples
            FROM catalog_state
            """,
            examples_key,
        )
        assert row is not None
        if row["has_examples"] and examples_key is not None:
            self._with_examples.add(examples_key)
        return CatalogState(row["version"], row["has_examples"])

    def may_have_examples(self, examples_key: str | None) -> bool:
        """Whether examples were seen for `examples_key` (they are never removed by
        the catalog, so a key seen stays seen; a key not seen may have some since)."""
        return examples_key is not None and examples_key in self._with_examples

    async def recognition(self, version: int | None = None) -> RecognitionIndex | None:
        """The services and sampled label values to recognise questions by, in memory:
        the index last read (any version) or, given a `version` it is not at, read
        again. None while the catalog holds more label values than are kept."""
        async with self._recognition_lock:
            if self._recognition is None or (
                version is not None and self._recognition[0] != version
            ):
                self._recognition = await self._read_recognition()
            return self._recognition[1]

    @property
    def recognition_version(self) -> int | None:
        """The catalog version the recognition index was last read at."""
        return None if self._recognition is None else self._recognition[0]

    async def _read_recognition(self) -> tuple[int, RecognitionIndex | None]:
        row = await self._pool.fetchrow(
            "SELECT (SELECT version FROM catalog_state) AS version,"
            " (SELECT count(*) FROM label_values) AS label_values"
        )
        assert row is not None
        if row["label_values"] > self._max_values:
            return row["version"], None
        # One statement, one snapshot; sorted as `recognise` sorts its hits.
        rows = await self._pool.fetch(
            """
            SELECT * FROM (
                SELECT 'v' AS kind, version AS metric_id, NULL::text[] AS services,
                       '' AS label, '' AS value, '' AS key
                FROM catalog_state
                UNION ALL
                SELECT 's', NULL, NULL, '', name, lower(name)
                FROM services WHERE stale_since IS NULL
                UNION ALL
                SELECT 'm', id, services, '', '', '' FROM metrics WHERE stale_since IS NULL
                UNION ALL
                (SELECT 'l', lv.metric_id, NULL, lv.label, lv.value, lower(lv.value)
                 FROM label_values lv JOIN metrics m ON m.id = lv.metric_id
                 WHERE m.stale_since IS NULL
                 LIMIT $1)
            ) item
            ORDER BY kind DESC, value
            """,
            self._max_values + 1,
        )
        version: int = next(r["metric_id"] for r in rows if r["kind"] == "v")
        values = [
            LabelHit(r["metric_id"], r["label"], r["value"], r["key"])
            for r in rows
            if r["kind"] == "l"
        ]
        if len(values) > self._max_values:
            return version, None
        return version, RecognitionIndex(
            version,
            [ServiceHit(r["value"], r["key"]) for r in rows if r["kind"] == "s"],
            values,
            {r["metric_id"]: r["services"] for r in rows if r["kind"] == "m"},
        )

    async def recognise(
        self, terms: Sequence[str], service: str, examples_key: str | None = None
    ) -> Recognised:
        """Services and sampled label values that the question's terms name exactly,
        the catalog's version and, given an `examples_key`, whether any example was
        remembered with that embedding key.

        Each hit carries the term it matched (`key`), so one call serves several texts.
        """
        rows = await self._pool.fetch(
            """
            -- One row of kind 'v' carries the catalog version (in metric_id) and
            -- whether examples exist (in label), then services ('s', by name) and
            -- label values ('l').
            SELECT * FROM (
                SELECT 'v' AS kind, version AS metric_id,
                       CASE WHEN $3::text IS NOT NULL AND EXISTS (
                           SELECT 1 FROM examples WHERE embedding_key = $3::text
                       ) THEN 'examples' ELSE '' END AS label,
                       '' AS value, '' AS key
                FROM catalog_state
                UNION ALL
                SELECT 's', NULL, '', name, lower(name)
                FROM services
                WHERE stale_since IS NULL AND lower(name) = ANY($1::text[])
                UNION ALL
                SELECT 'l', lv.metric_id, lv.label, lv.value, lower(lv.value)
                FROM label_values lv JOIN metrics m ON m.id = lv.metric_id
                WHERE lower(lv.value) = ANY($1::text[]) AND m.stale_since IS NULL
                  AND ($2 = '' OR m.services @> ARRAY[$2])
            ) hit
            ORDER BY kind DESC, value
            """,
            sorted(set(terms)),
            service,
            examples_key,
        )
        state = next(r for r in rows if r["kind"] == "v")
        recognised = Recognised(
            [ServiceHit(r["value"], r["key"]) for r in rows if r["kind"] == "s"],
            [
                LabelHit(r["metric_id"], r["label"], r["value"], r["key"])
                for r in rows
                if r["kind"] == "l"
            ],
            state["metric_id"],
            state["label"] == "examples",
        )
        if recognised.has_examples and examples_key is not None:
            self._with_examples.add(examples_key)
        return recognised

    # -- examples ----------------------------------------------------------------

    async def remember_example(
        self, question: str, key: str, promql: str, vector: Sequence[float], embedding_key: str
    ) -> Example:
        row = await self._pool.fetchrow(
            """
            INSERT INTO examples (question, question_key, promql, embedding, embedding_key)
            VALUES ($1, $2, $3, $4::real[]::vector, $5)
            ON CONFLICT (question_key) DO UPDATE SET
                question = EXCLUDED.question,
                promql = EXCLUDED.promql,
                embedding = EXCLUDED.embedding,
                embedding_key = EXCLUDED.embedding_key,
                usage_count = examples.usage_count + 1,
                last_used_at = now()
            RETURNING id, question, promql, usage_count, created_at, last_used_at
            """,
            question,
            key,
            promql,
            list(vector),
            embedding_key,
        )
        assert row is not None
        self._with_examples.add(embedding_key)
        return _example(row, 1.0)

    async def similar_examples(
        self, vector: Sequence[float], embedding_key: str, k: int, min_similarity: float
    ) -> list[Example]:
        rows = await self._fetch_nearest(
            ef_search_for(k * 4),
            """
            SELECT id, question, promql, usage_count, created_at, last_used_at,
                   1 - (embedding <=> $1::real[]::vector) AS similarity
            FROM examples
            WHERE embedding_key = $2
            ORDER BY embedding <=> $1::real[]::vector
            LIMIT $3
            """,
            list(vector),
            embedding_key,
            k,
        )
        return [
            _example(r, float(r["similarity"]))
            for r in rows
            if float(r["similarity"]) >= min_similarity
        ]


def _example(row: asyncpg.Record, similarity: float) -> Example:
    return Example(
        id=str(row["id"]),
        question=row["question"],
        promql=row["promql"],
        usage_count=row["usage_count"],
        similarity=similarity,
        created_at=row["created_at"],
        last_used_at=row["last_used_at"],
    )


async def _register_scan(conn: asyncpg.Connection, source: str, scan_id: str) -> int:
    await conn.execute(
        """
        INSERT INTO scans (source, scan_id, started_us)
        VALUES ($1, $2, (extract(epoch FROM clock_timestamp()) * 1e6)::bigint)
        ON CONFLICT DO NOTHING
        """,
        source,
        scan_id,
    )
    started: int = await conn.fetchval(
        "SELECT started_us FROM scans WHERE source = $1 AND scan_id = $2", source, scan_id
    )
    return started


async def _apply_services(
    conn: asyncpg.Connection,
    seen: dict[str, int],
    services: Sequence[DiscoveredService],
    metrics: Sequence[PreparedMetric],
) -> int:
    """Upsert the batch's services, and create those its metrics name; returns changes."""
    explicit = {s.name: s for s in services}
    implicit = sorted({n for p in metrics for n in p.metric.services} - explicit.keys())
    names = sorted(explicit.keys() | set(implicit))
    if not names:
        return 0
    # Lock in name order: concurrent batches never deadlock on each other.
    old = {
        r["name"]: (r["content_hash"], r["stale"])
        for r in await conn.fetch(
            "SELECT name, content_hash, stale_since IS NOT NULL AS stale FROM services"
            " WHERE name = ANY($1::text[]) ORDER BY name FOR UPDATE",
            names,
        )
    }
    changed = 0
    rows = []
    for name in sorted(explicit):
        service = explicit[name]
        digest = _service_hash(service)
        if old.get(name) != (digest, False):
            changed += 1
        rows.append(
            {
                "name": name,
                "namespaces": sorted(set(service.namespaces)),
                "source_label": service.source_label,
                "series_count": service.series_count,
                "content_hash": digest,
            }
        )
    if rows:
        await conn.execute(
            """
            INSERT INTO services AS s
                (name, namespaces, source_label, series_count, content_hash, seen)
            SELECT x.name, x.namespaces, x.source_label, x.series_count, x.content_hash, $2
            FROM jsonb_to_recordset($1::jsonb) AS x(
                name text, namespaces text[], source_label text, series_count bigint,
                content_hash text)
            ON CONFLICT (name) DO UPDATE SET
                namespaces = EXCLUDED.namespaces,
                source_label = EXCLUDED.source_label,
                series_count = EXCLUDED.series_count,
                content_hash = EXCLUDED.content_hash,
                seen = s.seen || EXCLUDED.seen,
                last_seen_at = now(),
                stale_since = NULL
            """,
            rows,
            seen,
        )
    if implicit:
        changed += sum(1 for n in implicit if n not in old or old[n][1])
        await conn.execute(
            """
            INSERT INTO services AS s (name, seen)
            SELECT n, $2 FROM unnest($1::text[]) AS n
            ON CONFLICT (name) DO UPDATE SET
                seen = s.seen || EXCLUDED.seen, last_seen_at = now(), stale_since = NULL
            """,
            implicit,
            seen,
        )
    return changed


async def _apply_metrics(
    conn: asyncpg.Connection, seen: dict[str, int], metrics: Sequence[PreparedMetric]
) -> int:
    if not metrics:
        return 0
    names = sorted({p.metric.name for p in metrics})
    old = {
        r["name"]: (r["content_hash"], r["stale"], r["embedding_key"])
        for r in await conn.fetch(
            "SELECT name, content_hash, stale_since IS NOT NULL AS stale, embedding_key"
            " FROM metrics WHERE name = ANY($1::text[]) ORDER BY name FOR UPDATE",
            names,
        )
    }
    changed = [
        p
        for p in sorted(metrics, key=lambda p: p.metric.name)
        if p.embedding is not None
        or old.get(p.metric.name, ("", True, ""))[:2]
        != (
            p.content_hash,
            False,
        )
    ]
    changed_names = {p.metric.name for p in changed}
    unchanged = [n for n in names if n not in changed_names]
    if changed:
        rows = await conn.fetch(
            """
            INSERT INTO metrics AS m (
                name, family, type, type_source, help, unit, labels, label_names,
                series_count, services, namespaces, content_hash, description,
                embedding, embedding_key, seen)
            SELECT x.name, x.family, x.type, x.type_source, x.help, x.unit, x.labels,
                   x.label_names, x.series_count, x.services, x.namespaces, x.content_hash,
                   x.description, x.embedding::vector, coalesce(x.embedding_key, ''), $2
            FROM jsonb_to_recordset($1::jsonb) AS x(
                name text, family text, type text, type_source text, help text, unit text,
                labels jsonb, label_names text[], series_count bigint, services text[],
                namespaces text[], content_hash text, description text, embedding text,
                embedding_key text)
            ON CONFLICT (name) DO UPDATE SET
                family = EXCLUDED.family,
                type = EXCLUDED.type,
                type_source = EXCLUDED.type_source,
                help = EXCLUDED.help,
                unit = EXCLUDED.unit,
                labels = EXCLUDED.labels,
                label_names = EXCLUDED.label_names,
                series_count = EXCLUDED.series_count,
                services = EXCLUDED.services,
                namespaces = EXCLUDED.namespaces,
                content_hash = EXCLUDED.content_hash,
                description = EXCLUDED.description,
                embedding = CASE WHEN EXCLUDED.embedding_key = '' THEN m.embedding
                                 ELSE EXCLUDED.embedding END,
                embedding_key = CASE WHEN EXCLUDED.embedding_key = '' THEN m.embedding_key
                                     ELSE EXCLUDED.embedding_key END,
                seen = m.seen || EXCLUDED.seen,
                last_seen_at = now(),
                stale_since = NULL
            RETURNING id, name
            """,
            [_metric_json(p) for p in changed],
            seen,
        )
        ids = {r["name"]: r["id"] for r in rows}
        await _replace_label_values(conn, ids, changed)
    if unchanged:
        # Same content: only the bookkeeping moves. Series counts churn, so they are
        # kept current here without counting as a change.
        await conn.execute(
            """
            UPDATE metrics AS m SET
                seen = m.seen || $2, last_seen_at = now(), series_count = x.series_count
            FROM jsonb_to_recordset($1::jsonb) AS x(name text, series_count bigint)
            WHERE m.name = x.name
            """,
            [
                {"name": p.metric.name, "series_count": p.metric.series_count}
                for p in metrics
                if p.metric.name not in changed_names
            ],
            seen,
        )
    await _reconcile_relation(conn, names)
    # Re-embedding an unchanged text (a new model) is not a change readers see.
    return sum(
        1 for p in changed if old.get(p.metric.name, ("", True, ""))[:2] != (p.content_hash, False)
    )


async def _replace_label_values(
    conn: asyncpg.Connection, ids: dict[str, int], metrics: Sequence[PreparedMetric]
) -> None:
    await conn.execute(
        "DELETE FROM label_values WHERE metric_id = ANY($1::bigint[])", list(ids.values())
    )
    metric_ids: list[int] = []
    labels: list[str] = []
    values: list[str] = []
    for prepared in metrics:
        for label in prepared.metric.labels:
            for value in label.values:
                if recognisable(label.name, value):
                    metric_ids.append(ids[prepared.metric.name])
                    labels.append(label.name)
                    values.append(value)
    if metric_ids:
        await conn.execute(
            """
            INSERT INTO label_values (metric_id, label, value)
            SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[])
            ON CONFLICT DO NOTHING
            """,
            metric_ids,
            labels,
            values,
        )


async def _reconcile_relation(conn: asyncpg.Connection, names: Sequence[str]) -> None:
    """Make service_metrics match the metrics' `services` arrays (idempotent)."""
    await conn.execute(
        """
        DELETE FROM service_metrics sm
        USING metrics m, services s
        WHERE sm.metric_id = m.id AND sm.service_id = s.id
          AND m.name = ANY($1::text[]) AND NOT (s.name = ANY(m.services))
        """,
        list(names),
    )
    await conn.execute(
        """
        INSERT INTO service_metrics (service_id, metric_id)
        SELECT s.id, m.id
        FROM metrics m
        CROSS JOIN LATERAL unnest(m.services) AS sn(name)
        JOIN services s ON s.name = sn.name
        WHERE m.name = ANY($1::text[])
        ON CONFLICT DO NOTHING
        """,
        list(names),
    )
