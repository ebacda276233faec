"""Configuration of the query service, read from the environment."""

from __future__ import annotations

from pydantic import SecretStr

from obsai_common.settings import CommonSettings


class QuerySettings(CommonSettings):
    service_name: str = "query"
    grpc_port: int = 50053
    prometheus_url: str = "http://127.0.0.1:9090"
    # Mimir: tenant sent as X-Scope-OrgID; empty for plain Prometheus.
    prometheus_tenant: str = ""
    prometheus_timeout_seconds: float = 10.0
    anthropic_api_key: SecretStr | None = None
    # Lets tests point the SDK at a loopback server speaking the Messages API.
    anthropic_base_url: str | None = None
    claude_model: str = "claude-sonnet-4-5"
    health_check_timeout_seconds: float = 2.0
