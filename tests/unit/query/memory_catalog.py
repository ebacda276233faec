"""An in-memory CatalogClient over a small fixed catalog shaped like the demo world.

Unit tests only: integration tests use the real catalog service.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from obsai_query.catalog_client import Example, Found, LabelMatch, MetricInfo, SearchResult

SERVICES = (
    "frontend",
    "api-gateway",
    "api",
    "auth",
    "checkout",
    "payment",
    "catalog",
    "database",
    "cache",
    "storage",
)
NAMESPACES = ("production", "staging")
PODS = tuple(f"{s}-{i}" for s in SERVICES for i in range(4))
CONTAINER = {
    "service": SERVICES,
    "namespace": NAMESPACES,
    "environment": NAMESPACES,
    "pod": PODS,
    "container": SERVICES,
    "job": SERVICES,
    "instance": ("demo",),
}
ENDPOINTS = ("/", "/login", "/checkout", "/payments", "/api/v1/orders", "/query", "/get")
REQUESTS = {
    **CONTAINER,
    "endpoint": ENDPOINTS,
    "method": ("GET", "POST", "PUT"),
    "status": ("200", "400", "401", "404", "500", "502", "503"),
}
DURATION = {k: v for k, v in REQUESTS.items() if k != "status"}
BUCKETS = {**DURATION, "le": ("0.005", "0.01", "0.1", "1.0", "+Inf")}


def demo_metrics() -> list[MetricInfo]:
    def m(
        name: str,
        kind: str,
        help_text: str,
        unit: str,
        labels: dict[str, tuple[str, ...]],
        series: int,
        family: str = "",
    ) -> MetricInfo:
        return MetricInfo(name, kind, help_text, unit, family or name, labels, series, SERVICES)

    return [
        m(
            "container_cpu_usage_seconds_total",
            "counter",
            "Cumulative cpu time consumed in seconds.",
            "seconds",
            CONTAINER,
            40,
        ),
        m(
            "container_memory_usage_bytes",
            "gauge",
            "Current memory usage in bytes, including all memory regardless of when it was "
            "accessed.",
            "bytes",
            CONTAINER,
            40,
        ),
        m(
            "container_spec_memory_limit_bytes",
            "gauge",
            "Memory limit for the container.",
            "bytes",
            CONTAINER,
            40,
        ),
        m(
            "container_fs_reads_bytes_total",
            "counter",
            "Cumulative count of bytes read.",
            "bytes",
            CONTAINER,
            40,
        ),
        m(
            "container_fs_writes_total",
            "counter",
            "Cumulative count of writes completed.",
            "",
            CONTAINER,
            40,
        ),
        m(
            "container_network_receive_bytes_total",
            "counter",
            "Cumulative count of bytes received.",
            "bytes",
            CONTAINER,
            40,
        ),
        m(
            "container_network_transmit_bytes_total",
            "counter",
            "Cumulative count of bytes transmitted.",
            "bytes",
            CONTAINER,
            40,
        ),
        m(
            "http_requests_total",
            "counter",
            "Total HTTP requests handled, by endpoint, method and status code.",
            "",
            REQUESTS,
            320,
        ),
        m(
            "http_request_duration_seconds_bucket",
            "histogram",
            "Time spent answering HTTP requests.",
            "seconds",
            BUCKETS,
            960,
            "http_request_duration_seconds",
        ),
        m(
            "http_request_duration_seconds_sum",
            "histogram",
            "Time spent answering HTTP requests.",
            "seconds",
            DURATION,
            80,
            "http_request_duration_seconds",
        ),
        m(
            "http_request_duration_seconds_count",
            "histogram",
            "Time spent answering HTTP requests.",
            "seconds",
            DURATION,
            80,
            "http_request_duration_seconds",
        ),
        # Distractors, as a real Prometheus has about itself.
        m(
            "prometheus_http_request_duration_seconds_bucket",
            "histogram",
            "Histogram of latencies for HTTP requests.",
            "seconds",
            {"handler": ("/api/v1/query", "/metrics"), "le": ("0.1", "1", "+Inf")},
            60,
            "prometheus_http_request_duration_seconds",
        ),
        m(
            "prometheus_tsdb_data_replay_duration_seconds",
            "gauge",
            "Time taken to replay the data on disk.",
            "seconds",
            {"job": ("prometheus",), "instance": ("localhost:9090",)},
            1,
        ),
        m(
            "process_cpu_seconds_total",
            "counter",
            "Total user and system CPU time spent in seconds.",
            "seconds",
            {"job": ("prometheus",), "instance": ("localhost:9090",)},
            1,
        ),
        m(
            "go_memstats_alloc_bytes",
            "gauge",
            "Number of bytes allocated and still in use.",
            "bytes",
            {"job": ("prometheus",), "instance": ("localhost:9090",)},
            1,
        ),
        m(
            "up",
            "gauge",
            "1 if the target is up.",
            "",
            {k: CONTAINER[k] for k in ("job", "instance", "service", "namespace", "environment")},
            20,
        ),
    ]


_WORD = re.compile(r"[a-z0-9]+")


def _words(text: str) -> set[str]:
    return {w.rstrip("s") for w in _WORD.findall(text.lower())}


class MemoryCatalog:
    """Naive lexical search; remembers examples; a version that counts changes."""

    def __init__(self, metrics: Sequence[MetricInfo] | None = None) -> None:
        self.metrics = list(demo_metrics() if metrics is None else metrics)
        self.examples: list[Example] = []
        self.version = 1
        self.calls: list[str] = []

    async def ground(
        self,
        text: str,
        k: int,
        more_texts: Sequence[str] = (),
        examples: int = 0,
        min_similarity: float = 0.0,
    ) -> Found:
        self.calls.append("ground")
        found = await self.search_metrics(text, k, more_texts)
        if examples <= 0:
            return Found(found)
        return Found(found, tuple(await self.find_similar_examples(text, examples, min_similarity)))

    async def search_metrics(
        self, text: str, k: int, more_texts: Sequence[str] = ()
    ) -> SearchResult:
        self.calls.append("search_metrics")
        first = self._search(text, k)
        if not more_texts:
            return first
        best: dict[str, MetricInfo] = {}
        for result in (first, *(self._search(t, k) for t in more_texts)):
            for metric in result.metrics:
                if metric.name not in best or metric.score > best[metric.name].score:
                    best[metric.name] = metric
        ranked = sorted(best.values(), key=lambda m: (-m.score, m.name))
        return SearchResult(tuple(ranked), first.services, first.label_matches)

    def _search(self, text: str, k: int) -> SearchResult:
        words = _words(text)
        scored = []
        for metric in self.metrics:
            overlap = len(words & (_words(metric.name) | _words(metric.help)))
            scored.append((overlap, metric.name, metric))
        scored.sort(key=lambda t: (-t[0], t[1]))
        found = tuple(
            MetricInfo(**{**{f: getattr(m, f) for f in m.__dataclass_fields__}, "score": s / 10})
            for s, _, m in scored[:k]
        )
        services = tuple(s for s in SERVICES if re.search(rf"\b{re.escape(s)}\b", text.lower()))
        return SearchResult(found, services, tuple(LabelMatch("service", s) for s in services))

    async def get_metric(self, name: str) -> MetricInfo | None:
        self.calls.append("get_metric")
        return next((m for m in self.metrics if m.name == name), None)

    async def find_similar_examples(
        self, text: str, k: int, min_similarity: float
    ) -> Sequence[Example]:
        self.calls.append("find_similar_examples")
        found = []
        for example in self.examples:
            a, b = _words(text), _words(example.question)
            similarity = len(a & b) / max(len(a | b), 1)
            if similarity >= min_similarity:
                found.append(Example(example.question, example.promql, similarity, example.id))
        return sorted(found, key=lambda e: -e.similarity)[:k]

    async def remember_example(self, question: str, promql: str) -> None:
        self.calls.append("remember_example")
        self.examples.append(Example(question, promql, 1.0, str(len(self.examples) + 1)))
        self.version += 1

    async def catalog_version(self) -> int:
        self.calls.append("catalog_version")
        return self.version
