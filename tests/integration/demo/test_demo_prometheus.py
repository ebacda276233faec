"""The demo world for real: exporter, backfilled history and Prometheus together."""

from __future__ import annotations

import json
import time
import urllib.parse
from itertools import pairwise
from typing import Any

import pytest

from obsai_demo.estate import SERVICES
from obsai_demo.series import REQUESTS, Series, build_families
from obsai_devstack.demo_world import DemoWorld, demo_targets, http_get, query

pytestmark = pytest.mark.integration

HOUR = 3600.0
ERROR_RATIO = (
    'sum by (service) (rate(http_requests_total{status=~"5.."}[5m]))'
    " / sum by (service) (rate(http_requests_total[5m]))"
)


def _by(result: list[dict[str, Any]], label: str) -> dict[str, float]:
    return {r["metric"][label]: float(r["value"][1]) for r in result}


def _api(world: DemoWorld, path: str, **params: str) -> Any:
    status, body = http_get(f"{world.prometheus_url}{path}?{urllib.parse.urlencode(params)}")
    assert status == 200, body
    return json.loads(body)["data"]


def _one_request_series() -> Series:
    family = next(f for f in build_families() if f.family is REQUESTS)
    series = family.series[0]
    assert isinstance(series, Series)
    return series


def _selector(series: Series) -> str:
    matchers = ",".join(
        f'{k}="{v}"' for k, v in zip(REQUESTS.label_names, series.label_values, strict=True)
    )
    return f"{REQUESTS.name}{{{matchers}}}"


def test_metadata_has_the_types(demo_world: DemoWorld) -> None:
    metadata = _api(demo_world, "/api/v1/metadata")
    types = {name: entries[0]["type"] for name, entries in metadata.items()}
    assert types["container_cpu_usage_seconds_total"] == "counter"
    assert types["container_memory_usage_bytes"] == "gauge"
    assert types["http_request_duration_seconds"] == "histogram"
    assert types["http_requests_total"] == "counter"
    assert metadata["http_requests_total"][0]["help"]


def test_every_target_is_up_with_kubernetes_like_labels(demo_world: DemoWorld) -> None:
    up = query(demo_world.prometheus_url, "up == 1")
    jobs = {(r["metric"]["job"], r["metric"].get("namespace", "")) for r in up}
    assert demo_targets() | {("prometheus", "")} <= jobs
    assert query(demo_world.prometheus_url, 'up{service="database", namespace="production"}')


def test_history_covers_the_last_day(demo_world: DemoWorld) -> None:
    url = demo_world.prometheus_url
    hour_long_ago = query(url, "increase(http_requests_total[1h] offset 20h)")
    assert len(hour_long_ago) == len(_one_family_series(REQUESTS.name))
    assert all(float(r["value"][1]) >= 0 for r in hour_long_ago)
    at = time.time() - 23 * HOUR
    for name in ("container_cpu_usage_seconds_total", "http_request_duration_seconds_bucket"):
        assert query(url, f"count({name})", at=at), name
    assert query(url, "sum(rate(http_requests_total[5m] offset 24h))")


def _one_family_series(name: str) -> tuple[object, ...]:
    return next(f.series for f in build_families() if f.family.name == name)


def test_backfilled_samples_are_the_model(demo_world: DemoWorld) -> None:
    assert demo_world.history is not None
    series = _one_request_series()
    at = demo_world.history.last - 3 * HOUR
    at -= at % 60  # on the 60s grid of the history
    [result] = query(demo_world.prometheus_url, _selector(series), at=at)
    assert float(result["value"][1]) == series.value_at(at)


def test_live_scrapes_continue_the_history(demo_world: DemoWorld) -> None:
    series = _one_request_series()
    window = f"{_selector(series)}[2m]"
    # The world is shared by the session: look at the two minutes around its
    # Prometheus's start, which hold both backfill and live scrapes however
    # long ago that was.
    at = min(time.time(), demo_world.prometheus_started_at + 60)
    [result] = _api(demo_world, "/api/v1/query", query=window, time=f"{at:.3f}")["result"]
    samples = [(float(t), float(v)) for t, v in result["values"]]
    live = [(t, v) for t, v in samples if t > demo_world.prometheus_started_at]
    history = [(t, v) for t, v in samples if t <= demo_world.prometheus_started_at]
    assert live
    assert history
    rate = series.value_at(live[-1][0]) - series.value_at(live[-1][0] - 60)
    for t, value in live:
        # The exporter reads its own clock a moment after Prometheus stamps the scrape.
        assert value == pytest.approx(series.value_at(t), abs=max(2.0, rate / 60))


def test_payment_errors_a_lot_and_the_rest_do_not(demo_world: DemoWorld) -> None:
    ratios = _by(
        query(demo_world.prometheus_url, ERROR_RATIO, at=time.time() - 2 * HOUR), "service"
    )
    assert set(ratios) == {s.name for s in SERVICES}
    assert ratios.pop("payment") == pytest.approx(0.08, abs=0.01)
    assert max(ratios.values()) < 0.02


def test_one_pod_is_near_its_memory_limit(demo_world: DemoWorld) -> None:
    result = query(
        demo_world.prometheus_url,
        "container_memory_usage_bytes / container_spec_memory_limit_bytes > 0.9",
    )
    assert [(r["metric"]["namespace"], r["metric"]["pod"]) for r in result] == [
        ("production", "cache-0")
    ]


def _cpu_by_service(world: DemoWorld, at: float) -> dict[str, float]:
    """Each service's average CPU over the five minutes before `at`, from the samples
    themselves: the counter's increase (resets counted as rate() counts them) over the
    time between its first and last sample. rate() would extrapolate a window whose
    first or last sample is over 1.1 scrape intervals from its edge by only half an
    interval, and on a loaded CI machine the exporter misses scrapes: every service
    read ~10% low together (catalog 0.82), a gap in the scrapes, not the world."""
    rows = query(world.prometheus_url, "container_cpu_usage_seconds_total[5m]", at=at)
    per_pod: dict[str, list[float]] = {}
    for series in rows:
        samples = [(float(t), float(v)) for t, v in series["values"]]
        assert len(samples) >= 2, series["metric"]
        increase = sum(b - a if b >= a else b for (_, a), (_, b) in pairwise(samples))
        seconds = samples[-1][0] - samples[0][0]
        per_pod.setdefault(series["metric"]["service"], []).append(increase / seconds)
    return {service: sum(rates) / len(rates) for service, rates in per_pod.items()}


def test_catalog_runs_hot_now_and_an_hour_ago(demo_world: DemoWorld) -> None:
    # Now: the 5m window spans history and live scrapes; it must not read low.
    for at in (time.time(), time.time() - HOUR):
        cpu = _cpu_by_service(demo_world, at)
        assert cpu.pop("catalog") > 0.85
        assert max(cpu.values()) < 0.7


def test_latency_histogram_answers_quantiles(demo_world: DemoWorld) -> None:
    promql = (
        "histogram_quantile(0.95, sum by (service, le) "
        '(rate(http_request_duration_seconds_bucket{namespace="production"}[5m])))'
    )
    p95 = _by(query(demo_world.prometheus_url, promql), "service")
    assert p95["cache"] < 0.01
    assert p95["payment"] > p95["auth"]
    assert p95["catalog"] > 0.25
