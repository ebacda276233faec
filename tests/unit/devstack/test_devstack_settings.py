"""What `make run` takes from the environment: the gateway's own settings
(CORS origins) and where each listener goes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from obsai_devstack.__main__ import DEFAULT_PORTS, service_ports
from obsai_devstack.envoy import EXT_AUTHZ, EnvoyGateway
from obsai_gateway.config import build_config
from obsai_gateway.settings import GatewaySettings


def _allowed_origins(config: dict[str, Any]) -> list[dict[str, Any]]:
    manager = config["static_resources"]["listeners"][0]["filter_chains"][0]["filters"][0]
    host = manager["typed_config"]["route_config"]["virtual_hosts"][0]
    matchers: list[dict[str, Any]] = host["typed_per_filter_config"]["envoy.filters.http.cors"][
        "allow_origin_string_match"
    ]
    return matchers


def test_gateway_cors_origins_come_from_the_gateway_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GATEWAY_CORS_ORIGINS", "https://console.example.com, http://localhost:5173")
    gateway = EnvoyGateway(tmp_path, {"query": "127.0.0.1:50053"})
    assert _allowed_origins(build_config(gateway.settings)) == [
        {"exact": "https://console.example.com"},
        {"exact": "http://localhost:5173"},
    ]


def test_gateway_cors_origins_default_to_the_documented_ones(tmp_path: Path) -> None:
    gateway = EnvoyGateway(tmp_path, {})
    default = GatewaySettings.model_fields["cors_origins"].default
    assert gateway.settings.cors_origins == default
    assert _allowed_origins(build_config(gateway.settings)) == [
        {"exact": "http://localhost:3000"},
        {"exact": "http://127.0.0.1:3000"},
    ]


def test_gateway_any_origin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEWAY_CORS_ORIGINS", "*")
    gateway = EnvoyGateway(tmp_path, {})
    assert _allowed_origins(build_config(gateway.settings)) == [{"safe_regex": {"regex": ".*"}}]


def test_ports_default_to_the_documented_ones() -> None:
    assert service_ports({}) == {
        "auth": 50051,
        "catalog": 50052,
        "query": 50053,
        "discovery": 50054,
        EXT_AUTHZ: 50061,
    }


def test_ports_follow_the_address_settings() -> None:
    ports = service_ports(
        {"QUERY_ADDR": "127.0.0.1:6053", "AUTH_EXT_AUTHZ_ADDR": "localhost:6061", "AUTH_ADDR": ""}
    )
    assert ports == {**DEFAULT_PORTS, "query": 6053, EXT_AUTHZ: 6061}


def test_port_zero_means_any_free_port() -> None:
    assert service_ports({"CATALOG_ADDR": "127.0.0.1:0"})["catalog"] == 0


@pytest.mark.parametrize("address", ["127.0.0.1", "127.0.0.1:http", "127.0.0.1:70000"])
def test_a_malformed_address_stops_make_run(address: str) -> None:
    with pytest.raises(SystemExit, match="DISCOVERY_ADDR"):
        service_ports({"DISCOVERY_ADDR": address})
