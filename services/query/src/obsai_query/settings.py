"""Configuration of the query service, read from the environment."""

from __future__ import annotations

from pydantic import Field, SecretStr

from obsai_common.settings import CommonSettings


class QuerySettings(CommonSettings):
    service_name: str = "query"
    grpc_port: int = 50053
    prometheus_url: str = "http://127.0.0.1:9090"
    # Mimir: tenant sent as X-Scope-OrgID when the caller's identity names none;
    # empty for plain Prometheus.
    prometheus_tenant: str = ""
    prometheus_timeout_seconds: float = 10.0
    anthropic_api_key: SecretStr | None = None
    # Lets tests point the SDK at a loopback server speaking the Messages API.
    anthropic_base_url: str | None = None
    claude_model: str = "claude-sonnet-4-6"
    health_check_timeout_seconds: float = 2.0

    # --- Input
    query_max_length: int = Field(default=1000, ge=10)

    # --- Claude engine
    claude_timeout_seconds: float = Field(default=30.0, gt=0)
    claude_max_tokens: int = Field(default=1024, ge=64)
    # Attempts per generation (1 = no retry); backoff doubles from the base, with jitter.
    claude_max_attempts: int = Field(default=3, ge=1, le=10)
    claude_backoff_base_seconds: float = Field(default=0.5, ge=0)
    claude_backoff_max_seconds: float = Field(default=8.0, ge=0)
    # Consecutive failed generations that open the circuit, and how long it stays open.
    claude_circuit_failures: int = Field(default=5, ge=1)
    claude_circuit_open_seconds: float = Field(default=30.0, ge=0)
    # USD per million tokens, for the estimated-cost counter.
    claude_input_cost_per_mtok: float = 3.0
    claude_output_cost_per_mtok: float = 15.0

    # --- Grounding
    grounding_metrics: int = Field(default=25, ge=1, le=100)
    grounding_examples: int = Field(default=3, ge=0, le=20)
    grounding_example_min_similarity: float = Field(default=0.75, ge=0, le=1)
    catalog_timeout_seconds: float = Field(default=5.0, gt=0)
    # How long the catalog version (part of cache keys) is reused before asking again.
    catalog_version_ttl_seconds: float = Field(default=2.0, ge=0)

    # --- Validation guardrails
    scrape_interval_seconds: float = Field(default=15.0, gt=0)
    # Oldest data a query may touch: offsets + range windows + subquery ranges + query range.
    max_lookback_seconds: float = Field(default=7 * 86400.0, gt=0)
    min_subquery_step_seconds: float = Field(default=15.0, gt=0)
    max_series_per_selector: int = Field(default=50_000, ge=1)
    forbidden_metric_pattern: str = r"(?i)(secret|password|token|credential)"
    promql_max_length: int = Field(default=2000, ge=10)
    promql_max_depth: int = Field(default=24, ge=2)

    # --- Execution
    # Points per series of a range query; the step grows to stay under it.
    max_points_per_series: int = Field(default=11_000, ge=10)
    # Series returned per query; more are cut and the result marked truncated.
    max_result_series: int = Field(default=500, ge=1)
    # Default window of rate() and friends when the question names none.
    default_rate_window: str = "5m"

    # --- Cache and history
    cache_ttl_seconds: int = Field(default=300, ge=0)
    history_queue_size: int = Field(default=10_000, ge=1)
    history_batch_size: int = Field(default=200, ge=1)
    history_retry_max_seconds: float = Field(default=5.0, gt=0)
    # On shutdown, how long pending history rows may take to reach Postgres.
    history_flush_seconds: float = Field(default=5.0, ge=0)
