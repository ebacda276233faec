"""Cached API keys: a change made on one auth replica reaches the others at once."""

from __future__ import annotations

import asyncio

import asyncpg
import grpc
from auth_harness import Harness, ServerFactory, bearer

from obsai.v1 import auth_pb2

ME = auth_pb2.GetMeRequest()


async def me_with_key(replica: Harness, key: str) -> grpc.StatusCode:
    try:
        await replica.stub.GetMe(ME, metadata=(("x-api-key", key),))
    except grpc.aio.AioRpcError as error:
        return error.code()
    return grpc.StatusCode.OK


async def test_revocation_on_one_replica_reaches_the_other(start_auth: ServerFactory) -> None:
    async with start_auth() as first, start_auth() as second:
        tokens = await first.user("ada")
        created = await first.create_key(tokens.access_token)
        # Both replicas have now resolved (and cached) the key.
        assert await me_with_key(first, created.key) is grpc.StatusCode.OK
        assert await me_with_key(second, created.key) is grpc.StatusCode.OK

        await first.stub.RevokeMyApiKey(
            auth_pb2.RevokeApiKeyRequest(id=created.api_key.id),
            metadata=bearer(tokens.access_token),
        )
        assert await me_with_key(first, created.key) is grpc.StatusCode.UNAUTHENTICATED
        # The other replica hears of it through Redis within milliseconds.
        for _ in range(50):
            if await me_with_key(second, created.key) is grpc.StatusCode.UNAUTHENTICATED:
                break
            await asyncio.sleep(0.02)
        assert await me_with_key(second, created.key) is grpc.StatusCode.UNAUTHENTICATED


async def revoke_behind_the_services_back(database_url: str, key_id: str) -> None:
    """A change no replica is told about: only the TTL bounds how long it goes unseen."""
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute(
            "UPDATE auth.api_keys SET revoked_at = now() WHERE id = $1::uuid", key_id
        )
    finally:
        await conn.close()


async def test_the_ttl_bounds_a_missed_change(start_auth: ServerFactory, database_url: str) -> None:
    async with start_auth(api_key_cache_seconds=0.5) as auth:
        tokens = await auth.user("cleo")
        created = await auth.create_key(tokens.access_token)
        assert await me_with_key(auth, created.key) is grpc.StatusCode.OK
        await revoke_behind_the_services_back(database_url, created.api_key.id)
        assert await me_with_key(auth, created.key) is grpc.StatusCode.OK  # still cached
        await asyncio.sleep(0.6)
        assert await me_with_key(auth, created.key) is grpc.StatusCode.UNAUTHENTICATED


async def test_a_zero_ttl_disables_the_cache(start_auth: ServerFactory, database_url: str) -> None:
    async with start_auth(api_key_cache_seconds=0) as auth:
        tokens = await auth.user("dora")
        created = await auth.create_key(tokens.access_token)
        assert await me_with_key(auth, created.key) is grpc.StatusCode.OK
        await revoke_behind_the_services_back(database_url, created.api_key.id)
        assert await me_with_key(auth, created.key) is grpc.StatusCode.UNAUTHENTICATED
