"""GrpcCatalogClient over a real gRPC channel, against a catalog that predates GroundQuestion.

The servicer here answers SearchMetrics and FindSimilarExamples only (everything
else is the generated base class: UNIMPLEMENTED), as a catalog one release
older does while a rolling upgrade reaches the query service first.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest

from obsai.v1 import catalog_pb2, catalog_pb2_grpc, common_pb2
from obsai_query.catalog_client import (
    Example,
    GrpcCatalogClient,
    MetricInfo,
    MetricReader,
    metric_from_proto,
)


class OldCatalog(catalog_pb2_grpc.CatalogServiceServicer):
    def __init__(self) -> None:
        self.calls: list[str] = []
        self.examples_fail = False

    async def SearchMetrics(
        self, request: catalog_pb2.SearchMetricsRequest, context: Any
    ) -> catalog_pb2.SearchMetricsResponse:
        self.calls.append(f"SearchMetrics:{request.text}:{','.join(request.more_texts)}")
        return catalog_pb2.SearchMetricsResponse(
            results=[
                catalog_pb2.ScoredMetric(
                    metric=catalog_pb2.Metric(name="up", type=catalog_pb2.METRIC_TYPE_GAUGE),
                    score=0.5,
                )
            ],
            services=["checkout"],
        )

    async def FindSimilarExamples(
        self, request: catalog_pb2.FindSimilarExamplesRequest, context: Any
    ) -> catalog_pb2.FindSimilarExamplesResponse:
        self.calls.append(f"FindSimilarExamples:{request.k}")
        if self.examples_fail:
            await context.abort(grpc.StatusCode.INTERNAL, "examples table is broken")
        return catalog_pb2.FindSimilarExamplesResponse(
            examples=[catalog_pb2.Example(id="e1", question="q", promql="up", similarity=0.9)]
        )


@pytest.fixture
async def old_catalog() -> AsyncIterator[tuple[OldCatalog, GrpcCatalogClient]]:
    servicer = OldCatalog()
    server = grpc.aio.server()
    catalog_pb2_grpc.add_CatalogServiceServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            yield servicer, GrpcCatalogClient(channel, timeout=10)
    finally:
        await server.stop(None)


async def test_an_older_catalog_is_asked_with_two_calls_from_then_on(
    old_catalog: tuple[OldCatalog, GrpcCatalogClient],
) -> None:
    servicer, client = old_catalog
    found = await client.ground("cpu of checkout", 25, ["cpu seconds"], 3, 0.75)
    assert [m.name for m in found.search.metrics] == ["up"]
    assert found.search.services == ("checkout",)
    assert found.examples == (Example("q", "up", pytest.approx(0.9), "e1"),)
    assert sorted(servicer.calls) == [
        "FindSimilarExamples:3",
        "SearchMetrics:cpu of checkout:cpu seconds",
    ]

    servicer.calls.clear()
    servicer.examples_fail = True  # examples only help: the grounding goes on without
    found = await client.ground("cpu", 25, (), 3, 0.75)
    assert [m.name for m in found.search.metrics] == ["up"]
    assert found.examples == ()
    assert sorted(servicer.calls) == ["FindSimilarExamples:3", "SearchMetrics:cpu:"]

    servicer.calls.clear()
    found = await client.ground("cpu", 25)
    assert servicer.calls == ["SearchMetrics:cpu:"]  # no examples asked, none looked up


def _metric(name: str, help_text: str = "Requests served.") -> catalog_pb2.Metric:
    return catalog_pb2.Metric(
        name=name,
        type=catalog_pb2.METRIC_TYPE_COUNTER,
        help=help_text,
        unit="requests",
        family=name,
        labels=[
            common_pb2.LabelValues(name="status", values=["200", "503"]),
            common_pb2.LabelValues(name="pod", values=["a-1"], truncated=True),
        ],
        series_count=12,
        services=["checkout"],
    )


def test_a_metric_is_read_as_metric_from_proto_reads_it_and_kept_by_its_bytes() -> None:
    reader = MetricReader(size=2)
    message = _metric("http_requests_total")
    first = reader.read(message, 0.5)
    assert first == metric_from_proto(message, 0.5)
    assert first.truncated_labels == frozenset({"pod"})
    again = reader.read(catalog_pb2.Metric.FromString(message.SerializeToString()), 0.25)
    assert again == metric_from_proto(message, 0.25)
    assert again.labels is first.labels  # built once
    # Other bytes are another metric.
    assert reader.read(_metric("http_requests_total", "Other help."), 0.5).help == "Other help."
    for name in ("a", "b", "c"):  # beyond its size, the oldest goes first
        assert reader.read(_metric(name)).name == name
    assert reader.read(message, 0.5) == first


def test_scored_copies_every_field_but_the_score() -> None:
    info = MetricInfo(
        "http_requests_total",
        "counter",
        "Requests served.",
        "requests",
        "http",
        {"status": ("200",)},
        3,
        ("checkout",),
        frozenset({"status"}),
        0.5,
    )
    assert all(getattr(info, f.name) != f.default for f in dataclasses.fields(MetricInfo))
    assert info.scored(0.75) == dataclasses.replace(info, score=0.75)
