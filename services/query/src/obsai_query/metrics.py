"""The query service's self-metrics (names follow the original's published ones)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

QUERY_DURATION = Histogram(
    "query_processing_duration_seconds",
    "Time to answer a question, by outcome (ok, cached, error code).",
    ["outcome"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
QUERY_STAGE_DURATION = Histogram(
    "query_stage_duration_seconds",
    "Time spent in each stage of the pipeline.",
    ["stage"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
CACHE_HITS = Counter("query_cache_hits", "Answers served from the Redis cache.")
CACHE_MISSES = Counter("query_cache_misses", "Questions not found in the Redis cache.")
CACHE_ERRORS = Counter("query_cache_errors", "Redis failures; the answer went uncached.")
VALIDATION_PROBLEMS = Counter(
    "query_validation_problems", "PromQL refused by the validator, by check.", ["check"]
)
REPAIRS = Counter("query_repairs", "Repair rounds asked of an engine, by result.", ["result"])
ENGINE_ANSWERS = Counter("query_engine_answers", "Generations by engine.", ["engine"])

CLAUDE_REQUESTS = Counter(
    "claude_api_requests", "Calls to the Claude Messages API, by model.", ["model"]
)
CLAUDE_ERRORS = Counter(
    "claude_api_errors", "Failed calls to the Claude API, by kind.", ["model", "kind"]
)
CLAUDE_TOKENS = Counter(
    "claude_api_token_usage",
    "Tokens used by Claude calls (input, output, cache_read, cache_creation).",
    ["model", "kind"],
)
CLAUDE_COST = Counter(
    "claude_api_cost_usd", "Estimated cost of Claude calls in US dollars.", ["model"]
)
CLAUDE_CIRCUIT_OPEN = Gauge(
    "claude_api_circuit_open", "1 while the circuit breaker keeps calls away from Claude."
)

HISTORY_PENDING = Gauge("query_history_pending", "History rows waiting to reach Postgres.")
HISTORY_WRITTEN = Counter("query_history_written", "History rows written to Postgres.")
HISTORY_DROPPED = Counter(
    "query_history_dropped", "History rows dropped because the outbox was full."
)
HISTORY_WRITE_ERRORS = Counter(
    "query_history_write_errors", "Failed attempts to write history to Postgres."
)
