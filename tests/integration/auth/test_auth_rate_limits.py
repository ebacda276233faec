"""Rate limits: a sliding window per identity, shared by every path into auth."""

from __future__ import annotations

import time

import grpc
import pytest
from auth_harness import Harness, ServerFactory, bearer
from google.rpc import error_details_pb2, status_pb2
from redis.asyncio import Redis

from obsai.v1 import auth_pb2
from obsai_auth.rate_limit import PreconditionFailed, RedisRateLimiter
from obsai_auth.tokens import RedisSessionStore
from obsai_common.clients import ServiceTokenCache, internal_channel
from obsai_common.errors import RateLimited
from obsai_common.remote_auth import RemoteAuthenticator

ME = auth_pb2.GetMeRequest()
GET_ME = "/obsai.v1.AuthService/GetMe"


async def rate_headers(call: grpc.aio.UnaryUnaryCall) -> dict[str, int]:  # type: ignore[type-arg]
    await call
    metadata = await call.initial_metadata()
    return {k: int(v) for k, v in metadata if k.startswith("x-ratelimit-")}  # type: ignore[arg-type]


async def rejected(call: grpc.aio.UnaryUnaryCall) -> dict[str, str]:  # type: ignore[type-arg]
    """The ErrorInfo metadata of a RESOURCE_EXHAUSTED call."""
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await call
    assert info.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    details = dict(info.value.trailing_metadata() or ())["grpc-status-details-bin"]
    status = status_pb2.Status.FromString(details)  # type: ignore[arg-type]
    error_info = error_details_pb2.ErrorInfo()
    status.details[0].Unpack(error_info)
    assert error_info.reason == "RATE_LIMITED"
    return dict(error_info.metadata)


async def test_remaining_decrements_then_resource_exhausted(start_auth: ServerFactory) -> None:
    async with start_auth(rate_limit_user=3) as auth:
        ada = await auth.user("ada")
        seen = [
            await rate_headers(auth.stub.GetMe(ME, metadata=bearer(ada.access_token)))
            for _ in range(3)
        ]
        assert [h["x-ratelimit-remaining"] for h in seen] == [2, 1, 0]
        assert all(h["x-ratelimit-limit"] == 3 for h in seen)
        assert seen[0]["x-ratelimit-reset"] == pytest.approx(time.time() + 3600, abs=5)
        info = await rejected(auth.stub.GetMe(ME, metadata=bearer(ada.access_token)))
        assert 3590 <= int(info["retry_after_seconds"]) <= 3600
        assert info["http_status"] == "429"
        assert info["remaining"] == "0"


async def test_identities_do_not_share_a_bucket(start_auth: ServerFactory) -> None:
    async with start_auth(rate_limit_user=2) as auth:
        ada = await auth.user("ada")
        bob = await auth.user("bob")
        key = await auth.create_key(ada.access_token, rate_limit=5)  # counts against ada: 1
        await auth.stub.GetMe(ME, metadata=bearer(ada.access_token))  # 2
        await rejected(auth.stub.GetMe(ME, metadata=bearer(ada.access_token)))
        # Bob, and Ada's key, each have their own window.
        bob_headers = await rate_headers(auth.stub.GetMe(ME, metadata=bearer(bob.access_token)))
        assert bob_headers["x-ratelimit-remaining"] == 1
        key_headers = await rate_headers(auth.stub.GetMe(ME, metadata=(("x-api-key", key.key),)))
        assert (key_headers["x-ratelimit-limit"], key_headers["x-ratelimit-remaining"]) == (5, 4)
        # A second session of the same user shares the user's window.
        again = await auth.login("ada")
        await rejected(auth.stub.GetMe(ME, metadata=bearer(again.access_token)))


async def test_admins_get_the_admin_limit(start_auth: ServerFactory) -> None:
    async with start_auth(rate_limit_user=3, rate_limit_admin=7) as auth:
        admin = await auth.admin()
        headers = await rate_headers(auth.stub.GetMe(ME, metadata=bearer(admin.access_token)))
        assert headers["x-ratelimit-limit"] == 7


async def test_window_slides(start_auth: ServerFactory) -> None:
    offset = [0.0]
    async with start_auth(rate_limit_user=2, clock=lambda: time.time() + offset[0]) as auth:
        ada = await auth.user("ada")
        await auth.stub.GetMe(ME, metadata=bearer(ada.access_token))
        offset[0] = 1800
        await auth.stub.GetMe(ME, metadata=bearer(ada.access_token))
        info = await rejected(auth.stub.GetMe(ME, metadata=bearer(ada.access_token)))
        assert 1790 <= int(info["retry_after_seconds"]) <= 1800
        offset[0] = 3601  # the first request has left the window; the second has not
        headers = await rate_headers(auth.stub.GetMe(ME, metadata=bearer(ada.access_token)))
        assert headers["x-ratelimit-remaining"] == 0
        await rejected(auth.stub.GetMe(ME, metadata=bearer(ada.access_token)))


async def test_check_authenticate_and_direct_grpc_share_one_window(
    start_auth: ServerFactory,
) -> None:
    async with start_auth(rate_limit_user=4) as auth:
        ada = await auth.user("ada")
        authorization = f"Bearer {ada.access_token}"
        check = await auth.check("GET", "/auth/me", {"authorization": authorization})
        assert check.headers["x-ratelimit-remaining"] == "3"

        # Another service's interceptor, through the real RemoteAuthenticator.
        channel = internal_channel(
            auth.address, ServiceTokenCache(auth.signer, "query", ttl_seconds=60)
        )
        try:
            remote = RemoteAuthenticator(channel, auth.signer)
            result = await remote.authenticate(GET_ME, authorization, "")
            assert result.identity.user_id == ada.user.id
            assert result.rate_limit is not None
            assert result.rate_limit.remaining == 2

            headers = await rate_headers(auth.stub.GetMe(ME, metadata=bearer(ada.access_token)))
            assert headers["x-ratelimit-remaining"] == 1
            await auth.stub.GetMe(ME, metadata=bearer(ada.access_token))

            denied = await auth.check("GET", "/auth/me", {"authorization": authorization})
            assert denied.status_code == 429
            with pytest.raises(RateLimited):
                await remote.authenticate(GET_ME, authorization, "")
        finally:
            await channel.close()


