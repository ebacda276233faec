"""The exporter in-process on port 0, with a fixed clock: what a scrape sees."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator

import pytest
from prometheus_client.parser import text_string_to_metric_families

from obsai_demo.exporter import create_server
from obsai_demo.series import HistogramSeries, Series, build_families
from obsai_devstack.demo_world import http_get
from tests.support.serving import serving

T = 1_780_315_200.0


@pytest.fixture(scope="module")
def exporter_url() -> Iterator[str]:
    with serving(create_server("127.0.0.1", 0, clock=lambda: T)) as server:
        yield f"http://127.0.0.1:{server.server_port}"


def _scrape(url: str, accept: str = "") -> tuple[str, str]:
    request = urllib.request.Request(url, headers={"Accept": accept} if accept else {})
    with urllib.request.urlopen(request, timeout=5) as response:
        return response.headers["Content-Type"], response.read().decode()


def test_a_target_sees_only_its_service_and_namespace(exporter_url: str) -> None:
    _, text = _scrape(f"{exporter_url}/metrics?service=payment&namespace=staging")
    samples = [s for f in text_string_to_metric_families(text) for s in f.samples]
    assert samples
    assert {(s.labels["service"], s.labels["namespace"]) for s in samples} == {
        ("payment", "staging")
    }


def test_scraped_values_are_the_model_at_scrape_time(exporter_url: str) -> None:
    _, text = _scrape(f"{exporter_url}/metrics?service=cache")
    scraped = {
        (s.name, tuple(sorted((k, v) for k, v in s.labels.items() if k != "le"))): s.value
        for f in text_string_to_metric_families(text)
        for s in f.samples
        if s.name.endswith(("_total", "_bytes", "_count"))
    }
    checked = 0
    for family_series in build_families():
        family = family_series.family
        for series in family_series.series:
            if series.service != "cache":
                continue
            labels = tuple(sorted(zip(family.label_names, series.label_values, strict=True)))
            if isinstance(series, HistogramSeries):
                assert scraped[(f"{family.name}_count", labels)] == series.at(T).count
            else:
                assert isinstance(series, Series)
                assert scraped[(family.name, labels)] == series.value_at(T)
            checked += 1
    assert checked > 50


def test_text_format_by_default_openmetrics_never_negotiated(exporter_url: str) -> None:
    # Prometheus keys a counter's metadata by its sample name only in this format.
    content_type, text = _scrape(
        f"{exporter_url}/metrics?service=auth", "application/openmetrics-text; version=1.0.0"
    )
    assert content_type.startswith("text/plain; version=0.0.4")
    assert "# TYPE http_requests_total counter" in text


def test_unknown_slices_and_paths_are_refused(exporter_url: str) -> None:
    assert http_get(f"{exporter_url}/metrics?service=nope")[0] == 400
    assert http_get(f"{exporter_url}/metrics?namespace=dev")[0] == 400
    assert http_get(f"{exporter_url}/other")[0] == 404
