"""The demo model on its own: pure functions, no processes."""

from __future__ import annotations

import io
import itertools
import math
import os
import subprocess
import sys

import pytest
from prometheus_client.utils import floatToGoString

from obsai_demo import model
from obsai_demo.backfill import TAIL_SECONDS, timestamps, write_openmetrics
from obsai_demo.estate import SERVICES, build_pods
from obsai_demo.series import (
    BUCKET_LABELS,
    CPU,
    DURATION,
    REQUESTS,
    FamilySeries,
    HistogramSeries,
    Series,
    build_families,
)

# A fixed moment (2026-06-01T12:00:00Z) so every run checks the same numbers.
T = 1_780_315_200.0
HOUR = 3600.0


def _family(name: str) -> FamilySeries:
    return next(f for f in build_families() if f.family.name == name)


def _scalar(name: str, **labels: str) -> Series:
    family = _family(name)
    names = family.family.label_names
    for series in family.series:
        assert isinstance(series, Series)
        if all(series.label_values[names.index(k)] == v for k, v in labels.items()):
            return series
    raise AssertionError(f"no {name} series with {labels}")


def _service_rate(service: str, t: float, status_prefix: str = "") -> float:
    """Requests per second of a service over the minute before t, from its counters."""
    total = 0.0
    status_index = REQUESTS.label_names.index("status")
    for series in _family(REQUESTS.name).series:
        assert isinstance(series, Series)
        if series.service == service and series.label_values[status_index].startswith(
            status_prefix
        ):
            total += series.value_at(t) - series.value_at(t - 60)
    return total / 60


def test_wave_integral_is_the_antiderivative_of_its_rate() -> None:
    wave = model.requests_wave(build_pods()[0], SERVICES[0].endpoints[0])
    h = 0.5
    numeric = (wave.integral(T + h) - wave.integral(T - h)) / (2 * h)
    assert numeric == pytest.approx(wave.at(T), rel=1e-6)
    assert wave.integral(model.EPOCH) == 0.0


def test_counters_rise_and_reset_only_when_the_container_restarts() -> None:
    pod = build_pods()[0]
    wave, offset = model.cpu_wave(pod), model.restart_offset(pod)
    start = model.last_start(T, offset)
    assert model.counter(wave, offset, start) == 0.0
    values = [model.counter(wave, offset, start + k * 600.0) for k in range(1, 200)]
    assert all(b > a for a, b in itertools.pairwise(values))
    assert model.last_start(start + model.RESTART_PERIOD - 1, offset) == start


def test_daily_cycle_peaks_in_the_afternoon() -> None:
    day_start = T - T % model.DAY
    peak = model.Wave(1.0, (model.daily(0.4),))
    assert peak.at(day_start + model.PEAK_HOUR_UTC * HOUR) == pytest.approx(1.4)
    assert peak.at(day_start + (model.PEAK_HOUR_UTC - 12) * HOUR) == pytest.approx(0.6)


def test_same_inputs_give_the_same_values() -> None:
    first, second = build_families(), build_families()
    for a, b in zip(first, second, strict=True):
        for sa, sb in zip(a.series, b.series, strict=True):
            assert sa.label_values == sb.label_values
            if isinstance(sa, HistogramSeries):
                assert isinstance(sb, HistogramSeries)
                assert sa.at(T) == sb.at(T)
            else:
                assert isinstance(sb, Series)
                assert sa.value_at(T) == sb.value_at(T)


def test_values_do_not_depend_on_the_process() -> None:
    # Python's hash() differs per process; the model must not lean on it.
    code = (
        "from obsai_demo.series import build_families;"
        f"print(repr(build_families()[0].series[5].value_at({T})))"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    ).stdout.strip()
    series = build_families()[0].series[5]
    assert isinstance(series, Series)
    assert out == repr(series.value_at(T))


def test_pod_names_are_stable() -> None:
    # Changing them would split the history kept in an existing data directory.
    pods = [(pod.namespace, pod.name) for pod in build_pods()]
    assert pods[0] == ("production", "frontend-xr2bsq6lqw-t98p8")
    # StatefulSet pods are named by ordinal, unique within their namespace.
    assert ("staging", "database-0") in pods
    assert len(pods) == len(set(pods)) == 40