async def test_unlimited_rpcs_report_without_counting(start_auth: ServerFactory) -> None:
    async with start_auth(rate_limit_user=5) as auth:
        ada = await auth.user("ada")
        request = auth_pb2.AuthenticateRequest(
            method="/obsai.v1.AuthService/Logout", authorization=f"Bearer {ada.access_token}"
        )
        for _ in range(3):
            reply = await auth.stub.Authenticate(request, metadata=auth.service_metadata())
            assert (reply.rate_limit.limit, reply.rate_limit.remaining) == (5, 5)


async def test_authenticate_returns_a_verifiable_identity(auth: Harness) -> None:
    ada = await auth.user("ada")
    key = await auth.create_key(ada.access_token)
    reply = await auth.stub.Authenticate(
        auth_pb2.AuthenticateRequest(method="/obsai.v1.QueryService/Query", api_key=key.key),
        metadata=auth.service_metadata(),
    )
    identity = auth.signer.verify(reply.identity_token)
    assert identity.user_id == reply.identity.user_id == ada.user.id
    assert identity.api_key_id == reply.identity.api_key_id == key.api_key.id
    assert identity.roles == ("user",)
    assert reply.rate_limit.limit == 100
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await auth.stub.Authenticate(
            auth_pb2.AuthenticateRequest(
                method="/obsai.v1.AuthService/ListApiKeys", api_key=key.key
            ),
            metadata=auth.service_metadata(),
        )
    assert info.value.code() == grpc.StatusCode.PERMISSION_DENIED
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await auth.stub.Authenticate(
            auth_pb2.AuthenticateRequest(method="/nope.Service/Nope", api_key=key.key),
            metadata=auth.service_metadata(),
        )
    assert info.value.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_usage_counts_queries_cache_hits_and_rejections(start_auth: ServerFactory) -> None:
    async with start_auth(rate_limit_user=1) as auth:
        ada = await auth.user("ada")
        admin = await auth.admin()
        await auth.stub.RecordUsage(
            auth_pb2.RecordUsageRequest(user_id=ada.user.id, queries=3, cache_hits=1),
            metadata=auth.service_metadata(),
        )
        await auth.stub.RecordUsage(
            auth_pb2.RecordUsageRequest(user_id=ada.user.id, queries=2),
            metadata=auth.service_metadata(),
        )
        await auth.stub.GetMe(ME, metadata=bearer(ada.access_token))
        await rejected(auth.stub.GetMe(ME, metadata=bearer(ada.access_token)))
        await auth.check("GET", "/auth/me", {"authorization": f"Bearer {ada.access_token}"})

        usage = await auth.stub.GetUserUsage(
            auth_pb2.GetUserUsageRequest(id=ada.user.id), metadata=bearer(admin.access_token)
        )
        assert len(usage.days) == 30
        today = usage.days[-1]
        assert (today.queries, today.cache_hits, today.rate_limit_rejections) == (5, 1, 2)
        assert (usage.total_queries, usage.total_cache_hits) == (5, 1)
        assert usage.total_rate_limit_rejections == 2
        assert usage.last_activity_at.seconds == pytest.approx(time.time(), abs=5)
        week = await auth.stub.GetUserUsage(
            auth_pb2.GetUserUsageRequest(id=ada.user.id, days=7),
            metadata=bearer(admin.access_token),
        )
        assert len(week.days) == 7

        for request, code in [
            (auth_pb2.GetUserUsageRequest(id="00000000-0000-0000-0000-000000000000"), "NOT_FOUND"),
            (auth_pb2.GetUserUsageRequest(id="nope"), "INVALID_ARGUMENT"),
            (auth_pb2.GetUserUsageRequest(id=ada.user.id, days=1000), "INVALID_ARGUMENT"),
        ]:
            with pytest.raises(grpc.aio.AioRpcError) as info:
                await auth.stub.GetUserUsage(request, metadata=bearer(admin.access_token))
            assert info.value.code().name == code
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await auth.stub.RecordUsage(
                auth_pb2.RecordUsageRequest(user_id=ada.user.id, queries=-1),
                metadata=auth.service_metadata(),
            )
        assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_a_hit_counts_only_while_its_session_is_live(redis_url: str) -> None:
    redis = Redis.from_url(redis_url)
    try:
        limiter, sessions = RedisRateLimiter(redis), RedisSessionStore(redis)
        await sessions.create("s1", "ada", "refresh-hash", 60)
        live = sessions.liveness("s1", "ada")
        assert (await limiter.hit("user:ada", 5, 60, live)).count == 1
        with pytest.raises(PreconditionFailed):  # the session is someone else's
            await limiter.hit("user:ada", 5, 60, sessions.liveness("s1", "bob"))
        await sessions.revoke("s1")
        for count in (limiter.hit, limiter.peek):
            with pytest.raises(PreconditionFailed):
                await count("user:ada", 5, 60, live)
        assert (await limiter.peek("user:ada", 5, 60)).count == 1
    finally:
        await redis.aclose()
