"""Typed settings read from the environment, one subclass per service.

Every field is documented in the README's configuration table. Secrets are
``SecretStr`` so they never appear in reprs or logs.
"""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_INTERNAL_SECRET = "obsai-dev-internal-secret-change-me"


class CommonSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="", extra="ignore", frozen=True, env_ignore_empty=True
    )

    service_name: str = "obsai"
    grpc_host: str = "127.0.0.1"
    grpc_port: int = Field(default=0, ge=0, le=65535)
    # Prometheus self-metrics; 0 picks a free port, -1 disables the endpoint.
    metrics_port: int = Field(default=-1, ge=-1, le=65535)
    log_level: str = "INFO"
    log_format: str = "json"
    database_url: SecretStr = SecretStr("postgresql://postgres@127.0.0.1:5432/postgres")
    db_pool_min: int = 1
    db_pool_max: int = 10
    redis_url: SecretStr = SecretStr("redis://127.0.0.1:6379/0")
    # HMAC secret shared by the services for internal identity tokens.
    obsai_internal_secret: SecretStr = SecretStr(DEV_INTERNAL_SECRET)
    internal_token_ttl_seconds: int = 120
    auth_addr: str = "127.0.0.1:50051"
    catalog_addr: str = "127.0.0.1:50052"
    query_addr: str = "127.0.0.1:50053"
    discovery_addr: str = "127.0.0.1:50054"
    # Seconds a stopping server waits for in-flight RPCs.
    shutdown_grace_seconds: float = 5.0
    # OpenTelemetry: "none" or "console"; an OTLP exporter can be added here.
    otel_traces_exporter: str = "none"