def test_histogram_buckets_are_cumulative_and_match_the_count() -> None:
    for series in _family(DURATION.name).series:
        assert isinstance(series, HistogramSeries)
        now, before = series.at(T), series.at(T - HOUR)
        assert list(now.buckets) == sorted(now.buckets)
        assert now.buckets[-1] == now.count
        if model.last_start(T, series.restart_offset) < T - HOUR:
            assert all(a <= b for a, b in zip(before.buckets, now.buckets, strict=True))


def test_bucket_labels_are_written_like_prometheus_client() -> None:
    written = tuple(floatToGoString(b) for b in model.BUCKET_BOUNDS)  # type: ignore[no-untyped-call]
    assert written == BUCKET_LABELS


def test_payment_fails_eight_percent_and_the_others_are_healthy() -> None:
    for service in SERVICES:
        ratio = _service_rate(service.name, T, "5") / _service_rate(service.name, T)
        if service.name == "payment":
            assert ratio == pytest.approx(0.08, abs=0.005)
        else:
            assert ratio < 0.02, service.name


def test_one_cache_pod_is_near_its_memory_limit_all_day() -> None:
    for hour in range(24):
        t = T + hour * HOUR
        full = []
        for pod in build_pods():
            used = model.whole_pages(model.memory_wave(pod).at(t))
            if used / pod.service.memory_limit_bytes > 0.9:
                full.append((pod.namespace, pod.name, used / pod.service.memory_limit_bytes))
        assert [(ns, name) for ns, name, _ in full] == [("production", "cache-0")]
        assert 0.92 < full[0][2] < 0.945


def test_catalog_burns_cpu_and_nothing_else_does() -> None:
    for hour in range(0, 24, 3):
        t = T + hour * HOUR
        for pod in build_pods():
            cores = model.cpu_wave(pod).at(t)
            if pod.service.name == "catalog":
                assert cores > 0.85
            else:
                assert cores < 0.7, pod.name


def test_latency_quantiles_follow_the_profile() -> None:
    payment = next(s for s in SERVICES if s.name == "payment")
    post = payment.endpoints[0]
    p50 = model.latency_quantile(post, payment.latency_sigma, 0.5)
    p95 = model.latency_quantile(post, payment.latency_sigma, 0.95)
    assert p50 == pytest.approx(post.median_seconds)
    expected = post.median_seconds * math.exp(1.6449 * payment.latency_sigma)
    assert p95 == pytest.approx(expected, rel=1e-4)


def test_timestamps_cover_the_span_with_a_fine_tail() -> None:
    coarse = timestamps(T, 24, 60)
    assert coarse[0] == T - 24 * HOUR
    assert coarse[-1] == T
    assert {b - a for a, b in itertools.pairwise(coarse)} == {60}
    tailed = timestamps(T + 7, 1, 60, tail_step=15)
    gaps = [b - a for a, b in itertools.pairwise(tailed)]
    assert tailed[-1] == T + 7
    assert gaps.count(15) == TAIL_SECONDS // 15
    assert set(gaps) == {60, 7, 15}  # 7: from the 60s grid onto the tail's


def test_openmetrics_history_is_well_formed() -> None:
    out = io.StringIO()
    families = (_family(CPU.name),)
    samples = write_openmetrics(out, (int(T),), instance="demo", families=families)
    lines = out.getvalue().splitlines()
    assert lines[:3] == [
        "# TYPE container_cpu_usage_seconds counter",
        "# UNIT container_cpu_usage_seconds seconds",
        "# HELP container_cpu_usage_seconds Cumulative cpu time consumed in seconds.",
    ]
    assert lines[-1] == "# EOF"
    assert samples == 40 + 20  # a CPU series per pod, and `up` per demo target
    first = lines[3]
    assert first.startswith('container_cpu_usage_seconds_total{service="frontend",')
    assert 'job="frontend",instance="demo"}' in first
    assert first.endswith(f" {int(T)}")
