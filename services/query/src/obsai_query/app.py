"""Wires the query service: its resources, domain objects and servicers."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from importlib.metadata import version

import anthropic
import httpx

from obsai.v1 import query_pb2_grpc, system_pb2_grpc
from obsai_common import db
from obsai_common.clients import ServiceTokenCache, internal_channel
from obsai_common.identity import InternalTokenSigner
from obsai_common.redis_client import create_redis
from obsai_common.remote_auth import RemoteAuthenticator
from obsai_common.server import ServiceApp, Servicer
from obsai_query.cache import AnswerCache
from obsai_query.catalog_client import CatalogClient, GrpcCatalogClient
from obsai_query.claude_health import ClaudeHealth
from obsai_query.engines import Engine, FallbackEngine
from obsai_query.engines.circuit import CircuitBreaker
from obsai_query.engines.claude import ClaudeEngine
from obsai_query.executor import Executor
from obsai_query.feedback import FeedbackService
from obsai_query.grounding import Grounder
from obsai_query.grpc_api import QueryApi
from obsai_query.history import HistoryWriter
from obsai_query.pipeline import PipelineLimits, QueryPipeline
from obsai_query.planner import Planner, search_expansions
from obsai_query.prometheus import PrometheusClient
from obsai_query.settings import QuerySettings
from obsai_query.system_api import SystemApi, grpc_health_check
from obsai_query.validator import Guardrails, PromqlValidator, ValidationReport

SCHEMA = "query"


def _claude_client(settings: QuerySettings) -> anthropic.AsyncAnthropic | None:
    if settings.anthropic_api_key is None:
        return None
    return anthropic.AsyncAnthropic(
        api_key=settings.anthropic_api_key.get_secret_value(),
        base_url=settings.anthropic_base_url,
        timeout=settings.claude_timeout_seconds,
        max_retries=0,  # our engine owns retries, backoff and the circuit breaker
    )


def build_engine(settings: QuerySettings, claude: anthropic.AsyncAnthropic | None) -> Engine:
    """Claude with the planner as its fallback when a key is set; the planner otherwise."""
    planner = Planner()
    if claude is None:
        return planner
    engine = ClaudeEngine(
        claude,
        model=settings.claude_model,
        max_tokens=settings.claude_max_tokens,
        timeout=settings.claude_timeout_seconds,
        max_attempts=settings.claude_max_attempts,
        backoff_base=settings.claude_backoff_base_seconds,
        backoff_max=settings.claude_backoff_max_seconds,
        circuit=CircuitBreaker(
            settings.claude_circuit_failures, settings.claude_circuit_open_seconds
        ),
        input_cost_per_mtok=settings.claude_input_cost_per_mtok,
        output_cost_per_mtok=settings.claude_output_cost_per_mtok,
    )
    return FallbackEngine(engine, planner)


def build_pipeline(
    settings: QuerySettings,
    *,
    catalog: CatalogClient,
    engine: Engine,
    prometheus: PrometheusClient,
    cache: AnswerCache,
    history: HistoryWriter | None,
) -> QueryPipeline:
    mode = f"claude:{settings.claude_model}" if isinstance(engine, FallbackEngine) else "planner"
    return QueryPipeline(
        catalog=catalog,
        grounder=Grounder(
            catalog,
            metrics=settings.grounding_metrics,
            examples=settings.grounding_examples,
            example_min_similarity=settings.grounding_example_min_similarity,
            default_rate_window=settings.default_rate_window,
            scrape_interval_seconds=settings.scrape_interval_seconds,
            expand=search_expansions,
        ),
        engine=engine,
        validator=PromqlValidator(Guardrails.from_settings(settings)),
        executor=Executor(
            prometheus,
            timeout=settings.prometheus_timeout_seconds,
            max_series=settings.max_result_series,
        ),
        cache=cache,
        history=history,
        limits=PipelineLimits(
            max_question_length=settings.query_max_length,
            max_points_per_series=settings.max_points_per_series,
            max_range_seconds=settings.max_lookback_seconds,
            catalog_version_ttl_seconds=settings.catalog_version_ttl_seconds,
            default_tenant=settings.prometheus_tenant,
            engine_mode=mode,
        ),
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
        history = HistoryWriter(
            pool,
            queue_size=settings.history_queue_size,
            batch_size=settings.history_batch_size,
            retry_max_seconds=settings.history_retry_max_seconds,
        )
        history.start()
        stack.push_async_callback(history.close, settings.history_flush_seconds)
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
        catalog = GrpcCatalogClient(channels["catalog"], settings.catalog_timeout_seconds)
        pipeline = build_pipeline(
            settings,
            catalog=catalog,
            engine=build_engine(settings, claude),
            prometheus=prometheus,
            cache=AnswerCache(redis, settings.cache_ttl_seconds),
            history=history,
        )
        feedback = FeedbackService(
            pool,
            history,
            catalog,
            lambda promql: _validate_one(pipeline, promql),
        )
        yield ServiceApp(
            servicers=[
                Servicer(
                    "obsai.v1.SystemService",
                    system,
                    system_pb2_grpc.add_SystemServiceServicer_to_server,
                ),
                Servicer(
                    "obsai.v1.QueryService",
                    QueryApi(pipeline, history, feedback),
                    query_pb2_grpc.add_QueryServiceServicer_to_server,
                ),
            ],
            authenticator=RemoteAuthenticator(channels["auth"], signer),
        )


async def _validate_one(pipeline: QueryPipeline, promql: str) -> ValidationReport:
    reports, _lookup = await pipeline.validate([promql], {}, 0.0)
    return reports[0]
