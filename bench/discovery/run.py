"""Discovery benchmark: a synthetic Prometheus of 5,000 metric names and 200,000 series.

    .venv/bin/python bench/discovery/run.py [--names 5000] [--series 200000] [--catalog]

1. Generates a text exposition (HELP/TYPE for every family: counters, gauges,
   histograms) and serves it from memory on 127.0.0.1; starts a real Prometheus
   (`prometheus` on PATH) on a free loopback port that scrapes it once a minute,
   and waits until all series are in its head.
2. Runs, each in a fresh child process so its peak RSS is its own:
   - `ours`: obsai_discovery's Scanner (metadata + names + batched
     /api/v1/series), results discarded by a null catalog sink;
   - `original`: the seed's crawl: /api/v1/labels, /api/v1/label/__name__/values,
     then per metric /api/v1/series?match[]=<metric> and per label of it
     /api/v1/label/<label>/values?match[]=<metric> (4 in flight).
   Each reports wall time, HTTP requests and peak RSS (VmHWM).
3. Measures the catalog's embedding throughput on the synthetic metrics'
   descriptions. With --catalog, also runs a full discovery cycle into a real
   catalog (embedded PostgreSQL + pgvector): first scan (embeds everything) and
   a second (changes nothing).

Loopback only; every loop is bounded by the generated data; everything started
is stopped. Results are printed and written to bench/results/discovery.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
SERVICES = [f"svc-{i:02d}" for i in range(50)]
BUCKETS = ("0.005", "0.01", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "+Inf")


# -- the synthetic estate -------------------------------------------------------------


def exposition(names: int, series: int) -> tuple[bytes, int, int, list[dict[str, Any]]]:
    """Text format 0.0.4 with `names` sample names and about `series` series.

    Returns the body, the sample names and series it holds, and a description of
    each name (for the embedding benchmark).
    """
    histograms = names // 10  # each gives 3 names: _bucket, _sum, _count
    counters = (names - 3 * histograms) * 4 // 7
    gauges = names - 3 * histograms - counters
    # Series per family so the total is about `series`: buckets dominate histograms.
    per_histogram_combo = len(BUCKETS) + 2
    combos = max(1, series * 3 // 10 // (histograms * per_histogram_combo))
    per_counter = max(1, series * 4 // 10 // counters)
    per_gauge = max(1, (series - histograms * combos * per_histogram_combo
                        - counters * per_counter) // gauges)  # fmt: skip
    lines: list[str] = []
    catalog: list[dict[str, Any]] = []
    total = 0

    def labels(family: int, j: int) -> str:
        service = SERVICES[(family * 7 + j) % len(SERVICES)]
        namespace = ("production", "staging")[j % 2]
        return (
            f'service="{service}",namespace="{namespace}",pod="{service}-{j % 5}",'
            f'code="{(200, 404, 500)[j % 3]}",shard="{j}"'
        )

    for i in range(counters):
        name = f"app_{SERVICES[i % 50].replace('-', '_')}_operations_{i}_total"
        lines += [f"# HELP {name} Operations of kind {i} handled.", f"# TYPE {name} counter"]
        lines += [f"{name}{{{labels(i, j)}}} {j * 3}" for j in range(per_counter)]
        total += per_counter
        catalog.append({"name": name, "type": "counter", "help": f"Operations of kind {i}."})
    for i in range(gauges):
        name = f"app_resource_{i}_bytes"
        lines += [f"# HELP {name} Resource {i} in use.", f"# TYPE {name} gauge"]
        lines += [f"{name}{{{labels(i, j)}}} {j}" for j in range(per_gauge)]
        total += per_gauge
        catalog.append({"name": name, "type": "gauge", "help": f"Resource {i} in use."})
    for i in range(histograms):
        family = f"app_step_{i}_duration_seconds"
        lines += [f"# HELP {family} Time of step {i}.", f"# TYPE {family} histogram"]
        for j in range(combos):
            base = labels(i, j)
            lines += [f'{family}_bucket{{{base},le="{le}"}} {k}' for k, le in enumerate(BUCKETS)]
            lines += [f"{family}_sum{{{base}}} 1.5", f"{family}_count{{{base}}} {len(BUCKETS)}"]
            total += per_histogram_combo
        for suffix in ("_bucket", "_sum", "_count"):
            catalog.append({"name": family + suffix, "type": "histogram",
                            "help": f"Time of step {i}.", "family": family})  # fmt: skip
    body = ("\n".join(lines) + "\n").encode()
    return body, counters + gauges + 3 * histograms, total, catalog


class Exposition:
    """Serves one pre-rendered body at /metrics, from memory."""

    def __init__(self, body: bytes) -> None:
        outer = self
        self.body = body

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                """Quiet."""

            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.send_header("Content-Length", str(len(outer.body)))
                self.end_headers()
                self.wfile.write(outer.body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def start_prometheus(run: Path, exporter_port: int) -> tuple[subprocess.Popen[bytes], str]:
    from obsai_devstack.processes import free_port

    port = free_port()
    config = run / "prometheus.yml"
    config.write_text(
        "global: {scrape_interval: 60s, scrape_timeout: 55s}\n"
        "scrape_configs:\n"
        "  - job_name: synthetic\n"
        f"    static_configs: [{{targets: ['127.0.0.1:{exporter_port}']}}]\n"
    )
    log = (run / "prometheus.log").open("wb")
    process = subprocess.Popen(
        [
            shutil.which("prometheus") or "prometheus",
            f"--config.file={config}",
            f"--storage.tsdb.path={run / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    return process, f"http://127.0.0.1:{port}"


def wait_for_series(url: str, expected: int, timeout: float = 180.0) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        try:
            reply = httpx.get(
                f"{url}/api/v1/query",
                params={"query": 'scrape_samples_scraped{job="synthetic"}'},
                timeout=5,
            ).json()
            result = reply.get("data", {}).get("result", [])
            if result and float(result[0]["value"][1]) >= expected:
                return time.monotonic() - started
        except (httpx.HTTPError, ValueError):
            pass
        time.sleep(0.5)
    raise TimeoutError(f"Prometheus did not ingest {expected} series in {timeout}s")


# -- the two scans, each in a child process ---------------------------------------------


def peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class NullSink:
    async def apply(self, source: str, scan_id: str, services: Any, metrics: Any) -> None:
        return None

    async def complete(self, source: str, scan_id: str, grace_seconds: int) -> int:
        return 0


async def scan_ours(url: str) -> dict[str, Any]:
    from obsai_discovery.prometheus import PrometheusAPI
    from obsai_discovery.scan import Scanner, ScanOptions
    from obsai_discovery.settings import SourceConfig

    api = PrometheusAPI(SourceConfig(url=url, timeout_seconds=120))
    try:
        started = time.perf_counter()
        report = await Scanner(ScanOptions()).scan(api, "bench", NullSink())
        wall = time.perf_counter() - started
    finally:
        await api.close()
    if not report.success:
        raise RuntimeError(f"scan failed: {report.errors}")
    return {
        "wall_seconds": wall,
        "http_requests": report.http_requests,
        "metrics": report.metrics,
        "series": report.series,
        "services": report.services,
    }


async def scan_original(url: str, concurrency: int = 4) -> dict[str, Any]:
    """The seed's crawl: a series request per metric, a values request per metric and label."""
    requests = 0
    series_total = 0
    found: dict[str, dict[str, list[str]]] = {}
    async with httpx.AsyncClient(base_url=url, timeout=120) as client:

        async def get(path: str, params: dict[str, str] | None = None) -> Any:
            nonlocal requests
            requests += 1
            response = await client.get(path, params=params)
            response.raise_for_status()
            return response.json()["data"]

        started = time.perf_counter()
        await get("/api/v1/labels")
        names: list[str] = await get("/api/v1/label/__name__/values")
        queue: asyncio.Queue[str] = asyncio.Queue()
        for name in names:
            queue.put_nowait(name)

        async def worker() -> None:
            nonlocal series_total
            while not queue.empty():
                name = queue.get_nowait()
                selector = f'{{__name__="{name}"}}'
                series = await get("/api/v1/series", {"match[]": selector})
                series_total += len(series)
                label_names = sorted({k for s in series for k in s if k != "__name__"})
                del series
                found[name] = {}
                for label in label_names:
                    values = await get(f"/api/v1/label/{label}/values", {"match[]": selector})
                    found[name][label] = values[:50]

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        wall = time.perf_counter() - started
    return {
        "wall_seconds": wall,
        "http_requests": requests,
        "metrics": len(found),
        "series": series_total,
    }


