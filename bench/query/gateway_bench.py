"""Questions through Envoy: the cache-hit path and a miss's own overhead.

The whole stack runs for real on this machine (Envoy, auth's Check, query,
catalog, PostgreSQL+pgvector, Redis, the demo world's Prometheus), with the
planner as engine. Requests go one at a time (latency, not throughput), in
bounded loops:

- cache hit: the same question again and again, timed at the client — the
  full REST path including authentication and the rate limit — by two clients
  in turn: httpx, and the standard library's `http.client` on a kept-alive
  connection, whose own cost per request is ~1.4 ms less on a slow core (a
  client's time, not the stack's; both rows are printed);
- miss: the dev set's questions, each asked once with `no_cache` (so no
  embedding, search or answer is reused from an earlier question), where
  overhead is the service's `timings_ms.total - timings_ms.execution`
  (Prometheus's share removed).

    .venv/bin/python bench/query/gateway_bench.py [--requests 300]
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from urllib.parse import urlsplit

import httpx

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.latency import Row, print_table, row  # noqa: E402
from bench.query.questions import QUESTIONS, distinct_questions, warmup_questions  # noqa: E402
from obsai_devstack.stack import StackOptions, running_stack  # noqa: E402

ADMIN_PASSWORD = "bench-admin-password-1"


def _admin_client(base: str) -> httpx.Client:
    login = httpx.post(f"{base}/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD})
    headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
    client = httpx.Client(base_url=base, headers=headers, timeout=30)
    client.post("/admin/discovery/trigger", json={"wait": True}, timeout=120).raise_for_status()
    return client


def _cache_hits(client: httpx.Client, requests: int) -> tuple[list[float], list[float]]:
    """The same cached question by httpx and by `http.client`, one after the other."""
    body = json.dumps({"query": QUESTIONS[0]})
    client.post("/query", content=body).raise_for_status()
    url = urlsplit(str(client.base_url))
    lean = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=30)
    headers = {"Authorization": client.headers["Authorization"], "Content-Type": "application/json"}

    def by_httpx() -> bytes:
        return client.post("/query", content=body, headers=headers).content

    def by_http_client() -> bytes:
        lean.request("POST", "/query", body=body, headers=headers)
        return lean.getresponse().read()

    samples: tuple[list[float], list[float]] = ([], [])
    try:
        for _ in range(requests):
            for ask, timed in zip((by_httpx, by_http_client), samples, strict=True):
                started = time.perf_counter()
                answer = ask()
                timed.append((time.perf_counter() - started) * 1e3)
                assert json.loads(answer)["cached"], answer
    finally:
        lean.close()
    return samples


def _misses(client: httpx.Client, requests: int) -> tuple[list[float], list[float]]:
    for question in warmup_questions()[:20]:
        client.post("/query", json={"query": question, "no_cache": True})
    overhead, total, refused = [], [], 0
    for question in distinct_questions()[:requests]:
        started = time.perf_counter()
        answer = client.post("/query", json={"query": question, "no_cache": True})
        elapsed = (time.perf_counter() - started) * 1e3
        if answer.status_code != 200:
            refused += 1  # no answer, so no timings: left out, counted
            continue
        total.append(elapsed)
        timings = answer.json()["timings_ms"]
        overhead.append(timings["total"] - timings["execution"])
    print(f"misses: {len(overhead)} answered, {refused} refused", file=sys.stderr)
    return overhead, total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    requests = min(args.requests, 2000)
    env = {"OBSAI_ADMIN_PASSWORD": ADMIN_PASSWORD, "LOG_LEVEL": "WARNING"}
    # Benchmarks run many requests as one admin: lift the hourly limit for them.
    env |= {"RATE_LIMIT_ADMIN": "1000000", "JWT_SECRET": "bench-jwt-secret-0123456789-abcdefghijkl"}
    with (
        tempfile.TemporaryDirectory() as tmp,
        running_stack(StackOptions(work_dir=Path(tmp), demo_world=True, env=env)) as stack,
        contextlib.closing(_admin_client(stack.url)) as client,
    ):
        # Misses first: a hit's question must not have been asked before them.
        overhead, total = _misses(client, requests)
        hits, lean_hits = _cache_hits(client, requests)
    rows: list[Row] = [
        row("cache hit, client round trip via Envoy (httpx)", hits),
        row("cache hit, client round trip via Envoy (http.client)", lean_hits),
        row("miss, pipeline overhead (total - Prometheus)", overhead),
        row("miss, client round trip via Envoy", total),
    ]
    print_table(rows)
    out = ROOT / "bench" / "results" / "query_gateway.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps([asdict(r) for r in rows], indent=2) + "\n")


if __name__ == "__main__":
    main()
