"""Wires the query service: its resources, domain objects and servicers."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from importlib.metadata import version

import anthropic
import httpx

from obsai.v1 import system_pb2_grpc
from obsai_common import db
from obsai_common.clients import ServiceTokenCache, internal_channel
from obsai_common.identity import InternalTokenSigner
from obsai_common.redis_client import create_redis
from obsai_common.remote_auth import RemoteAuthenticator
from obsai_common.server import ServiceApp, Servicer
from obsai_query.claude_health import ClaudeHealth
from obsai_query.prometheus import PrometheusClient
from obsai_query.settings import QuerySettings
from obsai_query.system_api import SystemApi, grpc_health_check

SCHEMA = "query"


def _claude_client(settings: QuerySettings) -> anthropic.AsyncAnthropic | None:
    if settings.anthropic_api_key is None:
        return None
    return anthropic.AsyncAnthropic(
        api_key=settings.anthropic_api_key.get_secret_value(),
        base_url=settings.anthropic_base_url,
        timeout=30.0,
        max_retries=0,  # our engine owns retries, backoff and the circuit breaker
    )


@contextlib.asynccontextmanager
async def build_app(settings: QuerySettings) -> AsyncIterator[ServiceApp]:
    signer = InternalTokenSigner(
        settings.obsai_internal_secret.get_secret_value(), settings.internal_token_ttl_seconds
    )
    tokens = ServiceTokenCache(signer, settings.service_name, settings.internal_token_ttl_seconds)
    async with contextlib.AsyncExitStack() as stack:
        pool = await db.create_pool(
            settings.database_url.get_secret_value(),
            SCHEMA,
            min_size=settings.db_pool_min,
            max_size=settings.db_pool_max,
        )
        stack.push_async_callback(pool.close)
        await db.apply_migrations(pool, SCHEMA, "obsai_query.migrations")
        redis = create_redis(settings.redis_url.get_secret_value())
        stack.push_async_callback(redis.aclose)
        http = httpx.AsyncClient(timeout=settings.prometheus_timeout_seconds)
        stack.push_async_callback(http.aclose)
        prometheus = PrometheusClient(http, settings.prometheus_url, settings.prometheus_tenant)
        claude = _claude_client(settings)
        if claude is not None:
            stack.push_async_callback(claude.close)
        channels = {
            name: internal_channel(address, tokens)
            for name, address in (
                ("auth", settings.auth_addr),
                ("catalog", settings.catalog_addr),
                ("discovery", settings.discovery_addr),
            )
        }
        for channel in channels.values():
            stack.push_async_callback(channel.close, None)

        async def redis_ping() -> None:
            await redis.ping()

        system = SystemApi(
            components={
                "database": lambda: db.ping(pool),
                "redis": redis_ping,
                "claude_api": ClaudeHealth(claude).check,
                "prometheus": prometheus.ping,
            },
            services={name: grpc_health_check(ch) for name, ch in channels.items()},
            timeout=settings.health_check_timeout_seconds,
            version=version("obsai-query"),
        )
        yield ServiceApp(
            servicers=[
                Servicer(
                    "obsai.v1.SystemService",
                    system,
                    system_pb2_grpc.add_SystemServiceServicer_to_server,
                ),
            ],
            authenticator=RemoteAuthenticator(channels["auth"], signer),
        )
