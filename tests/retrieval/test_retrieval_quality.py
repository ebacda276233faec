"""Retrieval quality of SearchMetrics on the demo world: recall@10 and MRR, with floors.

The catalog is filled the real way: discovery scans the demo Prometheus (the
demo estate plus Prometheus' own few hundred metrics) and pushes into a real
catalog; then every question of `questions.py` goes through SearchMetrics.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from obsai.v1 import catalog_pb2, discovery_pb2
from obsai_catalog.embedding import Embedder
from obsai_devstack.demo_world import DemoWorld
from tests.integration.catalog.harness import ADMIN, USER, catalog_server
from tests.integration.discovery.harness import discovery_server
from tests.retrieval.questions import QUESTIONS

pytestmark = pytest.mark.integration

K = 10
RECALL_FLOOR = 0.95
MRR_FLOOR = 0.8
REPORT = Path(__file__).resolve().parents[2] / "build" / "retrieval-report.json"


def test_questions_are_many_and_well_formed() -> None:
    assert len(QUESTIONS) >= 40
    assert len({q for q, _ in QUESTIONS}) == len(QUESTIONS)
    assert all(needed for _, needed in QUESTIONS)


async def test_recall_at_10_and_mrr_on_the_demo_world(
    retrieval_world: DemoWorld,
    database_url: str,
    redis_url: str,
    embedder: Embedder,
    capsys: pytest.CaptureFixture[str],
) -> None:
    async with catalog_server(database_url, embedder) as catalog:
        async with discovery_server(catalog, redis_url, retrieval_world.prometheus_url) as d:
            status = await d.stub.TriggerDiscovery(
                discovery_pb2.TriggerDiscoveryRequest(wait=True), metadata=ADMIN
            )
        assert status.last_scan.success, status.last_scan.errors
        rows = []
        for question, needed in QUESTIONS:
            found = await catalog.stub.SearchMetrics(
                catalog_pb2.SearchMetricsRequest(text=question, k=K), metadata=USER
            )
            ranked = [r.metric.name for r in found.results]
            ranks = [ranked.index(n) + 1 for n in needed if n in ranked]
            rows.append(
                {
                    "question": question,
                    "needed": list(needed),
                    "recall": len(ranks) / len(needed),
                    "reciprocal_rank": 1 / min(ranks) if ranks else 0.0,
                    "top": ranked[:5],
                }
            )
    recall = sum(r["recall"] for r in rows) / len(rows)  # type: ignore[misc]
    mrr = sum(r["reciprocal_rank"] for r in rows) / len(rows)  # type: ignore[misc]
    misses = [r for r in rows if r["recall"] < 1]
    REPORT.parent.mkdir(exist_ok=True)
    REPORT.write_text(
        json.dumps(
            {
                "questions": len(rows),
                "metrics_in_catalog": status.last_scan.metrics,
                "recall_at_10": recall,
                "mrr": mrr,
                "rows": rows,
            },
            indent=2,
        )
    )
    with capsys.disabled():
        print(
            f"\nretrieval: {len(rows)} questions over {status.last_scan.metrics} metrics:"
            f" recall@{K}={recall:.3f} MRR={mrr:.3f} (report: {REPORT})"
        )
        for miss in misses:
            print(f"  miss: {miss['question']!r} needs {miss['needed']}, got {miss['top']}")
    assert recall >= RECALL_FLOOR
    assert mrr >= MRR_FLOOR
