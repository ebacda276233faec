"""Dead dependencies: a fast, uniform UNAVAILABLE (fail closed), or documented fail-open."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import grpc
import httpx
import pytest
from auth_harness import ServerFactory, bearer

from obsai.v1 import auth_pb2
from obsai_devstack.redis import RedisServer

ME = auth_pb2.GetMeRequest()


@pytest.fixture
def private_redis(tmp_path: Path) -> RedisServer:
    """A Redis this test may stop."""
    server = RedisServer(tmp_path / "redis").start()
    yield server  # type: ignore[misc]
    server.stop()


class TcpProxy:
    """Forwards a local port to Postgres until `cut()` drops every connection."""

    def __init__(self, host: str, port: int) -> None:
        self._target = (host, port)
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self.port = 0

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self._target)
        self._writers |= {writer, up_writer}

        async def pump(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(ConnectionError, OSError):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.close()

        await asyncio.gather(pump(reader, up_writer), pump(up_reader, writer))

    async def cut(self) -> None:
        assert self._server is not None
        self._server.close()
        for writer in self._writers:
            writer.transport.abort()
        await self._server.wait_closed()


@contextlib.asynccontextmanager
async def proxied(database_url: str) -> AsyncIterator[tuple[TcpProxy, str]]:
    parts = urlsplit(database_url)
    proxy = TcpProxy(parts.hostname or "127.0.0.1", parts.port or 5432)
    await proxy.start()
    netloc = parts.netloc.replace(f":{parts.port}", f":{proxy.port}")
    try:
        yield proxy, urlunsplit(parts._replace(netloc=netloc))
    finally:
        with contextlib.suppress(Exception):
            await proxy.cut()


# A hang fails these (the bound is generous); speed itself is for benchmarks.
NO_HANG_SECONDS = 10.0


async def unavailable_quickly(call: object) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await asyncio.wait_for(call, NO_HANG_SECONDS)  # type: ignore[arg-type]
    assert info.value.code() == grpc.StatusCode.UNAVAILABLE, info.value.details()
    assert "Error" not in (info.value.details() or "")  # no driver exception text


def assert_503(response: httpx.Response) -> None:
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "UNAVAILABLE"


async def test_redis_down_fails_closed(
    start_auth: ServerFactory, private_redis: RedisServer
) -> None:
    async with start_auth(redis_url=private_redis.url) as auth:
        ada = await auth.user("ada")
        await auth.stub.GetMe(ME, metadata=bearer(ada.access_token))
        private_redis.stop()

        await unavailable_quickly(auth.stub.GetMe(ME, metadata=bearer(ada.access_token)))
        await unavailable_quickly(auth.login("ada"))
        await unavailable_quickly(
            auth.stub.Refresh(auth_pb2.RefreshRequest(refresh_token=ada.refresh_token))
        )
        response = await asyncio.wait_for(
            auth.check("GET", "/auth/me", {"authorization": f"Bearer {ada.access_token}"}),
            NO_HANG_SECONDS,
        )
        assert_503(response)


async def test_redis_down_fails_open_when_configured(
    start_auth: ServerFactory, private_redis: RedisServer
) -> None:
    async with start_auth(redis_url=private_redis.url, redis_failure_mode="open") as auth:
        ada = await auth.user("ada")
        private_redis.stop()
        # Signed, unexpired tokens are accepted; nothing is counted, so no headers.
        call = auth.stub.GetMe(ME, metadata=bearer(ada.access_token))
        assert (await call).id == ada.user.id
        assert not [k for k, _ in await call.initial_metadata() if k.startswith("x-ratelimit")]
        check = await auth.check("GET", "/auth/me", {"authorization": f"Bearer {ada.access_token}"})
        assert check.status_code == 200
        assert not [k for k in check.headers if k.startswith("x-ratelimit")]
        # Forged tokens are still refused, and new sessions still need Redis.
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await auth.stub.GetMe(ME, metadata=bearer(ada.access_token + "x"))
        assert info.value.code() == grpc.StatusCode.UNAUTHENTICATED
        await unavailable_quickly(auth.login("ada"))


async def test_postgres_down_is_unavailable(start_auth: ServerFactory, database_url: str) -> None:
    async with proxied(database_url) as (proxy, url), start_auth(database_url=url) as auth:
        ada = await auth.user("ada")
        key = await auth.create_key(ada.access_token)
        await proxy.cut()

        await unavailable_quickly(auth.stub.GetMe(ME, metadata=(("x-api-key", key.key),)))
        await unavailable_quickly(auth.login("ada"))
        await unavailable_quickly(auth.register("bob"))
        assert_503(await auth.check("POST", "/query", {"x-api-key": key.key}))
        # A JWT needs only Redis to authenticate: Check still answers OK.
        check = await auth.check("POST", "/query", {"authorization": f"Bearer {ada.access_token}"})
        assert check.status_code == 200
