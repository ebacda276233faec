"""The gateway's contract with REST clients: health, one error shape, CORS,
header hygiene. Everything goes through the real Envoy."""

from __future__ import annotations

import httpx
import pytest

ERROR_KEYS = {"code", "message"}


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    assert ERROR_KEYS <= set(body["error"]) <= ERROR_KEYS | {"details"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str)
    assert body["error"]["message"]
    return dict(body["error"])


def test_health_checks_every_component_for_real(gateway: httpx.Client) -> None:
    response = gateway.get("/health")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "healthy"
    assert body["components"] == {
        "database": "healthy",
        "redis": "healthy",
        "claude_api": "not_configured",
        "prometheus": "healthy",
    }
    assert body["timestamp"].endswith("Z")


def test_detailed_health_has_every_service_with_latency(gateway: httpx.Client) -> None:
    body = gateway.get("/api/v1/health").json()
    assert set(body["services"]) == {"auth", "catalog", "discovery"}
    for component in [*body["components"].values(), *body["services"].values()]:
        assert component["latency_ms"] >= 0
    assert all(s["status"] == "healthy" for s in body["services"].values())


def test_unknown_route_is_a_shaped_404(gateway: httpx.Client) -> None:
    assert_error(gateway.get("/no/such/route"), 404, "NOT_FOUND")


def test_wrong_method_on_a_known_path_is_a_shaped_404(gateway: httpx.Client) -> None:
    assert_error(gateway.delete("/health"), 404, "NOT_FOUND")


def test_malformed_body_is_a_shaped_400(gateway: httpx.Client) -> None:
    response = gateway.post(
        "/auth/login", content=b'{"username": "a",', headers={"content-type": "application/json"}
    )
    assert_error(response, 400, "INVALID_ARGUMENT")


def test_unknown_body_field_is_a_shaped_400(gateway: httpx.Client) -> None:
    response = gateway.post("/auth/login", json={"username": "a", "password": "b", "role": "admin"})
    assert_error(response, 400, "INVALID_ARGUMENT")


def test_unknown_query_parameter_is_a_shaped_400(gateway: httpx.Client) -> None:
    assert_error(gateway.get("/api/v1/ping", params={"bogus": "1"}), 400, "INVALID_ARGUMENT")


def test_upstream_errors_are_shaped_with_stable_codes(gateway: httpx.Client) -> None:
    response = gateway.post("/auth/login", json={"username": "nobody", "password": "wrong-pass"})
    assert_error(response, 401, "UNAUTHENTICATED")


def test_missing_credentials_are_a_shaped_401(gateway: httpx.Client) -> None:
    assert_error(gateway.get("/history"), 401, "UNAUTHENTICATED")


@pytest.mark.parametrize("path", ["/health", "/api/v1/ping", "/no/such/route", "/history"])
def test_no_grpc_or_internal_headers_leak(gateway: httpx.Client, path: str) -> None:
    response = gateway.get(path)
    leaked = [h for h in response.headers if h.startswith("grpc-") or h == "x-obsai-identity"]
    assert leaked == []
    assert "x-envoy-upstream-service-time" not in response.headers


def test_cors_preflight_for_an_allowed_origin(gateway: httpx.Client) -> None:
    response = gateway.options(
        "/query",
        headers={
            "Origin": "http://localhost:3000",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "http://localhost:3000"
    assert "POST" in response.headers["access-control-allow-methods"]
    assert "authorization" in response.headers["access-control-allow-headers"]


def test_cors_preflight_for_another_origin_is_not_allowed(gateway: httpx.Client) -> None:
    response = gateway.options(
        "/query",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert "access-control-allow-origin" not in response.headers


def test_cors_headers_on_a_real_response(gateway: httpx.Client) -> None:
    response = gateway.get("/health", headers={"Origin": "http://localhost:3000"})
    assert response.headers["access-control-allow-origin"] == "http://localhost:3000"
    assert "x-ratelimit-remaining" in response.headers["access-control-expose-headers"]
