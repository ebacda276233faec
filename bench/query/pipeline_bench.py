"""The query pipeline's own overhead, and the cache-hit path, over gRPC.

Everything is real and on this machine — PostgreSQL+pgvector, Redis, the demo
world's Prometheus, the catalog service (with its embedder) and the query
service — except Claude, which is the loopback fake answering instantly.

Measured per request, from the service's own `timings_ms` and at the client:

- overhead = total - execution (Prometheus's time); with Claude, the fake's
  instant answer leaves only our side of the call (SDK, HTTP, prompt building);
- misses ask the dev set's questions, each once (`no_cache`), so no embedding,
  search or answer is reused from an earlier question: once with the catalog's
  embedding cache as deployed (the vocabulary's recurring search words may hit
  it, a question's own texts never do), once with no embedding cache at all
  (every text embedded that the catalog has not searched before at its current
  version: a recurring text's candidates are kept, not its vector); each engine
  and each case gets a fresh catalog;
- cache hit = the seed questions again and again: the whole RPC as the client
  sees it, and the server's total;
- once both services serve, the heap built so far is frozen out of the cyclic
  collector's work, as each service's `run_service` does (`freeze_startup_heap`);
- the fake Claude runs in a process of its own (`fake_claude_process`), so its
  work, which stands for the model's, holds neither the services' GIL nor their
  timings; `--fake-in-process` puts it back in the benchmark's process (a thread,
  as until session 5), the yardstick of the earlier tables.

Loops are bounded (warm-up on other questions, then one request at a time:
latency, not throughput). Results go to bench/results/query.json and a table
on stdout.

    .venv/bin/python bench/query/pipeline_bench.py [--requests 200] [--fp32]
        [--engines planner,claude] [--fake-in-process] [--embedding-runs N]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import grpc

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.latency import Row, print_table, row  # noqa: E402
from bench.query.fake_claude_process import fake_claude_process  # noqa: E402
from bench.query.questions import (  # noqa: E402
    QUESTIONS,
    distinct_questions,
    warmup_questions,
)
from obsai.v1 import catalog_pb2_grpc, query_pb2, query_pb2_grpc  # noqa: E402
from obsai_catalog.app import build_app as build_catalog  # noqa: E402
from obsai_catalog.embedding import CachedEmbedder, OnnxSentenceEmbedder  # noqa: E402
from obsai_catalog.settings import CatalogSettings  # noqa: E402
from obsai_common.identity import IDENTITY_METADATA, Identity, InternalTokenSigner  # noqa: E402
from obsai_common.server import freeze_startup_heap, running  # noqa: E402
from obsai_devstack.demo_world import DemoWorld  # noqa: E402
from obsai_devstack.postgres import EmbeddedPostgres  # noqa: E402
from obsai_devstack.redis import RedisServer  # noqa: E402
from obsai_query.app import build_app as build_query  # noqa: E402
from obsai_query.settings import QuerySettings  # noqa: E402
from tests.integration.query.catalog_fill import discovered_metrics, fill_catalog  # noqa: E402
from tests.support.fake_claude import FakeClaude, Reply  # noqa: E402

SECRET = "bench-internal-secret-0123456789-abcdef"
CLAUDE_ANSWER = 'sum by (service) (rate(container_cpu_usage_seconds_total{service="auth"}[5m]))'
CLAUDE_TOOL_INPUT = {
    "promql": CLAUDE_ANSWER,
    "explanation": "bench",
    "confidence": 0.9,
    "unit": "cores",
}
ENGINES = ("planner", "claude")


def sign(identity: Identity) -> tuple[tuple[str, str], ...]:
    return ((IDENTITY_METADATA, InternalTokenSigner(SECRET).sign(identity)),)


USER = sign(Identity("bench-user", "bench", ("user",)))


async def run_cases(
    query_address: str, requests: int, engine: str, case: str, hits: bool
) -> list[Row]:
    rows: list[Row] = []
    async with grpc.aio.insecure_channel(query_address) as channel:
        stub = query_pb2_grpc.QueryServiceStub(channel)

        async def ask(question: str, no_cache: bool = True) -> tuple[Any, float]:
            started = time.perf_counter()
            answer = await stub.Query(
                query_pb2.QueryRequest(query=question, no_cache=no_cache), metadata=USER
            )
            return answer, (time.perf_counter() - started) * 1000

        for question in warmup_questions()[:20]:
            with contextlib.suppress(grpc.aio.AioRpcError):
                await ask(question)
        misses, refused = [], 0
        for question in distinct_questions()[:requests]:
            try:
                misses.append(await ask(question))
            except grpc.aio.AioRpcError:
                refused += 1  # no answer, so no timings: left out, counted
        overhead = [a.timings_ms.total - a.timings_ms.execution for a, _ in misses]
        rows.append(row(f"{engine}: miss, {case}, overhead (total - Prometheus)", overhead))
        for stage in ("grounding", "generation", "validation", "execution"):
            rows.append(
                row(
                    f"{engine}: miss, {case}, {stage}",
                    [getattr(a.timings_ms, stage) for a, _ in misses],
                )
            )
        rows.append(row(f"{engine}: miss, {case}, client round trip", [ms for _, ms in misses]))
        print(f"{engine}, {case}: {len(misses)} answered, {refused} refused", file=sys.stderr)
        if not hits:
            return rows
        for question in QUESTIONS:
            await ask(question, no_cache=False)
        answers = [await ask(QUESTIONS[n % len(QUESTIONS)], False) for n in range(requests)]
        assert all(a.cached for a, _ in answers), "expected cache hits"
        rows.append(row(f"{engine}: cache hit, client round trip", [ms for _, ms in answers]))
        rows.append(
            row(f"{engine}: cache hit, server total", [a.timings_ms.total for a, _ in answers])
        )
    return rows


@contextlib.contextmanager
def fake_claude(in_process: bool) -> Iterator[str]:
    """The fake's base URL: in a child process, or (`in_process`) a thread of this one."""
    if not in_process:
        with fake_claude_process(CLAUDE_TOOL_INPUT) as url:
            yield url
        return
    with FakeClaude() as claude:
        claude.responder = lambda body: Reply(tool_input=CLAUDE_TOOL_INPUT)
        yield claude.url


