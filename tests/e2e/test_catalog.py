"""The catalog as REST clients see it, filled by a real discovery scan of the demo world."""

from __future__ import annotations

import httpx
import pytest


@pytest.fixture(scope="module")
def admin(admin_token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {admin_token}"}


pytestmark = pytest.mark.usefixtures("discovered")


def test_trigger_reports_what_the_scan_found(discovered: dict[str, object]) -> None:
    report = discovered["last_scan"]
    assert isinstance(report, dict)
    assert report["success"] is True
    assert int(report["metrics"]) > 50
    assert int(report["services"]) >= 10
    assert int(report["http_requests"]) < 20


def test_services_lists_the_estate(gateway: httpx.Client, admin: dict[str, str]) -> None:
    names = set()
    token = ""
    while True:
        page = gateway.get("/services", params={"page.page_token": token}, headers=admin).json()
        names |= {s["name"] for s in page["services"]}
        token = page["page"]["next_page_token"]
        if not token:
            break
    assert {"checkout", "payment", "api-gateway", "database", "storage"} <= names


def test_service_detail_and_its_metrics(gateway: httpx.Client, admin: dict[str, str]) -> None:
    service = gateway.get("/services/checkout", headers=admin).json()
    assert set(service["namespaces"]) == {"production", "staging"}
    metrics = gateway.get(
        "/services/checkout/metrics", params={"page.page_size": 500}, headers=admin
    ).json()
    assert "http_requests_total" in {m["name"] for m in metrics["metrics"]}


def test_types_come_from_metadata(gateway: httpx.Client, admin: dict[str, str]) -> None:
    memory = gateway.get("/metrics/container_memory_usage_bytes", headers=admin).json()
    assert memory["type"] == "METRIC_TYPE_GAUGE"
    assert memory["type_source"] == "TYPE_SOURCE_METADATA"
    assert memory["help"]
    labels = {label["name"]: label["values"] for label in memory["labels"]}
    assert "payment" in labels["service"]


def test_metrics_filter_and_paginate(gateway: httpx.Client, admin: dict[str, str]) -> None:
    first = gateway.get(
        "/metrics", params={"type": "METRIC_TYPE_COUNTER", "page.page_size": 3}, headers=admin
    ).json()
    assert len(first["metrics"]) == 3
    assert all(m["type"] == "METRIC_TYPE_COUNTER" for m in first["metrics"])
    second = gateway.get(
        "/metrics",
        params={
            "type": "METRIC_TYPE_COUNTER",
            "page.page_size": 3,
            "page.page_token": first["page"]["next_page_token"],
        },
        headers=admin,
    ).json()
    assert not {m["name"] for m in first["metrics"]} & {m["name"] for m in second["metrics"]}
    prefixed = gateway.get("/metrics", params={"name_prefix": "container_"}, headers=admin).json()
    assert prefixed["metrics"]
    assert all(m["name"].startswith("container_") for m in prefixed["metrics"])


def test_search_by_meaning(gateway: httpx.Client, admin: dict[str, str]) -> None:
    results = gateway.post(
        "/metrics:search", json={"text": "how slow is checkout", "k": 5}, headers=admin
    ).json()
    names = [r["metric"]["name"] for r in results["results"]]
    assert any(name.startswith("http_request_duration_seconds") for name in names)
    assert "checkout" in results["services"]


def test_unknown_service_is_a_shaped_404(gateway: httpx.Client, admin: dict[str, str]) -> None:
    response = gateway.get("/services/no-such-service", headers=admin)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"


def test_bad_page_token_is_a_shaped_400(gateway: httpx.Client, admin: dict[str, str]) -> None:
    response = gateway.get("/metrics", params={"page.page_token": "garbage"}, headers=admin)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "INVALID_ARGUMENT"
