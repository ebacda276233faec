"""The whole ObsAI stack on one machine: dependencies, services, gateway.

Used by `make run` (durable data under .obsai/, default ports), by the
end-to-end tests (temporary data, free ports) and by the benchmarks.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import redis

from obsai_devstack.envoy import EnvoyGateway
from obsai_devstack.postgres import EmbeddedPostgres
from obsai_devstack.redis import RedisServer
from obsai_devstack.services import SERVICES, ServiceProcess


@dataclass
class StackOptions:
    work_dir: Path
    database_url: str | None = None
    redis_url: str | None = None
    prometheus_url: str = "http://127.0.0.1:9"  # nothing listens: Prometheus "down"
    gateway_port: int = 0
    service_ports: Mapping[str, int] = field(default_factory=dict)
    services: tuple[str, ...] = SERVICES
    env: Mapping[str, str] = field(default_factory=dict)
    durable: bool = False
    start_timeout: float = 90.0


def _redis_reachable(url: str) -> bool:
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except redis.RedisError:
        return False


class Stack:
    def __init__(self, options: StackOptions) -> None:
        self.options = options
        self.internal_secret = options.env.get("OBSAI_INTERNAL_SECRET") or secrets.token_urlsafe(32)
        self.services: dict[str, ServiceProcess] = {}
        self.gateway: EnvoyGateway | None = None
        self.database_url = ""
        self.redis_url = ""
        self._stops: list[Callable[[], None]] = []

    @property
    def url(self) -> str:
        assert self.gateway is not None
        return self.gateway.url

    def env(self) -> dict[str, str]:
        env = {
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            "PROMETHEUS_URL": self.options.prometheus_url,
            "OBSAI_INTERNAL_SECRET": self.internal_secret,
            "LOG_LEVEL": "INFO",
            **{f"{n.upper()}_ADDR": s.address for n, s in self.services.items()},
        }
        return {**env, **self.options.env}

    def start(self) -> Stack:
        try:
            self._start_dependencies()
            self._start_services()
            self._start_gateway()
        except BaseException:
            self.stop()
            raise
        return self

    def _start_dependencies(self) -> None:
        work = self.options.work_dir
        if self.options.database_url:
            self.database_url = self.options.database_url
        else:
            postgres = EmbeddedPostgres(work / "pgdata", durable=self.options.durable).start()
            self._stops.append(postgres.stop)
            self.database_url = postgres.url
        if self.options.redis_url and _redis_reachable(self.options.redis_url):
            self.redis_url = self.options.redis_url
        else:
            redis_server = RedisServer(work / "redis").start()
            self._stops.append(redis_server.stop)
            self.redis_url = redis_server.url

    def _start_services(self) -> None:
        ports = self.options.service_ports
        self.services = {
            name: ServiceProcess(name, self.options.work_dir / "logs", port=ports.get(name, 0))
            for name in self.options.services
        }
        env = self.env()
        for service in self.services.values():
            service.start(env)
            self._stops.append(service.stop)
        for service in self.services.values():
            service.wait_serving(self.options.start_timeout)

    def _start_gateway(self) -> None:
        upstreams = {name: service.address for name, service in self.services.items()}
        self.gateway = EnvoyGateway(
            self.options.work_dir / "envoy", upstreams, port=self.options.gateway_port
        ).start()
        self._stops.append(self.gateway.stop)

    def stop(self) -> None:
        while self._stops:
            stop = self._stops.pop()
            with contextlib.suppress(Exception):
                stop()


@contextlib.contextmanager
def running_stack(options: StackOptions) -> Iterator[Stack]:
    stack = Stack(options).start()
    try:
        yield stack
    finally:
        stack.stop()
