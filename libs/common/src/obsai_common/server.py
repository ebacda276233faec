"""gRPC server bootstrap shared by every service.

`create_server` builds a started-ready `grpc.aio.Server` (tests bind port 0 and
talk over a real channel); `run_service` is what each `__main__` calls: logs,
metrics endpoint, the service's resources, health, and a graceful SIGTERM.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeAlias

import grpc
import uvloop
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1._async import HealthServicer
from grpc_reflection.v1alpha import reflection

from obsai_common.identity import InternalTokenSigner
from obsai_common.interceptor import Authenticator, ObsaiServerInterceptor
from obsai_common.logs import configure_logging
from obsai_common.settings import CommonSettings
from obsai_common.telemetry import build_tracer, start_metrics_endpoint

log = logging.getLogger(__name__)

Interceptor: TypeAlias = "grpc.aio.ServerInterceptor[Any, Any]"


@dataclass(frozen=True, slots=True)
class Servicer:
    """One gRPC service implementation and how to add it to a server."""

    name: str  # full service name, e.g. obsai.v1.QueryService
    implementation: Any
    add_to_server: Callable[[Any, grpc.aio.Server], None]


@dataclass(slots=True)
class ServiceApp:
    """What a service contributes to its server."""

    servicers: Sequence[Servicer]
    authenticator: Authenticator | None = None
    extra_interceptors: Sequence[Interceptor] = field(default_factory=tuple)
    # Listeners besides gRPC that the app opened itself, by name (auth's ext_authz).
    extra_ports: Mapping[str, int] = field(default_factory=dict)


class AppFactory(Protocol):
    def __call__(self) -> contextlib.AbstractAsyncContextManager[ServiceApp]: ...


@dataclass(slots=True)
class RunningServer:
    server: grpc.aio.Server
    port: int
    health: HealthServicer

    async def stop(self, grace: float) -> None:
        await self.health.enter_graceful_shutdown()
        await self.server.stop(grace)


async def create_server(settings: CommonSettings, app: ServiceApp) -> RunningServer:
    signer = InternalTokenSigner(
        settings.obsai_internal_secret.get_secret_value(), settings.internal_token_ttl_seconds
    )
    interceptor = ObsaiServerInterceptor(
        settings.service_name,
        signer,
        app.authenticator,
        build_tracer(settings.service_name, settings.otel_traces_exporter),
    )
    server = grpc.aio.server(
        interceptors=[*app.extra_interceptors, interceptor],
        options=[
            ("grpc.so_reuseport", 0),
            ("grpc.max_receive_message_length", 16 * 1024 * 1024),
            # BDP probing grows flow-control windows for bulk transfers over
            # long links; our RPCs are small and local, and its PINGs cost CPU
            # on both ends of every busy connection (docs/PERFORMANCE.md).
            ("grpc.http2.bdp_probe", 0),
        ],
    )
    for servicer in app.servicers:
        servicer.add_to_server(servicer.implementation, server)
    health = HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health, server)
    names = [s.name for s in app.servicers]
    reflection.enable_server_reflection(
        [*names, reflection.SERVICE_NAME, "grpc.health.v1.Health"], server
    )
    port = server.add_insecure_port(f"{settings.grpc_host}:{settings.grpc_port}")
    if port == 0:
        raise RuntimeError(f"cannot bind {settings.grpc_host}:{settings.grpc_port}")
    await server.start()
    for name in ["", *names]:
        await health.set(name, health_pb2.HealthCheckResponse.SERVING)
    return RunningServer(server, port, health)


@contextlib.asynccontextmanager
async def running(settings: CommonSettings, app: ServiceApp) -> AsyncIterator[RunningServer]:
    """A started server that is drained and stopped on exit."""
    server = await create_server(settings, app)
    try:
        yield server
    finally:
        await server.stop(settings.shutdown_grace_seconds)


def freeze_startup_heap() -> None:
    """Collect once, then leave everything alive out of the cyclic collector's work.

    What a service builds before it serves (modules, protobuf descriptors, the
    planner's tables, the sentence model's wrappers: ~200,000 objects in the query
    and catalog processes) lives until it exits, yet every full collection walks
    it again: a 50-180 ms pause inside whichever request allocated last
    (docs/PERFORMANCE.md, issue 5, session 5). Frozen objects are never freed,
    so this is for a process's long-lived start, after the garbage is collected.
    """
    gc.collect()
    gc.freeze()


def serve(settings: CommonSettings, app_factory: AppFactory) -> None:
    """A service's main: `run_service` on uvloop.

    uvloop's event loop costs measurably less CPU per RPC than asyncio's own
    (grpc.aio, redis-py and asyncpg all run on it; docs/PERFORMANCE.md).
    """
    uvloop.run(run_service(settings, app_factory))


async def run_service(settings: CommonSettings, app_factory: AppFactory) -> None:
    """Serve until SIGTERM/SIGINT, then: NOT_SERVING, drain, close resources."""
    configure_logging(settings.service_name, settings.log_level, settings.log_format)
    if settings.metrics_port >= 0:
        metrics_port = start_metrics_endpoint(settings.grpc_host, settings.metrics_port)
        log.info("metrics endpoint listening", extra={"port": metrics_port})
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with app_factory() as app, running(settings, app) as server:
        freeze_startup_heap()
        log.info(
            "serving",
            extra={
                "port": server.port,
                "services": [s.name for s in app.servicers],
                **app.extra_ports,
            },
        )
        await stop.wait()
        log.info("shutting down", extra={"grace_seconds": settings.shutdown_grace_seconds})
    log.info("stopped")
