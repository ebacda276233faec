"""ObsAI's own services as child processes, each waited on until SERVING."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from obsai_devstack.processes import ManagedProcess, free_port

SERVICES = ("auth", "catalog", "query", "discovery")


def _serving(address: str) -> bool:
    try:
        with grpc.insecure_channel(address) as channel:
            response = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service=""), timeout=0.5
            )
    except grpc.RpcError:
        return False
    return bool(response.status == health_pb2.HealthCheckResponse.SERVING)


class ServiceProcess:
    def __init__(
        self,
        name: str,
        work_dir: Path,
        *,
        port: int = 0,
        extra_ports: Mapping[str, int] | None = None,
    ) -> None:
        self.name = name
        self.work_dir = work_dir
        self.port = port or free_port()
        self.metrics_port = free_port()
        # Further listeners, by the setting that names them (auth's EXT_AUTHZ_PORT).
        self.extra_ports = {setting: p or free_port() for setting, p in (extra_ports or {}).items()}
        self._process: ManagedProcess | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, env: Mapping[str, str]) -> ServiceProcess:
        self._process = ManagedProcess(
            self.name,
            [sys.executable, "-m", f"obsai_{self.name}"],
            self.work_dir / f"{self.name}.log",
            env={
                **env,
                "GRPC_HOST": "127.0.0.1",
                "GRPC_PORT": str(self.port),
                "METRICS_PORT": str(self.metrics_port),
                **{setting: str(p) for setting, p in self.extra_ports.items()},
            },
        )
        return self

    def wait_serving(self, timeout: float) -> None:
        assert self._process is not None
        self._process.wait_until(lambda: _serving(self.address), timeout, "SERVING")

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.running

    def log_tail(self, lines: int = 40) -> str:
        return self._process.log_tail(lines) if self._process else ""

    def stop(self) -> None:
        if self._process is not None:
            self._process.stop()
            self._process = None
