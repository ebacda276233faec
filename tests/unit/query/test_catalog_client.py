"""GrpcCatalogClient over a real gRPC channel, against a catalog that predates GroundQuestion.

The servicer here answers SearchMetrics and FindSimilarExamples only (everything
else is the generated base class: UNIMPLEMENTED), as a catalog one release
older does while a rolling upgrade reaches the query service first.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest

from obsai.v1 import catalog_pb2, catalog_pb2_grpc
from obsai_query.catalog_client import Example, GrpcCatalogClient


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
