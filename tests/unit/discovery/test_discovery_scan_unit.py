"""The scan's request plan and aggregation, against a fake Prometheus transport.

httpx.MockTransport answers like Prometheus' HTTP API so the requests a scan
builds (paths, form bodies, headers) and how it reads answers can be checked
exactly; the real thing is tested in tests/integration/discovery.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Sequence
from urllib.parse import parse_qs

import httpx
import pytest
from pydantic import SecretStr

from obsai_common.errors import Unavailable
from obsai_discovery.prometheus import PrometheusAPI, series_selector
from obsai_discovery.records import DiscoveredMetric, DiscoveredService, MetricType, TypeSource
from obsai_discovery.scan import Aggregator, ChunkPlanner, Scanner, ScanOptions, ValueSample
from obsai_discovery.settings import SourceConfig

Handler = Callable[[httpx.Request], httpx.Response]


def ok(data: object) -> httpx.Response:
    return httpx.Response(200, json={"status": "success", "data": data})


class FakePrometheus:
    """`series_per_name` series for each of `names`, each with a few labels."""

    def __init__(self, names: Sequence[str], series_per_name: int = 3) -> None:
        self.names = list(names)
        self.series_per_name = series_per_name
        self.requests: list[httpx.Request] = []
        self.fail: dict[str, list[httpx.Response]] = {}
        self.metadata: dict[str, list[dict[str, str]]] = {}

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path
        for suffix, failures in self.fail.items():
            if path.endswith(suffix) and failures:
                return failures.pop(0)
        if path.endswith("/api/v1/metadata"):
            return ok(self.metadata)
        if path.endswith("/api/v1/label/__name__/values"):
            return ok(self.names)
        if path.endswith("/api/v1/series"):
            wanted = [m.split('"')[1] for m in self.matches(request)]
            return ok(
                [
                    {
                        "__name__": name,
                        "service": f"svc{i % 2}",
                        "namespace": "prod",
                        "pod": f"pod-{i}",
                    }
                    for name in wanted
                    if name in self.names
                    for i in range(self.series_per_name)
                ]
            )
        return httpx.Response(404, json={"status": "error", "error": "not found"})

    @staticmethod
    def matches(request: httpx.Request) -> list[str]:
        return parse_qs(request.content.decode())["match[]"]

    def series_requests(self) -> list[httpx.Request]:
        return [r for r in self.requests if r.url.path.endswith("/api/v1/series")]


class Sink:
    def __init__(self, fail_after: int = -1) -> None:
        self.metrics: list[DiscoveredMetric] = []
        self.services: list[DiscoveredService] = []
        self.completed: list[tuple[str, str, int]] = []
        self.batches = 0
        self.fail_after = fail_after

    async def apply(
        self,
        source: str,
        scan_id: str,
        services: Sequence[DiscoveredService],
        metrics: Sequence[DiscoveredMetric],
    ) -> None:
        self.batches += 1
        if self.batches == self.fail_after:
            raise Unavailable("catalog: down")
        self.metrics += metrics
        self.services += services

    async def complete(self, source: str, scan_id: str, grace_seconds: int) -> int:
        self.completed.append((source, scan_id, grace_seconds))
        return 0


def api_for(handler: Handler, **config: object) -> PrometheusAPI:
    return PrometheusAPI(SourceConfig(**config), transport=httpx.MockTransport(handler))  # type: ignore[arg-type]


async def scan(
    prometheus: FakePrometheus, sink: Sink | None = None, **options: object
) -> tuple[Sink, object]:
    sink = sink or Sink()
    api = api_for(prometheus)
    try:
        report = await Scanner(ScanOptions(**options)).scan(api, "src", sink)  # type: ignore[arg-type]
    finally:
        await api.close()
    return sink, report


async def test_requests_grow_with_name_chunks_not_with_labels() -> None:
    names = [f"metric_{i:03d}" for i in range(250)]
    prometheus = FakePrometheus(names)
    sink, report = await scan(prometheus, max_names_per_request=100, first_names_per_request=100)
    assert report.success  # type: ignore[attr-defined]
    assert report.http_requests == 2 + 3  # type: ignore[attr-defined]
    asked = [m for r in prometheus.series_requests() for m in FakePrometheus.matches(r)]
    assert sorted(asked) == sorted(series_selector(n) for n in names)  # each name once
    for request in prometheus.series_requests():
        assert request.method == "POST"
        form = parse_qs(request.content.decode())
        assert float(form["end"][0]) - float(form["start"][0]) == pytest.approx(3600, abs=1)
    assert sorted(m.name for m in sink.metrics) == names
    assert sink.completed == [("src", report.scan_id, 0)]  # type: ignore[attr-defined]


async def test_chunks_adapt_to_the_series_per_name() -> None:
    prometheus = FakePrometheus([f"m{i:02d}" for i in range(60)], series_per_name=10)
    _, report = await scan(
        prometheus, series_per_request=50, first_names_per_request=10, concurrency=1
    )
    sizes = [len(FakePrometheus.matches(r)) for r in prometheus.series_requests()]
    assert sizes[0] == 10
    assert set(sizes[1:-1]) == {5}  # 50 series per request at 10 series per name
    assert report.http_requests == 2 + len(sizes)  # type: ignore[attr-defined]


async def test_metadata_gives_types_and_its_absence_is_noted_not_fatal() -> None:
    prometheus = FakePrometheus(["orders_total", "latency_seconds_bucket", "temp"])
    prometheus.metadata = {"orders": [{"type": "counter", "help": "Orders.", "unit": ""}]}
    sink, report = await scan(prometheus)
    types = {m.name: (m.info.type, m.info.type_source) for m in sink.metrics}
    assert types["orders_total"] == (MetricType.COUNTER, TypeSource.METADATA)
    assert types["latency_seconds_bucket"] == (MetricType.HISTOGRAM, TypeSource.CONVENTION)
    assert report.errors == []  # type: ignore[attr-defined]

    failing = FakePrometheus(["orders_total"])
    failing.fail["/api/v1/metadata"] = [httpx.Response(404, json={"status": "error"})]
    sink, report = await scan(failing)
    assert report.success  # type: ignore[attr-defined]
    assert "naming conventions" in report.errors[0]  # type: ignore[attr-defined]
    assert sink.metrics[0].info.type_source is TypeSource.CONVENTION


async def test_a_failed_series_request_fails_the_scan_and_never_completes_it() -> None:
    prometheus = FakePrometheus(["a", "b"])
    prometheus.fail["/api/v1/series"] = [
        httpx.Response(400, json={"status": "error", "error": "bad match"})
    ]
    sink, report = await scan(prometheus)
    assert not report.success  # type: ignore[attr-defined]
    assert report.errors == ["Prometheus answered /api/v1/series with HTTP 400: bad match"]  # type: ignore[attr-defined]
    assert sink.completed == []


async def test_transient_failures_are_retried_and_counted() -> None:
    prometheus = FakePrometheus(["a"])
    prometheus.fail["/api/v1/label/__name__/values"] = [httpx.Response(503)]
    _, report = await scan(prometheus)
    assert report.success  # type: ignore[attr-defined]
    assert report.http_requests == 4  # type: ignore[attr-defined]


async def test_a_catalog_failure_fails_the_scan() -> None:
    prometheus = FakePrometheus([f"m{i}" for i in range(10)])
    sink, report = await scan(prometheus, sink=Sink(fail_after=1), push_batch_size=2)
    assert not report.success  # type: ignore[attr-defined]
    assert report.errors == ["catalog: down"]  # type: ignore[attr-defined]
    assert sink.completed == []


async def test_many_quick_batches_all_arrive() -> None:
    prometheus = FakePrometheus([f"m{i:03d}" for i in range(200)], series_per_name=1)
    sink, report = await scan(
        prometheus, push_batch_size=1, first_names_per_request=3, max_names_per_request=3
    )
    assert report.success  # type: ignore[attr-defined]
    assert len(sink.metrics) == 200


async def test_excluded_names_are_never_requested() -> None:
    prometheus = FakePrometheus(["keep_me", "scrape_duration_seconds", "go_gc_x"])
    sink, _ = await scan(prometheus, exclude=("scrape_.*", "go_.*"))
    asked = [m for r in prometheus.series_requests() for m in FakePrometheus.matches(r)]
    assert asked == [series_selector("keep_me")]
    assert [m.name for m in sink.metrics] == ["keep_me"]


async def test_services_namespaces_and_samples_are_aggregated() -> None:
    prometheus = FakePrometheus(["a", "b"], series_per_name=4)
    sink, report = await scan(prometheus, max_label_values=2)
    a = next(m for m in sink.metrics if m.name == "a")
    assert a.series_count == 4
    assert a.services == ("svc0", "svc1")
    assert a.namespaces == ("prod",)
    pods = next(s for s in a.labels if s.name == "pod")
    assert (pods.values, pods.truncated) == (("pod-0", "pod-1"), True)
    assert [(s.name, s.source_label, s.series_count) for s in sink.services] == [
        ("svc0", "service", 4),
        ("svc1", "service", 4),
    ]
    assert report.series == 8  # type: ignore[attr-defined]


async def test_mimir_prefix_tenant_and_credentials() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return ok([])

    bearer = api_for(
        handler,
        url="http://mimir:8080/",
        path_prefix="prometheus/",
        tenant="team-a",
        bearer_token=SecretStr("t0k"),
    )
    basic = api_for(
        handler, url="http://mimir:8080", basic_auth_user="u", basic_auth_password=SecretStr("p")
    )
    try:
        await bearer.label_values("__name__", 0, 1)
        await basic.label_values("__name__", 0, 1)
    finally:
        await bearer.close()
        await basic.close()
    first, second = seen
    assert str(first.url).startswith("http://mimir:8080/prometheus/api/v1/label/__name__/values?")
    assert first.headers["x-scope-orgid"] == "team-a"
    assert first.headers["authorization"] == "Bearer t0k"
    assert second.headers["authorization"] == "Basic dTpw"
    assert "x-scope-orgid" not in second.headers


async def test_an_unreachable_source_is_an_upstream_error_without_secrets() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    api = api_for(handler, url="http://user:secret@nowhere:1")
    try:
        report = await Scanner(ScanOptions()).scan(api, "src", Sink())
    finally:
        await api.close()
    assert not report.success
    assert report.errors == ["Prometheus is unreachable (ConnectError)"]
    assert report.http_requests >= 3  # three tries of the names, and of metadata meanwhile


def test_a_selector_escapes_the_name() -> None:
    assert series_selector('a"b\\c') == '{__name__="a\\"b\\\\c"}'


def test_value_samples_keep_the_smallest_values_whatever_the_order() -> None:
    values = [f"v{i:03d}" for i in range(300)]
    forward, backward = ValueSample(5), ValueSample(5)
    for value in values:
        forward.add(value)
    for value in reversed(values):
        backward.add(value)
    assert forward.result() == backward.result() == (tuple(values[:5]), True)
    few = ValueSample(5)
    for value in ("b", "a", "b"):
        few.add(value)
    assert few.result() == (("a", "b"), False)


def test_the_planner_never_skips_or_repeats_a_name() -> None:
    names = [str(i) for i in range(1000)]
    planner = ChunkPlanner(names, target=100, first=7, maximum=50)
    taken: list[str] = []
    while chunk := planner.take():
        taken += chunk
        planner.observe(len(chunk), len(chunk) * 3)
    assert taken == names


def test_the_first_service_label_present_names_the_service() -> None:
    aggregator = Aggregator(ScanOptions())
    found = aggregator.metrics(
        ["m"],
        [
            {"__name__": "m", "job": "scraper", "app": "web", "namespace": "a"},
            {"__name__": "m", "job": "scraper", "namespace": "b"},
            {"__name__": "other", "service": "ignored"},
        ],
    )
    assert found["m"].services == {"web", "scraper"}
    assert found["m"].namespaces == {"a", "b"}
    assert [(s.name, s.source_label, s.namespaces) for s in aggregator.discovered_services()] == [
        ("scraper", "job", ("b",)),
        ("web", "app", ("a",)),
    ]


async def test_scans_of_a_source_can_overlap_safely() -> None:
    prometheus = FakePrometheus(["a", "b", "c"])
    results = await asyncio.gather(scan(prometheus), scan(prometheus))
    assert all(report.success for _, report in results)  # type: ignore[attr-defined]


def test_report_payloads_are_plain_json() -> None:
    assert json.loads(json.dumps({"ok": True}))["ok"]
