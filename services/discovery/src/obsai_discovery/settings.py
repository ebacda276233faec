"""Discovery service settings, read from the environment (see the README's table).

One Prometheus or Mimir source is configured with the ``PROMETHEUS_*`` variables;
several (e.g. one per Mimir tenant) with ``DISCOVERY_SOURCES``, a JSON list of
objects with the same fields (``[{"url": "...", "tenant": "team-a"}, ...]``).
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Any

from pydantic import BaseModel, Field, SecretStr, field_validator
from pydantic_settings import NoDecode

from obsai_common.settings import CommonSettings


class SourceConfig(BaseModel):
    """How to reach one Prometheus or Mimir (tenant)."""

    model_config = {"frozen": True}

    # Names the source in the catalog; defaults to URL + prefix (+ #tenant).
    name: str = ""
    url: str = "http://127.0.0.1:9090"
    # Mimir serves the Prometheus API under a prefix, usually "/prometheus".
    path_prefix: str = ""
    # Sent as X-Scope-OrgID (Mimir, Cortex, Thanos receive multi-tenancy).
    tenant: str = ""
    basic_auth_user: str = ""
    basic_auth_password: SecretStr = SecretStr("")
    bearer_token: SecretStr = SecretStr("")
    tls_verify: bool = True
    ca_file: str = ""
    client_cert_file: str = ""
    client_key_file: str = ""
    timeout_seconds: float = Field(default=30.0, gt=0)

    @property
    def display_name(self) -> str:
        if self.name:
            return self.name
        base = self.url.rstrip("/") + "/" + self.path_prefix.strip("/")
        return base.rstrip("/") + (f"#{self.tenant}" if self.tenant else "")


def _split_list(value: Any) -> Any:
    """A JSON list, or comma-separated words."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            return json.loads(text)
        return [part.strip() for part in text.split(",") if part.strip()]
    return value


class DiscoverySettings(CommonSettings):
    service_name: str = "discovery"
    grpc_port: int = Field(default=50054, ge=0, le=65535)

    prometheus_url: str = "http://127.0.0.1:9090"
    prometheus_path_prefix: str = ""
    prometheus_tenant: str = ""
    prometheus_basic_auth_user: str = ""
    prometheus_basic_auth_password: SecretStr = SecretStr("")
    prometheus_bearer_token: SecretStr = SecretStr("")
    prometheus_tls_verify: bool = True
    prometheus_ca_file: str = ""
    prometheus_client_cert_file: str = ""
    prometheus_client_key_file: str = ""
    prometheus_timeout_seconds: float = Field(default=30.0, gt=0)
    # Overrides the PROMETHEUS_* source: a JSON list of SourceConfig objects.
    discovery_sources: list[SourceConfig] = Field(default_factory=list)

    # Seconds between scans; a failed scan is retried sooner, with backoff.
    discovery_interval_seconds: float = Field(default=300.0, gt=0)
    # Scan as soon as the service starts (retrying with backoff while the source is down).
    discovery_on_startup: bool = True
    discovery_retry_initial_seconds: float = Field(default=1.0, gt=0)
    discovery_retry_max_seconds: float = Field(default=60.0, gt=0)
    # A series counts as present if it has samples in the last this-many seconds.
    discovery_lookback_seconds: float = Field(default=3600.0, gt=0)
    # Labels naming a series' service, in order of preference (first present wins).
    discovery_service_labels: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["service", "app", "application", "job"]
    )
    discovery_namespace_label: str = "namespace"
    # Values sampled per label per metric (the rest is counted as truncated).
    discovery_max_label_values: int = Field(default=50, ge=1, le=1000)
    # Metric names matching any of these regular expressions (full match) are skipped.
    discovery_exclude: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # Series fetched per /api/v1/series request (names per request adapt to it).
    discovery_series_per_request: int = Field(default=20_000, ge=100)
    discovery_max_names_per_request: int = Field(default=1000, ge=1, le=10_000)
    # /api/v1/series requests in flight at once.
    discovery_concurrency: int = Field(default=2, ge=1, le=16)
    # Metrics per ApplyDiscoveryBatch call.
    discovery_push_batch_size: int = Field(default=250, ge=1, le=5000)
    # Passed to the catalog: drop what has been stale this long (0: catalog's default).
    discovery_stale_grace_seconds: int = Field(default=0, ge=0)
    # The cross-replica lock's time to live; it is renewed while a scan runs.
    discovery_lock_ttl_seconds: float = Field(default=60.0, gt=1)

    @field_validator("discovery_service_labels", "discovery_exclude", mode="before")
    @classmethod
    def _lists(cls, value: Any) -> Any:
        return _split_list(value)

    @field_validator("discovery_exclude")
    @classmethod
    def _patterns_compile(cls, value: list[str]) -> list[str]:
        for pattern in value:
            try:
                re.compile(pattern)
            except re.error as error:
                raise ValueError(
                    f"invalid DISCOVERY_EXCLUDE pattern {pattern!r}: {error}"
                ) from None
        return value

    def sources(self) -> list[SourceConfig]:
        if self.discovery_sources:
            return list(self.discovery_sources)
        return [
            SourceConfig(
                url=self.prometheus_url,
                path_prefix=self.prometheus_path_prefix,
                tenant=self.prometheus_tenant,
                basic_auth_user=self.prometheus_basic_auth_user,
                basic_auth_password=self.prometheus_basic_auth_password,
                bearer_token=self.prometheus_bearer_token,
                tls_verify=self.prometheus_tls_verify,
                ca_file=self.prometheus_ca_file,
                client_cert_file=self.prometheus_client_cert_file,
                client_key_file=self.prometheus_client_key_file,
                timeout_seconds=self.prometheus_timeout_seconds,
            )
        ]
