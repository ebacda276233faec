-- Ratings of answers; good and corrected answers also become catalog examples.
CREATE TABLE IF NOT EXISTS query_feedback (
    id uuid PRIMARY KEY,
    query_id uuid NOT NULL,
    user_id text NOT NULL,
    rating text NOT NULL CHECK (rating IN ('good', 'bad')),
    corrected_promql text NOT NULL DEFAULT '',
    comment text NOT NULL DEFAULT '',
    remembered boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS query_feedback_query ON query_feedback (query_id);
