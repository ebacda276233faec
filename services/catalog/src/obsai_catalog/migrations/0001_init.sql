-- The catalog: services, metrics, their relation, label values, embeddings and
-- remembered examples. Runs with search_path = catalog, public.

-- Extensions live in public, so any schema's search_path finds their types.
CREATE EXTENSION IF NOT EXISTS vector WITH SCHEMA public;
CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;

-- One row: bumped in the same transaction as any change readers can see.
CREATE TABLE catalog_state (
    id boolean PRIMARY KEY DEFAULT true CHECK (id),
    version bigint NOT NULL DEFAULT 1
);
INSERT INTO catalog_state DEFAULT VALUES;

-- A discovery scan of one source; `seen` maps source -> started_us of the last
-- scan that saw a row, so completing a scan marks stale exactly what that
-- source saw before this scan began and not since (an overlapping newer scan
-- of the same source never loses rows to an older one).
CREATE TABLE scans (
    source text NOT NULL,
    scan_id text NOT NULL,
    started_us bigint NOT NULL,
    completed_at timestamptz,
    PRIMARY KEY (source, scan_id)
);

CREATE TABLE services (
    id bigserial PRIMARY KEY,
    name text NOT NULL UNIQUE,
    namespaces text[] NOT NULL DEFAULT '{}',
    source_label text NOT NULL DEFAULT '',
    series_count bigint NOT NULL DEFAULT 0,
    content_hash text NOT NULL DEFAULT '',
    seen jsonb NOT NULL DEFAULT '{}',
    discovered_at timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    -- Set when no source sees the service any more; dropped after a grace period.
    stale_since timestamptz
);
CREATE INDEX services_lower_name ON services (lower(name));
CREATE INDEX services_namespaces ON services USING gin (namespaces);

CREATE TABLE metrics (
    id bigserial PRIMARY KEY,
    -- The series name as queried; foo_bucket, foo_sum, foo_count are separate
    -- rows pointing at their family foo.
    name text NOT NULL UNIQUE,
    family text NOT NULL DEFAULT '',
    type text NOT NULL DEFAULT 'unknown'
        CHECK (type IN ('counter', 'gauge', 'histogram', 'summary', 'unknown')),
    type_source text NOT NULL DEFAULT '' CHECK (type_source IN ('', 'metadata', 'convention')),
    help text NOT NULL DEFAULT '',
    unit text NOT NULL DEFAULT '',
    -- [{"name": "status", "values": ["200", "500"], "truncated": false}, ...]
    labels jsonb NOT NULL DEFAULT '[]',
    label_names text[] NOT NULL DEFAULT '{}',
    series_count bigint NOT NULL DEFAULT 0,
    services text[] NOT NULL DEFAULT '{}',
    namespaces text[] NOT NULL DEFAULT '{}',
    content_hash text NOT NULL DEFAULT '',
    -- The text embedded and searched (see obsai_catalog.describe).
    description text NOT NULL DEFAULT '',
    search_tsv tsvector GENERATED ALWAYS AS (to_tsvector('english', description)) STORED,
    embedding vector(384),
    -- model id and text hash the embedding was computed from.
    embedding_key text NOT NULL DEFAULT '',
    seen jsonb NOT NULL DEFAULT '{}',
    first_seen_at timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    stale_since timestamptz
);
CREATE INDEX metrics_name_trgm ON metrics USING gin (name gin_trgm_ops);
CREATE INDEX metrics_help_trgm ON metrics USING gin (help gin_trgm_ops);
CREATE INDEX metrics_search_tsv ON metrics USING gin (search_tsv);
CREATE INDEX metrics_services ON metrics USING gin (services);
CREATE INDEX metrics_family ON metrics (family);
CREATE INDEX metrics_embedding ON metrics USING hnsw (embedding vector_cosine_ops);

-- The service <-> metric relation (a metric's `services` array, normalised).
CREATE TABLE service_metrics (
    service_id bigint NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    metric_id bigint NOT NULL REFERENCES metrics (id) ON DELETE CASCADE,
    PRIMARY KEY (service_id, metric_id)
);
CREATE INDEX service_metrics_metric ON service_metrics (metric_id);

-- Sampled label values, one row each, so a question naming a value finds the
-- metrics that carry it with an index lookup.
CREATE TABLE label_values (
    metric_id bigint NOT NULL REFERENCES metrics (id) ON DELETE CASCADE,
    label text NOT NULL,
    value text NOT NULL,
    PRIMARY KEY (metric_id, label, value)
);
CREATE INDEX label_values_lower_value ON label_values (lower(value));

-- Remembered question -> verified PromQL pairs (the seed's query_embeddings).
CREATE TABLE examples (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    question text NOT NULL,
    -- Lower-cased, whitespace-collapsed, trailing punctuation removed: the dedupe key.
    question_key text NOT NULL UNIQUE,
    promql text NOT NULL,
    embedding vector(384) NOT NULL,
    embedding_key text NOT NULL,
    usage_count bigint NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX examples_embedding ON examples USING hnsw (embedding vector_cosine_ops);

-- What readers get: a metric or service as the API shows it.
CREATE VIEW metric_view AS
SELECT m.id, m.name, m.family, m.type, m.type_source, m.help, m.unit, m.labels,
       m.series_count, m.services, m.namespaces, m.first_seen_at, m.last_seen_at,
       m.stale_since IS NOT NULL AS stale
FROM metrics m;

CREATE VIEW service_view AS
SELECT s.id, s.name, s.namespaces, s.source_label, s.series_count, s.discovered_at,
       s.last_seen_at, s.stale_since IS NOT NULL AS stale,
       (SELECT count(*) FROM service_metrics sm JOIN metrics m ON m.id = sm.metric_id
         WHERE sm.service_id = s.id AND m.stale_since IS NULL) AS metric_count
FROM services s;
