"""Family and type resolution: metadata first, conventions only where it is missing."""

from __future__ import annotations

import pytest

from obsai_discovery.families import Metadata, convention, reconcile, resolve, unit_of
from obsai_discovery.records import FamilyInfo, MetricType, TypeSource

C, G, H, S, U = (
    MetricType.COUNTER,
    MetricType.GAUGE,
    MetricType.HISTOGRAM,
    MetricType.SUMMARY,
    MetricType.UNKNOWN,
)
META, CONV = TypeSource.METADATA, TypeSource.CONVENTION

METADATA = {
    # OpenMetrics: counters keyed without _total.
    "orders": Metadata("counter", "Orders placed.", ""),
    # Classic text format: keyed with _total.
    "legacy_hits_total": Metadata("counter", "Hits.", ""),
    "latency_seconds": Metadata("histogram", "Latency.", ""),
    "rpc_seconds": Metadata("summary", "RPC time.", ""),
    "queue_depth": Metadata("gauge", "Queue depth.", ""),
    "build": Metadata("info", "Build information.", ""),
    "temperature": Metadata("gauge", "Temperature.", "celsius"),
    "queue_wait_seconds": Metadata("gaugehistogram", "Waiting.", "minutes"),
    "mystery": Metadata("unknown", "Who knows.", ""),
}


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("orders_total", FamilyInfo("orders", C, META, "Orders placed.", "")),
        ("orders_created", FamilyInfo("orders", G, META, "Orders placed.", "seconds")),
        ("legacy_hits_total", FamilyInfo("legacy_hits_total", C, META, "Hits.", "")),
        ("latency_seconds_bucket", FamilyInfo("latency_seconds", H, META, "Latency.", "seconds")),
        ("latency_seconds_sum", FamilyInfo("latency_seconds", H, META, "Latency.", "seconds")),
        ("latency_seconds_count", FamilyInfo("latency_seconds", H, META, "Latency.", "seconds")),
        ("rpc_seconds", FamilyInfo("rpc_seconds", S, META, "RPC time.", "seconds")),
        ("rpc_seconds_sum", FamilyInfo("rpc_seconds", S, META, "RPC time.", "seconds")),
        ("rpc_seconds_count", FamilyInfo("rpc_seconds", S, META, "RPC time.", "seconds")),
        ("queue_depth", FamilyInfo("queue_depth", G, META, "Queue depth.", "")),
        ("build_info", FamilyInfo("build", G, META, "Build information.", "")),
        ("temperature", FamilyInfo("temperature", G, META, "Temperature.", "celsius")),
        (
            "queue_wait_seconds_bucket",
            FamilyInfo("queue_wait_seconds", H, META, "Waiting.", "minutes"),
        ),
        (
            "queue_wait_seconds_gcount",
            FamilyInfo("queue_wait_seconds", H, META, "Waiting.", "minutes"),
        ),
        ("mystery", FamilyInfo("mystery", U, META, "Who knows.", "")),
    ],
)
def test_metadata_families(name: str, expected: FamilyInfo) -> None:
    assert resolve(name, set(), METADATA) == expected


def test_a_suffix_of_the_wrong_type_is_not_claimed_by_metadata() -> None:
    # queue_depth is a gauge: queue_depth_total is not its counter.
    assert resolve("queue_depth_total", set(), METADATA).type_source is CONV


@pytest.mark.parametrize(
    ("name", "family", "kind"),
    [
        ("jobs_total", "jobs", C),
        ("wait_seconds_bucket", "wait_seconds", H),
        ("wait_seconds_sum", "wait_seconds", H),
        ("wait_seconds_count", "wait_seconds", H),
        ("rpc_seconds", "rpc_seconds", S),
        ("rpc_seconds_sum", "rpc_seconds", S),
        ("rpc_seconds_count", "rpc_seconds", S),
        ("lonely_count", "lonely_count", U),
        ("jobs_created", "jobs", G),
        ("temperature_celsius", "temperature_celsius", G),
        ("version_info", "version_info", G),
    ],
)
def test_conventions_use_the_sibling_names(name: str, family: str, kind: MetricType) -> None:
    names = {
        "jobs_total",
        "jobs_created",
        "wait_seconds_bucket",
        "wait_seconds_sum",
        "wait_seconds_count",
        "rpc_seconds",
        "rpc_seconds_sum",
        "rpc_seconds_count",
        "lonely_count",
    }
    info = resolve(name, names, {})
    assert (info.family, info.type, info.type_source) == (family, kind, CONV)


def test_prometheus_synthetic_series_get_their_documented_meaning() -> None:
    up = convention("up", set())
    assert (up.type, up.type_source) == (G, CONV)
    assert "last scrape" in up.help
    assert convention("scrape_duration_seconds", set()).unit == "seconds"


def test_units_from_names() -> None:
    assert unit_of("http_request_duration_seconds") == "seconds"
    assert unit_of("memory_bytes") == "bytes"
    assert unit_of("cpu_usage") == ""


def test_targets_that_disagree_are_reconciled_by_majority_then_order() -> None:
    entries = [
        {"type": "gauge", "help": "B", "unit": ""},
        {"type": "counter", "help": "A", "unit": ""},
        {"type": "counter", "help": "A", "unit": "bytes"},
        {"type": "counter", "help": "C", "unit": ""},
    ]
    assert reconcile(entries) == Metadata("counter", "A", "bytes")
    assert reconcile([{"type": "gauge", "help": ""}]) == Metadata("gauge", "", "")
