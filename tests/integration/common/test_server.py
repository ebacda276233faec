"""The common server bootstrap and interceptor, over a real gRPC channel."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest
from google.rpc import error_details_pb2, status_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc

from obsai.v1 import catalog_pb2, catalog_pb2_grpc, discovery_pb2, discovery_pb2_grpc
from obsai_common.errors import NotFound, Unauthenticated
from obsai_common.identity import Identity, InternalTokenSigner, current_identity
from obsai_common.interceptor import AuthResult, RateLimitStatus
from obsai_common.server import RunningServer, ServiceApp, Servicer, running
from obsai_common.settings import CommonSettings

SECRET = "test-internal-secret-0123456789-abcdef"


class Catalog(catalog_pb2_grpc.CatalogServiceServicer):  # type: ignore[misc]
    async def GetService(self, request: Any, context: Any) -> catalog_pb2.Service:
        if request.name == "missing":
            raise NotFound("no service named 'missing'")
        if request.name == "boom":
            raise RuntimeError("database password is hunter2")
        return catalog_pb2.Service(name=current_identity().username)

    async def ApplyDiscoveryBatch(self, request: Any, context: Any) -> Any:
        return catalog_pb2.ApplyDiscoveryBatchResponse(services_upserted=1)


class Discovery(discovery_pb2_grpc.DiscoveryServiceServicer):  # type: ignore[misc]
    async def TriggerDiscovery(self, request: Any, context: Any) -> Any:
        return discovery_pb2.DiscoveryStatus(state="running", triggered=True)


class TokenAuthenticator:
    """Accepts `Bearer alice` (user) and `Bearer root` (admin)."""

    async def authenticate(self, method: str, authorization: str, api_key: str) -> AuthResult:
        users = {"Bearer alice": ("user",), "Bearer root": ("admin",)}
        if authorization not in users:
            raise Unauthenticated("invalid token")
        name = authorization.removeprefix("Bearer ")
        return AuthResult(Identity(name, name, users[authorization]), RateLimitStatus(100, 99, 1))


@pytest.fixture
async def server() -> AsyncIterator[RunningServer]:
    app = ServiceApp(
        servicers=[
            Servicer(
                "obsai.v1.CatalogService",
                Catalog(),
                catalog_pb2_grpc.add_CatalogServiceServicer_to_server,
            ),
            Servicer(
                "obsai.v1.DiscoveryService",
                Discovery(),
                discovery_pb2_grpc.add_DiscoveryServiceServicer_to_server,
            ),
        ],
        authenticator=TokenAuthenticator(),
    )
    settings = CommonSettings(service_name="test", obsai_internal_secret=SECRET)  # type: ignore[arg-type]
    async with running(settings, app) as server:
        yield server


@pytest.fixture
async def channel(server: RunningServer) -> AsyncIterator[grpc.aio.Channel]:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as channel:
        yield channel


def _token(identity: Identity) -> tuple[tuple[str, str], ...]:
    return (("x-obsai-identity", InternalTokenSigner(SECRET).sign(identity)),)


async def test_health_and_reflection_are_served(channel: grpc.aio.Channel) -> None:
    health = health_pb2_grpc.HealthStub(channel)
    for name in ("", "obsai.v1.CatalogService"):
        reply = await health.Check(health_pb2.HealthCheckRequest(service=name))
        assert reply.status == health_pb2.HealthCheckResponse.SERVING


async def test_anonymous_call_is_unauthenticated(channel: grpc.aio.Channel) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await catalog_pb2_grpc.CatalogServiceStub(channel).GetService(
            catalog_pb2.GetServiceRequest(name="x")
        )
    assert caught.value.code() is grpc.StatusCode.UNAUTHENTICATED


async def test_credentials_resolve_to_the_identity_the_handler_sees(
    channel: grpc.aio.Channel,
) -> None:
    call = catalog_pb2_grpc.CatalogServiceStub(channel).GetService(
        catalog_pb2.GetServiceRequest(name="x"), metadata=(("authorization", "Bearer alice"),)
    )
    assert (await call).name == "alice"
    headers = dict(await call.initial_metadata())
    assert headers["x-ratelimit-limit"] == "100"
    assert headers["x-ratelimit-remaining"] == "99"


async def test_verified_internal_token_is_the_identity(channel: grpc.aio.Channel) -> None:
    reply = await catalog_pb2_grpc.CatalogServiceStub(channel).GetService(
        catalog_pb2.GetServiceRequest(name="x"), metadata=_token(Identity("u7", "grace", ("user",)))
    )
    assert reply.name == "grace"


async def test_forged_internal_token_is_rejected(channel: grpc.aio.Channel) -> None:
    forged = InternalTokenSigner("another-secret-0123456789-abcdefgh").sign(
        Identity("u1", "root", ("admin",))
    )
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await catalog_pb2_grpc.CatalogServiceStub(channel).GetService(
            catalog_pb2.GetServiceRequest(name="x"), metadata=(("x-obsai-identity", forged),)
        )
    assert caught.value.code() is grpc.StatusCode.UNAUTHENTICATED


async def test_user_cannot_call_admin_or_internal_methods(channel: grpc.aio.Channel) -> None:
    user = (("authorization", "Bearer alice"),)
    with pytest.raises(grpc.aio.AioRpcError) as admin_call:
        await discovery_pb2_grpc.DiscoveryServiceStub(channel).TriggerDiscovery(
            discovery_pb2.TriggerDiscoveryRequest(), metadata=user
        )
    with pytest.raises(grpc.aio.AioRpcError) as internal_call:
        await catalog_pb2_grpc.CatalogServiceStub(channel).ApplyDiscoveryBatch(
            catalog_pb2.ApplyDiscoveryBatchRequest(), metadata=user
        )
    assert admin_call.value.code() is grpc.StatusCode.PERMISSION_DENIED
    assert internal_call.value.code() is grpc.StatusCode.PERMISSION_DENIED


async def test_admin_and_service_identities_get_their_methods(channel: grpc.aio.Channel) -> None:
    status = await discovery_pb2_grpc.DiscoveryServiceStub(channel).TriggerDiscovery(
        discovery_pb2.TriggerDiscoveryRequest(), metadata=(("authorization", "Bearer root"),)
    )
    applied = await catalog_pb2_grpc.CatalogServiceStub(channel).ApplyDiscoveryBatch(
        catalog_pb2.ApplyDiscoveryBatchRequest(), metadata=_token(Identity.for_service("discovery"))
    )
    assert status.triggered
    assert applied.services_upserted == 1


async def test_domain_errors_become_status_with_details(channel: grpc.aio.Channel) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await catalog_pb2_grpc.CatalogServiceStub(channel).GetService(
            catalog_pb2.GetServiceRequest(name="missing"),
            metadata=(("authorization", "Bearer alice"),),
        )
    assert caught.value.code() is grpc.StatusCode.NOT_FOUND
    assert caught.value.details() == "no service named 'missing'"
    details = dict(caught.value.trailing_metadata() or ())["grpc-status-details-bin"]
    status = status_pb2.Status.FromString(details)
    info = error_details_pb2.ErrorInfo()
    status.details[0].Unpack(info)
    assert info.reason == "NOT_FOUND"


async def test_unexpected_errors_leak_nothing(channel: grpc.aio.Channel) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await catalog_pb2_grpc.CatalogServiceStub(channel).GetService(
            catalog_pb2.GetServiceRequest(name="boom"),
            metadata=(("authorization", "Bearer alice"),),
        )
    assert caught.value.code() is grpc.StatusCode.INTERNAL
    assert caught.value.details() == "internal error"
    assert "hunter2" not in str(caught.value)
