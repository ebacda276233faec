"""Configuration of the Envoy gateway, read from the environment."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DESCRIPTOR = Path(__file__).resolve().parents[2] / "generated" / "obsai.pb"


class GatewaySettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="GATEWAY_", extra="ignore", frozen=True, populate_by_name=True
    )

    listen_host: str = "127.0.0.1"
    listen_port: int = Field(default=8080, ge=0, le=65535)
    admin_host: str = "127.0.0.1"
    admin_port: int = Field(default=9901, ge=0, le=65535)
    # host:port of each upstream; DNS names resolve to every address (k8s headless).
    auth_addr: str = Field(default="127.0.0.1:50051", validation_alias="AUTH_ADDR")
    # auth's ext_authz port (HTTP/1.1), asked before every non-public request.
    auth_ext_authz_addr: str = Field(
        default="127.0.0.1:50061", validation_alias="AUTH_EXT_AUTHZ_ADDR"
    )
    catalog_addr: str = Field(default="127.0.0.1:50052", validation_alias="CATALOG_ADDR")
    query_addr: str = Field(default="127.0.0.1:50053", validation_alias="QUERY_ADDR")
    discovery_addr: str = Field(default="127.0.0.1:50054", validation_alias="DISCOVERY_ADDR")
    # Comma-separated allowed origins for CORS; "*" allows any.
    cors_origins: str = "http://localhost:3000,http://127.0.0.1:3000"
    descriptor_path: Path = DEFAULT_DESCRIPTOR
    # Seconds; questions may wait on Claude and Prometheus.
    query_timeout_seconds: float = 60.0
    # A triggered scan may be waited for (`"wait": true`); first scans embed everything.
    discovery_timeout_seconds: float = 300.0
    default_timeout_seconds: float = 15.0
    ext_authz_timeout_seconds: float = 2.0
    max_request_bytes: int = 65536