async def main(
    requests: int,
    int8_compute: bool = True,
    engines: Sequence[str] = ENGINES,
    fake_in_process: bool = False,
    embedding_runs: int | None = None,
) -> list[Row]:
    with tempfile.TemporaryDirectory(prefix="obsai-query-bench-") as tmp:
        postgres = EmbeddedPostgres(Path(tmp) / "pg", durable=False)
        postgres.start()
        redis = RedisServer(Path(tmp) / "redis").start()
        try:
            with DemoWorld() as world, fake_claude(fake_in_process) as claude_url:
                common: dict[str, Any] = {
                    "database_url": postgres.url,
                    "redis_url": redis.url,
                    "obsai_internal_secret": SECRET,
                    "grpc_port": 0,
                    "shutdown_grace_seconds": 0.5,
                    "log_level": "WARNING",
                }
                catalog_settings = CatalogSettings(**common)
                model = OnnxSentenceEmbedder(
                    int8_compute=int8_compute,
                    runs=embedding_runs or catalog_settings.embedding_runs,
                )
                async with (
                    build_catalog(catalog_settings, model) as catalog_app,
                    running(catalog_settings, catalog_app) as catalog_server,
                    grpc.aio.insecure_channel(f"127.0.0.1:{catalog_server.port}") as channel,
                ):
                    await fill_catalog(
                        catalog_pb2_grpc.CatalogServiceStub(channel),
                        discovered_metrics(world.prometheus_url),
                        sign,
                    )
                rows: list[Row] = []
                chosen = [
                    (name, extra)
                    for key, name, extra in (
                        ("planner", "planner", {}),
                        (
                            "claude",
                            "claude (fake, instant)",
                            {"anthropic_api_key": "bench", "anthropic_base_url": claude_url},
                        ),
                    )
                    if key in engines
                ]
                for engine, extra in chosen:
                    for case, embedder, hits in (
                        ("distinct", CachedEmbedder(model), True),
                        ("distinct, no embedding cache", model, False),
                    ):
                        async with (
                            build_catalog(catalog_settings, embedder) as catalog_app,
                            running(catalog_settings, catalog_app) as catalog_server,
                        ):
                            settings = QuerySettings(
                                **common,
                                prometheus_url=world.prometheus_url,
                                catalog_addr=f"127.0.0.1:{catalog_server.port}",
                                auth_addr="127.0.0.1:1",
                                discovery_addr="127.0.0.1:1",
                                **extra,
                            )
                            async with (
                                build_query(settings) as query_app,
                                running(settings, query_app) as query_server,
                            ):
                                # As each service does once it serves (`run_service`).
                                freeze_startup_heap()
                                rows += await run_cases(
                                    f"127.0.0.1:{query_server.port}", requests, engine, case, hits
                                )
                return rows
        finally:
            redis.stop()
            postgres.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument(
        "--fp32",
        action="store_true",
        help="the catalog's model as shipped (fp32 products; before session 6 the default)",
    )
    parser.add_argument(
        "--engines", default=",".join(ENGINES), help="which engines, comma-separated"
    )
    parser.add_argument(
        "--fake-in-process",
        action="store_true",
        help="the fake Claude as a thread of this process (the yardstick until session 5)",
    )
    parser.add_argument(
        "--embedding-runs",
        type=int,
        help="the catalog's model runs at once per search (default: EMBEDDING_RUNS's)",
    )
    args = parser.parse_args()
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    unknown = set(engines) - set(ENGINES)
    if unknown:
        parser.error(f"unknown engines: {sorted(unknown)}")
    results = asyncio.run(
        main(
            min(args.requests, 5000),
            not args.fp32,
            engines,
            args.fake_in_process,
            args.embedding_runs,
        )
    )
    print_table(results)
    out = ROOT / "bench" / "results" / "query.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps([asdict(r) for r in results], indent=2) + "\n")
    print(f"\nwritten to {out.relative_to(ROOT)}")
