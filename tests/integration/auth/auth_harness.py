"""Helpers for the auth integration tests: settings, a client harness, ext_authz requests."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import grpc
import httpx
from envoy.service.auth.v3 import external_auth_pb2_grpc

from obsai.v1 import auth_pb2, auth_pb2_grpc
from obsai_auth.app import EXT_AUTHZ_PORT, build_app
from obsai_auth.settings import AuthSettings
from obsai_common.identity import IDENTITY_METADATA, Identity, InternalTokenSigner
from obsai_common.server import running

JWT_SECRET = "jwt-secret-for-tests-0123456789-abcdef"
INTERNAL_SECRET = "internal-secret-for-tests-0123456789"
ADMIN_PASSWORD = "admin-password-1"
PASSWORD = "correct horse battery"


def bearer(token: str) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {token}"),)


@dataclass
class Harness:
    settings: AuthSettings
    port: int
    channel: grpc.aio.Channel
    stub: auth_pb2_grpc.AuthServiceStub
    # Speaks to the ext_authz port as the gateway's Envoy does.
    authz: httpx.AsyncClient
    # The same Check in ext_authz's gRPC form.
    authz_grpc: external_auth_pb2_grpc.AuthorizationStub
    signer: InternalTokenSigner
    announced: list[tuple[str, str]]

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def service_metadata(self, name: str = "query") -> tuple[tuple[str, str], ...]:
        return ((IDENTITY_METADATA, self.signer.sign(Identity.for_service(name))),)

    async def register(self, username: str, password: str = PASSWORD) -> auth_pb2.User:
        return await self.stub.Register(
            auth_pb2.RegisterRequest(
                username=username, email=f"{username}@example.com", password=password
            )
        )

    async def login(self, username: str, password: str = PASSWORD) -> auth_pb2.TokenResponse:
        return await self.stub.Login(auth_pb2.LoginRequest(username=username, password=password))

    async def user(self, username: str) -> auth_pb2.TokenResponse:
        await self.register(username)
        return await self.login(username)

    async def admin(self) -> auth_pb2.TokenResponse:
        return await self.login(self.settings.obsai_admin_username, ADMIN_PASSWORD)

    async def create_key(
        self, token: str, name: str = "ci", **fields: Any
    ) -> auth_pb2.CreateApiKeyResponse:
        return await self.stub.CreateMyApiKey(
            auth_pb2.CreateApiKeyRequest(name=name, **fields), metadata=bearer(token)
        )

    async def check(
        self, method: str, path: str, headers: dict[str, str] | None = None, body: bytes = b""
    ) -> httpx.Response:
        """The request as Envoy forwards it: method, path, the headers Check reads, body."""
        return await self.authz.request(method, path, headers=headers, content=body)


def make_settings(database_url: str, redis_url: str, **overrides: Any) -> AuthSettings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "redis_url": redis_url,
        "grpc_port": 0,
        "ext_authz_port": 0,
        "jwt_secret": JWT_SECRET,
        "obsai_internal_secret": INTERNAL_SECRET,
        "bcrypt_rounds": 4,
        "obsai_admin_password": ADMIN_PASSWORD,
        "shutdown_grace_seconds": 0.5,
        "db_pool_max": 4,
    }
    values.update(overrides)
    return AuthSettings(**values)


ServerFactory = Callable[..., contextlib.AbstractAsyncContextManager["Harness"]]


def server_factory(database_url: str, redis_url: str) -> ServerFactory:
    """`async with start(**overrides) as harness`: a real server on port 0."""

    @contextlib.asynccontextmanager
    async def start(**overrides: Any) -> AsyncIterator[Harness]:
        clock = overrides.pop("clock", None)
        settings = make_settings(
            overrides.pop("database_url", database_url),
            overrides.pop("redis_url", redis_url),
            **overrides,
        )
        announced: list[tuple[str, str]] = []
        extra: dict[str, Any] = {"announce": lambda u, p: announced.append((u, p))}
        if clock is not None:
            extra["clock"] = clock
        async with (
            build_app(settings, **extra) as app,
            running(settings, app) as server,
            grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as channel,
            httpx.AsyncClient(
                base_url=f"http://127.0.0.1:{app.extra_ports[EXT_AUTHZ_PORT]}"
            ) as authz,
        ):
            yield Harness(
                settings=settings,
                port=server.port,
                channel=channel,
                stub=auth_pb2_grpc.AuthServiceStub(channel),
                authz=authz,
                authz_grpc=external_auth_pb2_grpc.AuthorizationStub(channel),
                signer=InternalTokenSigner(INTERNAL_SECRET),
                announced=announced,
            )

    return start
