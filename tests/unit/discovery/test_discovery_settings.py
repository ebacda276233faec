"""Discovery configuration from the environment, and scan reports."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from obsai_discovery.records import ScanReport
from obsai_discovery.scheduler import combine, report_from_json, report_to_json
from obsai_discovery.settings import DiscoverySettings, SourceConfig


def test_defaults() -> None:
    settings = DiscoverySettings()
    assert settings.grpc_port == 50054
    assert settings.discovery_interval_seconds == 300
    assert settings.discovery_service_labels == ["service", "app", "application", "job"]
    (source,) = settings.sources()
    assert source.display_name == "http://127.0.0.1:9090"


def test_lists_from_commas_or_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISCOVERY_SERVICE_LABELS", "app, service")
    monkeypatch.setenv("DISCOVERY_EXCLUDE", '["go_.*", "x{1,2}"]')
    settings = DiscoverySettings()
    assert settings.discovery_service_labels == ["app", "service"]
    assert settings.discovery_exclude == ["go_.*", "x{1,2}"]


def test_a_bad_exclusion_pattern_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISCOVERY_EXCLUDE", "(unclosed")
    with pytest.raises(ValidationError, match="DISCOVERY_EXCLUDE"):
        DiscoverySettings()


def test_a_mimir_source_and_several_tenants(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROMETHEUS_URL", "https://mimir.example:8080/")
    monkeypatch.setenv("PROMETHEUS_PATH_PREFIX", "/prometheus")
    monkeypatch.setenv("PROMETHEUS_TENANT", "team-a")
    monkeypatch.setenv("PROMETHEUS_BEARER_TOKEN", "secret")
    (source,) = DiscoverySettings().sources()
    assert source.display_name == "https://mimir.example:8080/prometheus#team-a"
    assert "secret" not in repr(source)

    monkeypatch.setenv(
        "DISCOVERY_SOURCES",
        '[{"url": "http://m:8080", "path_prefix": "/prometheus", "tenant": "a"},'
        ' {"url": "http://m:8080", "path_prefix": "/prometheus", "tenant": "b", "name": "B"}]',
    )
    names = [s.display_name for s in DiscoverySettings().sources()]
    assert names == ["http://m:8080/prometheus#a", "B"]


def test_reports_round_trip_and_combine() -> None:
    started = datetime(2026, 1, 1, tzinfo=UTC)
    a = ScanReport("s1", "a", started, started, 1.0, 2, 10, 100, 4, 1, [], True)
    b = ScanReport("s1", "b", started, started, 2.0, 1, 5, 50, 3, 0, ["boom"], False)
    assert report_from_json(report_to_json(a)) == a
    both = combine([a, b])
    assert (both.source, both.metrics, both.http_requests, both.success) == ("a,b", 15, 7, False)
    assert both.errors == ["b: boom"]
    assert combine([a]) is a


def test_source_defaults() -> None:
    assert SourceConfig().tls_verify
