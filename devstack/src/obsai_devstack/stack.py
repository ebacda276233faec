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

from obsai_demo.prometheus import ScrapeTarget
from obsai_devstack.demo_world import DemoWorld
from obsai_devstack.envoy import EXT_AUTHZ, EnvoyGateway
from obsai_devstack.postgres import EmbeddedPostgres
from obsai_devstack.processes import reserve_ports
from obsai_devstack.redis import RedisServer
from obsai_devstack.services import SERVICES, ServiceProcess

EXT_AUTHZ_PORT = "EXT_AUTHZ_PORT"  # auth's setting for the port Envoy's ext_authz asks


@dataclass
class StackOptions:
    work_dir: Path
    database_url: str | None = None
    redis_url: str | None = None
    # Your Prometheus/Mimir; None with demo_world=False means "down" (port 9).
    prometheus_url: str | None = None
    demo_world: bool = False
    # Keep the demo world's TSDB here across runs (history is backfilled once).
    demo_data_dir: Path | None = None
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
        self.prometheus_url = options.prometheus_url or "http://127.0.0.1:9"
        self.demo: DemoWorld | None = None
        self.postgres: EmbeddedPostgres | None = None
        self.redis_server: RedisServer | None = None
        self._stops: list[Callable[[], None]] = []
        # Named ports are bound last (the services', the gateway's): no port drawn
        # for this stack before then may be one of them.
        reserve_ports([options.gateway_port, *options.service_ports.values()])

    @property
    def url(self) -> str:
        assert self.gateway is not None
        return self.gateway.url

    def env(self) -> dict[str, str]:
        env = {
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            "PROMETHEUS_URL": self.prometheus_url,
            "OBSAI_INTERNAL_SECRET": self.internal_secret,
            "LOG_LEVEL": "INFO",
            **{f"{n.upper()}_ADDR": s.address for n, s in self.services.items()},
        }
        return {**env, **self.options.env}

    def start(self) -> Stack:
        try:
            self._start_dependencies()
            self._plan_services()
            if self.options.demo_world:
                self._start_demo_world()
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
            postgres = EmbeddedPostgres(
                work / "pgdata",
                durable=self.options.durable,
                log_path=work / "logs" / "postgres.log",
            ).start()
            self._stops.append(postgres.stop)
            self.database_url = postgres.url
        if self.options.redis_url and _redis_reachable(self.options.redis_url):
            self.redis_url = self.options.redis_url
        else:
            self.redis_server = RedisServer(work / "redis", log_path=work / "logs" / "redis.log")
            self.redis_server.start()
            self._stops.append(self.redis_server.stop)
            self.redis_url = self.redis_server.url

    def _plan_services(self) -> None:
        ports = self.options.service_ports
        extra = {"auth": {EXT_AUTHZ_PORT: ports.get(EXT_AUTHZ, 0)}}
        self.services = {
            name: ServiceProcess(
                name,
                self.options.work_dir / "logs",
                port=ports.get(name, 0),
                extra_ports=extra.get(name),
            )
            for name in self.options.services
        }

    def _start_demo_world(self) -> None:
        # The services' own metrics are scraped too: ObsAI can answer about itself.
        targets = [
            ScrapeTarget(f"obsai-{name}", f"127.0.0.1:{service.metrics_port}")
            for name, service in self.services.items()
        ]
        self.demo = DemoWorld(
            data_dir=self.options.demo_data_dir,
            extra_targets=targets,
            log_dir=self.options.work_dir / "logs",
        ).start()
        self._stops.append(self.demo.close)
        self.prometheus_url = self.demo.prometheus_url

    def _start_services(self) -> None:
        env = self.env()
        for service in self.services.values():
            service.start(env)
            self._stops.append(service.stop)
        for service in self.services.values():
            service.wait_serving(self.options.start_timeout)

    def _start_gateway(self) -> None:
        upstreams = {name: service.address for name, service in self.services.items()}
        if "auth" in self.services:
            check_port = self.services["auth"].extra_ports[EXT_AUTHZ_PORT]
            upstreams[EXT_AUTHZ] = f"127.0.0.1:{check_port}"
        self.gateway = EnvoyGateway(
            self.options.work_dir / "envoy",
            upstreams,
            port=self.options.gateway_port,
            log_path=self.options.work_dir / "logs" / "envoy.log",
        ).start()
        self._stops.append(self.gateway.stop)

    def exited(self) -> str | None:
        """The name of a service that died, if any."""
        return next((n for n, s in self.services.items() if not s.running), None)

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
