"""The gateway's contract with REST clients: health, one error shape, CORS,
header hygiene. Everything goes through the real Envoy."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import grpc
import httpx
import pytest

from obsai.v1 import system_pb2, system_pb2_grpc
from obsai_devstack.envoy import EnvoyGateway
from obsai_devstack.processes import free_port

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
    # query is the replica that answered.
    assert set(body["services"]) == {"auth", "catalog", "query", "discovery"}
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


def assert_no_leak(response: httpx.Response) -> None:
    leaked = [h for h in response.headers if h.startswith("grpc-") or h == "x-obsai-identity"]
    assert leaked == []
    assert "x-envoy-upstream-service-time" not in response.headers


@pytest.mark.parametrize("path", ["/health", "/api/v1/ping", "/no/such/route", "/history"])
def test_no_grpc_or_internal_headers_leak(gateway: httpx.Client, path: str) -> None:
    assert_no_leak(gateway.get(path))


# Upstream errors: the service's gRPC status (and its ErrorInfo) travels in
# grpc-* headers that the gateway turns into the JSON error, then drops.
WRONG_PASSWORD = b'{"username": "admin", "password": "not-the-admin-password"}'
# case -> (method, path, JSON body, with the admin's token, HTTP status)
UPSTREAM_ERRORS: dict[str, tuple[str, str, bytes | None, bool, int]] = {
    "wrong password": ("POST", "/auth/login", WRONG_PASSWORD, False, 401),
    "malformed body": ("POST", "/auth/login", b'{"username": "a",', False, 400),
    "unknown service": ("GET", "/services/nope", None, True, 404),
}


@pytest.mark.parametrize("case", UPSTREAM_ERRORS)
def test_no_grpc_or_internal_headers_leak_on_upstream_errors(
    gateway: httpx.Client, admin_token: str, case: str
) -> None:
    method, path, body, authenticated, status = UPSTREAM_ERRORS[case]
    headers = {"content-type": "application/json"} if body is not None else {}
    if authenticated:
        headers["authorization"] = f"Bearer {admin_token}"
    response = gateway.request(method, path, content=body, headers=headers)
    assert response.status_code == status, response.text
    assert set(response.json()) == {"error"}
    assert_no_leak(response)


class _ChattyPing(system_pb2_grpc.SystemServiceServicer):  # type: ignore[misc]
    """A query upstream whose Ping sends grpc-* metadata of its own, which no
    fixed list of names knows: `fail` answers trailers-only (the metadata then
    arrives as response headers), `fail-late` after its headers."""

    def Ping(self, request: system_pb2.PingRequest, context: grpc.ServicerContext) -> Any:
        context.set_trailing_metadata((("grpc-obsai-trailer", "leak"),))
        if request.message != "fail":
            context.send_initial_metadata((("grpc-obsai-header", "leak"),))
        if request.message.startswith("fail"):
            context.abort(grpc.StatusCode.NOT_FOUND, "no such ping")
        return system_pb2.PingResponse(message=request.message or "pong")


@pytest.fixture(scope="module")
def chatty_gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    """A real Envoy, configured as the product's, in front of _ChattyPing."""
    port = free_port()
    envoy = EnvoyGateway(Path(tmp_path_factory.mktemp("chatty")), {"query": f"127.0.0.1:{port}"})
    # Envoy first: forking while a gRPC server's threads poll can abort the child.
    envoy.start()
    server = grpc.server(ThreadPoolExecutor(max_workers=2))
    try:
        system_pb2_grpc.add_SystemServiceServicer_to_server(_ChattyPing(), server)
        server.add_insecure_port(f"127.0.0.1:{port}")
        server.start()
        with httpx.Client(base_url=envoy.url, timeout=30) as client:
            yield client
    finally:
        server.stop(None)
        envoy.stop()


@pytest.mark.parametrize(("message", "status"), [("hi", 200), ("fail", 404), ("fail-late", 404)])
def test_every_grpc_header_is_dropped_not_only_known_ones(
    chatty_gateway: httpx.Client, message: str, status: int
) -> None:
    response = chatty_gateway.get("/api/v1/ping", params={"message": message})
    assert response.status_code == status, response.text
    if status != 200:
        assert_error(response, status, "NOT_FOUND")
    assert_no_leak(response)


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
