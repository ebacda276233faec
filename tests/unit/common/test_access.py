"""Authorization is declared once, on the RPCs, and both views of it agree."""

from __future__ import annotations

import pytest

from obsai_common.access import Access, http_routes, method_rules, rule_for_http, rule_for_method


def test_every_rpc_declares_its_access() -> None:
    rules = method_rules()
    assert len(rules) >= 30
    assert all(rule.access in Access for rule in rules.values())


@pytest.mark.parametrize(
    ("verb", "path", "method", "access"),
    [
        ("GET", "/health", "/obsai.v1.SystemService/GetHealth", Access.PUBLIC),
        ("GET", "/api/v1/health", "/obsai.v1.SystemService/GetHealthDetails", Access.PUBLIC),
        ("POST", "/auth/register", "/obsai.v1.AuthService/Register", Access.PUBLIC),
        ("POST", "/auth/login", "/obsai.v1.AuthService/Login", Access.PUBLIC),
        ("POST", "/query", "/obsai.v1.QueryService/Query", Access.USER),
        ("GET", "/history?page.page_size=5", "/obsai.v1.QueryService/ListHistory", Access.USER),
        ("GET", "/services", "/obsai.v1.CatalogService/ListServices", Access.USER),
        (
            "GET",
            "/services/checkout/metrics",
            "/obsai.v1.CatalogService/ListServiceMetrics",
            Access.USER,
        ),
        ("GET", "/metrics", "/obsai.v1.CatalogService/ListMetrics", Access.USER),
        ("POST", "/metrics:search", "/obsai.v1.CatalogService/SearchMetrics", Access.USER),
        ("GET", "/metrics/up", "/obsai.v1.CatalogService/GetMetric", Access.USER),
        ("GET", "/admin/api-keys", "/obsai.v1.AuthService/ListApiKeys", Access.ADMIN),
        ("POST", "/admin/api-keys", "/obsai.v1.AuthService/CreateApiKey", Access.ADMIN),
        ("PUT", "/admin/api-keys/k1", "/obsai.v1.AuthService/UpdateApiKey", Access.ADMIN),
        ("DELETE", "/admin/api-keys/k1", "/obsai.v1.AuthService/RevokeApiKey", Access.ADMIN),
        ("GET", "/admin/users/u1/usage", "/obsai.v1.AuthService/GetUserUsage", Access.ADMIN),
        (
            "POST",
            "/admin/discovery/trigger",
            "/obsai.v1.DiscoveryService/TriggerDiscovery",
            Access.ADMIN,
        ),
    ],
)
def test_seed_routes_map_to_rpcs(verb: str, path: str, method: str, access: Access) -> None:
    rule = rule_for_http(verb, path)
    assert rule is not None
    assert rule.method == method
    assert rule.access is access
    assert rule_for_method(method) == rule


@pytest.mark.parametrize(
    ("verb", "path"),
    [
        ("GET", "/nope"),
        ("POST", "/health"),
        ("GET", "/services/a/b/c"),
        ("DELETE", "/query"),
        ("POST", "/obsai.v1.QueryService/Query"),
    ],
)
def test_undeclared_routes_have_no_rule(verb: str, path: str) -> None:
    assert rule_for_http(verb, path) is None


def test_internal_rpcs_have_no_rest_route() -> None:
    internal = {r.method for r in method_rules().values() if r.access is Access.INTERNAL}
    routed = {route.rule.method for route in http_routes()}
    assert internal
    assert not internal & routed


def test_non_grpc_methods_are_not_governed() -> None:
    assert rule_for_method("/grpc.health.v1.Health/Check") is None
