"""Planning time of the planner: question + grounding → PromQL, in process.

A synthetic catalog of 5,000 metrics (exporter-like names, help texts, types and
label sets with realistic cardinalities; the demo world's metrics among them)
stands in for a large Prometheus. For each dev-set question the grounding is
what SearchMetrics would hand the planner — its top k (25, the service's
default, and 100, its maximum) by a lexical score — and, as a stress case,
the whole catalog (the planner scores at most its first 300 candidates).

Measured: `Planner.plan()` wall time per question, after one warm-up pass
(per-name word caches filled, as in a running service), plus the first, cold
pass separately. Bounded: a fixed number of rounds over the questions.

    .venv/bin/python bench/planner/planning_bench.py [--metrics 5000] [--rounds 5]

Results go to bench/results/planner.json and a table on stdout.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import re
import sys
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from bench.latency import Row, print_table, row  # noqa: E402
from obsai_common.errors import ObsaiError  # noqa: E402
from obsai_query.catalog_client import MetricInfo  # noqa: E402
from obsai_query.grounding import Grounding  # noqa: E402
from obsai_query.planner import Planner  # noqa: E402
from obsai_query.time_range import resolve_window  # noqa: E402
from tests.unit.query.memory_catalog import demo_metrics  # noqa: E402

NOW = datetime(2026, 3, 4, 15, 30, tzinfo=UTC)
PREFIXES = (
    "app",
    "http",
    "grpc",
    "db",
    "cache",
    "queue",
    "kafka",
    "node",
    "container",
    "jvm",
    "process",
    "go",
    "nginx",
    "envoy",
    "redis",
    "pg",
    "mysql",
    "mongo",
    "elasticsearch",
    "rabbitmq",
    "kube",
    "etcd",
    "coredns",
    "haproxy",
    "memcached",
)
SUBSYSTEMS = (
    "server",
    "client",
    "pool",
    "worker",
    "storage",
    "network",
    "disk",
    "memory",
    "cpu",
    "request",
    "response",
    "session",
    "connection",
    "thread",
    "gc",
    "index",
    "replication",
    "scheduler",
    "api",
    "handler",
)
THINGS = (
    "operations",
    "errors",
    "bytes_read",
    "bytes_written",
    "latency",
    "duration",
    "active",
    "queued",
    "dropped",
    "retries",
    "timeouts",
    "evictions",
    "hits",
    "misses",
    "size",
    "usage",
    "limit",
    "available",
    "objects",
    "messages",
)
LABELS = {
    "service": tuple(f"svc-{i}" for i in range(60)),
    "namespace": ("prod", "staging", "dev", "qa", "infra"),
    "pod": tuple(f"pod-{i}" for i in range(50)),  # a sample, as the catalog keeps one
    "instance": tuple(f"10.0.{i // 250}.{i % 250}:9100" for i in range(40)),
    "job": tuple(f"job-{i}" for i in range(30)),
    "endpoint": tuple(f"/api/v1/r{i}" for i in range(30)),
    "method": ("GET", "POST", "PUT", "DELETE"),
    "status": ("200", "201", "301", "400", "404", "429", "500", "503"),
    "device": ("sda", "sdb", "nvme0n1", "eth0", "eth1", "lo"),
    "mode": ("idle", "user", "system", "iowait", "irq", "steal"),
}


def synthetic_catalog(size: int, seed: int = 11) -> list[MetricInfo]:
    rnd = random.Random(seed)
    metrics = {m.name: m for m in demo_metrics()}
    while len(metrics) < size:
        prefix, subsystem, thing = (
            rnd.choice(PREFIXES),
            rnd.choice(SUBSYSTEMS),
            rnd.choice(THINGS),
        )
        kind = rnd.choice(("counter", "counter", "gauge", "gauge", "histogram", "summary"))
        base = f"{prefix}_{subsystem}_{thing}_{rnd.randrange(40)}"
        names = {
            "counter": [f"{base}_total"],
            "gauge": [base],
            "histogram": [f"{base}_seconds_bucket", f"{base}_seconds_sum", f"{base}_seconds_count"],
            "summary": [f"{base}_seconds", f"{base}_seconds_sum", f"{base}_seconds_count"],
        }[kind]
        chosen = rnd.sample(sorted(LABELS), rnd.randrange(2, 6))
        labels = {name: LABELS[name] for name in chosen}
        help_text = f"The {thing.replace('_', ' ')} of the {prefix} {subsystem}."
        for name in names:
            own = dict(labels)
            if name.endswith("_bucket"):
                own["le"] = ("0.005", "0.05", "0.5", "1", "5", "+Inf")
            if kind == "summary" and name.endswith("_seconds"):
                own["quantile"] = ("0.5", "0.9", "0.99")
            family = re.sub(r"_(bucket|sum|count|total)$", "", name)
            metrics[name] = MetricInfo(
                name,
                kind,
                help_text,
                "seconds" if "seconds" in name else "",
                family,
                own,
                rnd.randrange(1, 5000),
                tuple(rnd.sample(LABELS["service"], 3)),
            )
    return list(metrics.values())[:size]


_WORD = re.compile(r"[a-z0-9]+")


def search(question: str, catalog: list[MetricInfo], k: int) -> tuple[MetricInfo, ...]:
    """A lexical stand-in for SearchMetrics: word overlap of question and name/help."""
    words = {w.rstrip("s") for w in _WORD.findall(question.lower())}
    scored = []
    for metric in catalog:
        own = {w.rstrip("s") for w in _WORD.findall(f"{metric.name} {metric.help}".lower())}
        overlap = len(words & own)
        if overlap:
            scored.append((overlap, metric.name, metric))
    scored.sort(key=lambda t: (-t[0], t[1]))
    top = scored[:k]
    return tuple(
        MetricInfo(**{**{f: getattr(m, f) for f in m.__dataclass_fields__}, "score": s / 10})
        for s, _, m in top
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--metrics", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "planner.json")
    args = parser.parse_args()

    catalog = synthetic_catalog(args.metrics)
    questions = [q["q"] for q in yaml.safe_load((ROOT / "tests/eval/devset.yaml").read_text())]
    planner = Planner()
    cases: dict[str, list[tuple[str, Grounding]]] = {}
    for k in (25, 100):
        cases[f"top {k} of {len(catalog)} metrics"] = [
            (q, Grounding(q, resolve_window(question=q, now=NOW), search(q, catalog, k)))
            for q in questions
        ]
    cases[f"all {len(catalog)} metrics (stress)"] = [
        (q, Grounding(q, resolve_window(question=q, now=NOW), tuple(catalog))) for q in questions
    ]

    rows: list[Row] = []
    for case, groundings in cases.items():
        cold: list[float] = []
        warm: list[float] = []
        for round_ in range(args.rounds + 1):
            for question, grounding in groundings:
                started = time.perf_counter()
                with contextlib.suppress(ObsaiError):  # a refusal is timed like a plan
                    planner.plan(question, grounding)
                elapsed = (time.perf_counter() - started) * 1000
                (cold if round_ == 0 else warm).append(elapsed)
        rows.append(row(f"{case}, first pass (cold caches)", cold))
        rows.append(row(f"{case}", warm))
    print_table(rows)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps([asdict(r) for r in rows], indent=2) + "\n")


if __name__ == "__main__":
    main()
