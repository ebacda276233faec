"""SystemService: GET /health, GET /api/v1/health and a trivial Ping."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from obsai.v1 import system_pb2, system_pb2_grpc
from obsai_common.identity import current_identity
from obsai_common.timestamps import now_timestamp
from obsai_query.health import Check, CheckResult, Status, overall, run_checks


def grpc_health_check(channel: grpc.aio.Channel) -> Check:
    stub = health_pb2_grpc.HealthStub(channel)

    async def check() -> None:
        response = await stub.Check(health_pb2.HealthCheckRequest(service=""))
        if response.status != health_pb2.HealthCheckResponse.SERVING:
            raise RuntimeError(health_pb2.HealthCheckResponse.ServingStatus.Name(response.status))

    return check


class SystemApi(system_pb2_grpc.SystemServiceServicer):  # type: ignore[misc]
    def __init__(
        self,
        components: Mapping[str, Check],
        services: Mapping[str, Check],
        timeout: float,
        version: str,
    ) -> None:
        self._components = components
        self._services = services
        self._timeout = timeout
        self._version = version

    async def GetHealth(self, request: Any, context: Any) -> system_pb2.GetHealthResponse:
        results = await run_checks(self._components, self._timeout)
        status = overall(results)
        await _set_http_status(context, status)
        return system_pb2.GetHealthResponse(
            status=status.value,
            components={name: r.status.value for name, r in results.items()},
            timestamp=now_timestamp(),
        )

    async def GetHealthDetails(
        self, request: Any, context: Any
    ) -> system_pb2.GetHealthDetailsResponse:
        started = time.perf_counter()
        results = await run_checks({**self._components, **self._services}, self._timeout)
        components = {n: results[n] for n in self._components}
        status = overall(components)
        # The query service is the replica answering: as well as what it depends on.
        services = {
            "query": CheckResult(status, round((time.perf_counter() - started) * 1000, 2)),
            **{n: results[n] for n in self._services},
        }
        if status is Status.HEALTHY and any(
            r.status is Status.UNHEALTHY for r in services.values()
        ):
            status = Status.DEGRADED
        await _set_http_status(context, status)
        return system_pb2.GetHealthDetailsResponse(
            status=status.value,
            components={n: _component(r) for n, r in components.items()},
            services={n: _component(r) for n, r in services.items()},
            timestamp=now_timestamp(),
            version=self._version,
        )

    async def Ping(self, request: system_pb2.PingRequest, context: Any) -> system_pb2.PingResponse:
        return system_pb2.PingResponse(message=request.message or "pong", timestamp=now_timestamp())

    async def WhoAmI(self, request: Any, context: Any) -> system_pb2.WhoAmIResponse:
        identity = current_identity()
        return system_pb2.WhoAmIResponse(
            user_id=identity.user_id,
            username=identity.username,
            roles=list(identity.roles),
            api_key_id=identity.api_key_id,
        )


def _component(result: CheckResult) -> system_pb2.ComponentHealth:
    return system_pb2.ComponentHealth(
        status=result.status.value, latency_ms=result.latency_ms, message=result.message
    )


async def _set_http_status(context: Any, status: Status) -> None:
    # The body must still reach REST clients on 503, so this is not a gRPC error:
    # the gateway turns this header into the HTTP status (see services/gateway).
    if status is Status.UNHEALTHY:
        await context.send_initial_metadata((("x-http-status", "503"),))