def child(mode: str, url: str) -> None:
    result = asyncio.run(scan_ours(url) if mode == "ours" else scan_original(url))
    result["peak_rss_mb"] = peak_rss_mb()
    print(json.dumps(result), flush=True)


def run_child(mode: str, url: str) -> dict[str, Any]:
    started = time.perf_counter()
    out = subprocess.run(
        [sys.executable, __file__, "--child", mode, "--url", url],
        check=True,
        capture_output=True,
        text=True,
        timeout=900,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    result["process_seconds"] = time.perf_counter() - started
    return result


# -- embedding throughput and the full cycle ----------------------------------------------


def embedding_throughput(catalog: list[dict[str, Any]]) -> dict[str, Any]:
    from obsai_catalog.describe import describe
    from obsai_catalog.embedding import OnnxSentenceEmbedder
    from obsai_catalog.records import DiscoveredMetric, LabelSample, MetricType, TypeSource

    texts = [
        describe(
            DiscoveredMetric(
                name=m["name"],
                family=m.get("family", m["name"]),
                type=MetricType(m["type"]),
                type_source=TypeSource.METADATA,
                help=m["help"],
                labels=tuple(LabelSample(n) for n in ("service", "namespace", "pod", "code")),
            )
        )
        for m in catalog
    ]
    model = OnnxSentenceEmbedder()
    model.embed(texts[:32])  # warm up
    started = time.perf_counter()
    model.embed(texts)
    seconds = time.perf_counter() - started
    return {
        "texts": len(texts),
        "seconds": seconds,
        "texts_per_second": len(texts) / seconds,
        "mean_chars": sum(map(len, texts)) / len(texts),
    }


async def full_cycle(url: str, run: Path) -> dict[str, Any]:
    """Discovery into a real catalog: the first scan embeds everything, the second nothing."""
    import asyncpg

    from obsai_catalog.app import build_app as catalog_app
    from obsai_catalog.settings import CatalogSettings
    from obsai_common.clients import ServiceTokenCache, internal_channel
    from obsai_common.identity import InternalTokenSigner
    from obsai_common.server import running
    from obsai_devstack.postgres import EmbeddedPostgres
    from obsai_discovery.catalog_client import GrpcCatalogSink
    from obsai_discovery.prometheus import PrometheusAPI
    from obsai_discovery.scan import Scanner, ScanOptions
    from obsai_discovery.settings import SourceConfig

    secret = "bench-internal-secret-0123456789"
    postgres = EmbeddedPostgres(run / "pg", durable=False)
    postgres.start()
    try:
        settings = CatalogSettings(
            database_url=postgres.url,  # type: ignore[arg-type]
            grpc_port=0,
            obsai_internal_secret=secret,  # type: ignore[arg-type]
        )
        async with catalog_app(settings) as app, running(settings, app) as server:
            tokens = ServiceTokenCache(InternalTokenSigner(secret), "discovery", 120)
            channel = internal_channel(f"127.0.0.1:{server.port}", tokens)
            api = PrometheusAPI(SourceConfig(url=url, timeout_seconds=120))
            try:
                results = {}
                for label in ("first_scan", "second_scan"):
                    started = time.perf_counter()
                    report = await Scanner(ScanOptions()).scan(
                        api, "bench", GrpcCatalogSink(channel)
                    )
                    results[label] = {
                        "wall_seconds": time.perf_counter() - started,
                        "success": report.success,
                        "errors": report.errors,
                        "metrics": report.metrics,
                    }
                results["search"] = await search_latency(channel)
            finally:
                await api.close()
                await channel.close()
        conn = await asyncpg.connect(postgres.url)
        try:
            results["catalog_rows"] = await conn.fetchval("SELECT count(*) FROM catalog.metrics")
        finally:
            await conn.close()
        return results
    finally:
        postgres.stop()


async def search_latency(channel: Any) -> dict[str, Any]:
    """SearchMetrics (k=10) over the synthetic catalog, one question at a time."""
    from obsai.v1 import catalog_pb2, catalog_pb2_grpc

    stub = catalog_pb2_grpc.CatalogServiceStub(channel)
    questions = [
        f"{what} of {service}"
        for what in ("p95 duration of step 12", "operations per second", "resource 40 in use")
        for service in ("svc-03", "svc-17", "svc-42")
    ]
    seconds = []
    for question in questions * 3:
        started = time.perf_counter()
        await stub.SearchMetrics(catalog_pb2.SearchMetricsRequest(text=question, k=10))
        seconds.append(time.perf_counter() - started)
    seconds.sort()
    return {
        "searches": len(seconds),
        "p50_ms": seconds[len(seconds) // 2] * 1e3,
        "p95_ms": seconds[int(len(seconds) * 0.95) - 1] * 1e3,
    }


# -- main -------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--names", type=int, default=5000)
    parser.add_argument("--series", type=int, default=200_000)
    parser.add_argument("--catalog", action="store_true", help="also a full cycle into a catalog")
    parser.add_argument("--skip-original", action="store_true")
    parser.add_argument("--child", choices=["ours", "original"])
    parser.add_argument("--url")
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.url)
        return 0

    body, names, series, catalog = exposition(args.names, args.series)
    print(f"synthetic estate: {names} names, {series} series, {len(body) / 1e6:.1f} MB exposition")
    exporter = Exposition(body)
    with tempfile.TemporaryDirectory(prefix="obsai-bench-discovery-") as tmp:
        run = Path(tmp)
        prometheus, url = start_prometheus(run, exporter.port)
        try:
            ingest = wait_for_series(url, series)
            print(f"prometheus ingested it in {ingest:.1f}s at {url}")
            results: dict[str, Any] = {"names": names, "series": series}
            results["ours"] = ours = run_child("ours", url)
            print(f"ours:     {json.dumps(ours)}")
            if not args.skip_original:
                results["original"] = original = run_child("original", url)
                print(f"original: {json.dumps(original)}")
                results["request_ratio"] = original["http_requests"] / ours["http_requests"]
                results["speedup"] = original["wall_seconds"] / ours["wall_seconds"]
                print(
                    f"ours makes {results['request_ratio']:.0f}x fewer requests and is"
                    f" {results['speedup']:.1f}x faster"
                )
            results["embedding"] = embedding_throughput(catalog)
            print(f"embedding: {json.dumps(results['embedding'])}")
            if args.catalog:
                results["full_cycle"] = asyncio.run(full_cycle(url, run))
                print(f"full cycle: {json.dumps(results['full_cycle'])}")
        finally:
            prometheus.terminate()
            prometheus.wait(30)
            exporter.stop()
    out = ROOT / "bench" / "results" / "discovery.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(f"written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
