"""Envoy as a child of this (long-lived) Python process."""

from __future__ import annotations

from pathlib import Path

import httpx

from obsai_devstack.processes import ManagedProcess, free_port
from obsai_gateway.__main__ import render
from obsai_gateway.envoy_binary import envoy_binary
from obsai_gateway.settings import GatewaySettings

# The key, among upstreams and service ports, of auth's ext_authz listener.
EXT_AUTHZ = "auth_ext_authz"


def _ready(admin_port: int) -> bool:
    try:
        response = httpx.get(f"http://127.0.0.1:{admin_port}/ready", timeout=0.5)
    except httpx.HTTPError:
        return False
    return response.status_code == 200


class EnvoyGateway:
    def __init__(
        self,
        work_dir: Path,
        upstreams: dict[str, str],
        *,
        port: int = 0,
        log_path: Path | None = None,
    ) -> None:
        self.work_dir = work_dir
        self.log_path = log_path or work_dir / "envoy.log"
        self.port = port or free_port()
        self.admin_port = free_port()
        # Ports and upstreams are the stack's; everything else is the gateway's own
        # settings, read from the environment as in production (GATEWAY_CORS_ORIGINS, …).
        self.settings = GatewaySettings(
            listen_port=self.port,
            admin_port=self.admin_port,
            auth_addr=upstreams.get("auth", "127.0.0.1:9"),
            auth_ext_authz_addr=upstreams.get(EXT_AUTHZ, "127.0.0.1:9"),
            catalog_addr=upstreams.get("catalog", "127.0.0.1:9"),
            query_addr=upstreams.get("query", "127.0.0.1:9"),
            discovery_addr=upstreams.get("discovery", "127.0.0.1:9"),
        )
        self._process: ManagedProcess | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> EnvoyGateway:
        self.work_dir.mkdir(parents=True, exist_ok=True)
        config = self.work_dir / "envoy.yaml"
        config.write_text(render(self.settings))
        self._process = ManagedProcess(
            "envoy",
            [
                str(envoy_binary()),
                "-c",
                str(config),
                "--log-level",
                "warn",
                "--concurrency",
                "2",
                "--base-id",
                str(self.admin_port),
            ],
            self.log_path,
        )
        self._process.wait_until(lambda: _ready(self.admin_port), timeout, "ready")
        return self

    def stop(self) -> None:
        if self._process is not None:
            self._process.stop()
            self._process = None
