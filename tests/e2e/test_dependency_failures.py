"""Dead dependencies show in health as unhealthy or degraded, quickly, never as a hang."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from obsai_devstack.stack import Stack, StackOptions, running_stack


@pytest.fixture(scope="module")
def lonely_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Only the query service, and no Prometheus at all."""
    work_dir: Path = tmp_path_factory.mktemp("lonely")
    with running_stack(StackOptions(work_dir=work_dir, services=("query",))) as stack:
        yield stack


def test_prometheus_down_is_unhealthy_with_503(lonely_stack: Stack) -> None:
    response = httpx.get(f"{lonely_stack.url}/health", timeout=10)
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unhealthy"
    assert body["components"]["prometheus"] == "unhealthy"
    assert body["components"]["database"] == "healthy"


def test_dead_services_show_in_detailed_health(lonely_stack: Stack) -> None:
    body = httpx.get(f"{lonely_stack.url}/api/v1/health", timeout=10).json()
    assert {name: s["status"] for name, s in body["services"].items()} == {
        "auth": "unhealthy",
        "catalog": "unhealthy",
        "discovery": "unhealthy",
    }


def test_redis_down_degrades_within_the_check_bound(lonely_stack: Stack) -> None:
    assert lonely_stack.redis_server is not None
    lonely_stack.redis_server.stop()
    # A hang would fail this call (client timeout), not merely slow the test.
    body = httpx.get(f"{lonely_stack.url}/api/v1/health", timeout=10).json()
    assert body["components"]["redis"]["status"] == "unhealthy"
    assert body["components"]["redis"]["message"]
    assert body["status"] == "unhealthy"  # Prometheus is down too in this stack
