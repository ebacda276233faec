-- Every question asked, its answer and how long each stage took.
CREATE TABLE IF NOT EXISTS query_history (
    id uuid PRIMARY KEY,
    user_id text NOT NULL,
    question text NOT NULL,
    promql text NOT NULL DEFAULT '',
    engine text NOT NULL DEFAULT '',
    success boolean NOT NULL,
    error text NOT NULL DEFAULT '',
    cached boolean NOT NULL DEFAULT false,
    timings jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS query_history_user_created ON query_history (user_id, created_at DESC, id);
