"""Dead dependencies: a clear, shaped error or an honest health report, quickly —
never a hang. A stack of its own, whose parts this module stops one by one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from obsai_devstack.processes import free_port
from obsai_devstack.stack import Stack, StackOptions, running_stack
from tests.e2e.conftest import ADMIN_PASSWORD, JWT_SECRET, trigger_discovery
from tests.support.silent_server import SilentServer

# A hang fails these calls (client timeout) rather than merely slowing the test.
TIMEOUT = 15


@pytest.fixture(scope="module")
def doomed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    work_dir: Path = tmp_path_factory.mktemp("doomed")
    options = StackOptions(
        work_dir=work_dir,
        demo_world=True,
        env={
            "OBSAI_ADMIN_PASSWORD": ADMIN_PASSWORD,
            "JWT_SECRET": JWT_SECRET,
            "BCRYPT_ROUNDS": "4",
        },
    )
    with running_stack(options) as stack:
        yield stack


@pytest.fixture(scope="module")
def admin(doomed: Stack) -> dict[str, str]:
    login = httpx.post(
        f"{doomed.url}/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD}
    )
    token = login.json()["access_token"]
    trigger_discovery(doomed, token)
    return {"Authorization": f"Bearer {token}"}


def test_prometheus_down_is_a_fast_502_that_still_shows_the_promql(
    doomed: Stack, admin: dict[str, str]
) -> None:
    assert doomed.demo is not None
    doomed.demo.close()
    response = httpx.post(
        f"{doomed.url}/query",
        json={"query": "How much memory is the payment service using?", "no_cache": True},
        headers=admin,
        timeout=TIMEOUT,
    )
    assert response.status_code == 502, response.text
    error = response.json()["error"]
    assert error["code"] == "UPSTREAM_ERROR"
    assert "container_memory_usage_bytes" in error["details"]["promql"]


def test_prometheus_down_is_unhealthy_with_503(doomed: Stack) -> None:
    response = httpx.get(f"{doomed.url}/health", timeout=TIMEOUT)
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unhealthy"
    assert body["components"]["prometheus"] == "unhealthy"
    assert body["components"]["database"] == "healthy"
    # The query service cannot answer without Prometheus: it says so of itself.
    details = httpx.get(f"{doomed.url}/api/v1/health", timeout=TIMEOUT).json()
    assert details["services"]["query"]["status"] == "unhealthy"
    assert details["services"]["auth"]["status"] == "healthy"


def test_a_dead_service_shows_in_detailed_health(doomed: Stack) -> None:
    doomed.services["discovery"].stop()
    body = httpx.get(f"{doomed.url}/api/v1/health", timeout=TIMEOUT).json()
    assert body["services"]["discovery"]["status"] == "unhealthy"
    assert body["services"]["auth"]["status"] == "healthy"


def test_redis_down_shows_and_auth_fails_closed(doomed: Stack, admin: dict[str, str]) -> None:
    assert doomed.redis_server is not None
    doomed.redis_server.stop()
    health = httpx.get(f"{doomed.url}/api/v1/health", timeout=TIMEOUT).json()
    assert health["components"]["redis"]["status"] == "unhealthy"
    assert health["components"]["redis"]["message"]
    # Sessions and rate limits live in Redis; the default is to fail closed.
    refused = httpx.get(f"{doomed.url}/api/v1/whoami", headers=admin, timeout=TIMEOUT)
    assert refused.status_code == 503
    assert refused.json()["error"]["code"] == "UNAVAILABLE"


# ---- dependencies that accept a connection and then never answer ----------------


@pytest.fixture(scope="module")
def silent() -> Iterator[SilentServer]:
    with SilentServer() as server:
        yield server


@pytest.fixture(scope="module")
def stalled(
    stack: Stack, silent: SilentServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    """The query service alone behind Envoy (the session stack's database and
    Redis), asking Prometheus and the other three services at the silent server."""
    options = StackOptions(
        work_dir=tmp_path_factory.mktemp("stalled"),
        database_url=stack.database_url,
        redis_url=stack.redis_url,
        prometheus_url=silent.url,
        services=("query",),
        env={
            "OBSAI_INTERNAL_SECRET": stack.internal_secret,
            **{f"{name.upper()}_ADDR": silent.address for name in ("auth", "catalog", "discovery")},
        },
    )
    with running_stack(options) as stalled:
        yield stalled


def test_a_silent_dependency_is_unhealthy_not_a_hang(stalled: Stack, silent: SilentServer) -> None:
    response = httpx.get(f"{stalled.url}/api/v1/health", timeout=TIMEOUT)
    assert response.status_code == 503, response.text
    body = response.json()
    assert body["status"] == "unhealthy"
    prometheus = body["components"]["prometheus"]
    assert prometheus["status"] == "unhealthy"
    assert "no answer within" in prometheus["message"]
    assert body["components"]["database"]["status"] == "healthy"
    assert body["components"]["redis"]["status"] == "healthy"
    for name in ("auth", "catalog", "discovery"):
        service = body["services"][name]
        assert service["status"] == "unhealthy", body["services"]
        assert "no answer within" in service["message"]
    # They really connected and were left waiting (gRPC channels to one
    # address may share a connection).
    assert silent.connections >= 2


def test_a_silent_prometheus_makes_health_a_prompt_503(stalled: Stack) -> None:
    response = httpx.get(f"{stalled.url}/health", timeout=TIMEOUT)
    assert response.status_code == 503, response.text
    assert response.json()["components"]["prometheus"] == "unhealthy"


# ---- Claude configured, its endpoint dead ----------------------------------------


@pytest.fixture(scope="module")
def claude_down(
    stack: Stack, discovered: dict[str, object], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    """Auth, catalog and query with an API key and a Claude endpoint where nothing
    listens; everything else is the session stack's (database, Redis, the demo
    world's Prometheus, its discovered catalog and its discovery service)."""
    options = StackOptions(
        work_dir=tmp_path_factory.mktemp("claude-down"),
        database_url=stack.database_url,
        redis_url=stack.redis_url,
        prometheus_url=stack.prometheus_url,
        services=("auth", "catalog", "query"),
        env={
            "OBSAI_ADMIN_PASSWORD": ADMIN_PASSWORD,
            "OBSAI_INTERNAL_SECRET": stack.internal_secret,
            "JWT_SECRET": JWT_SECRET,
            "BCRYPT_ROUNDS": "4",
            "DISCOVERY_ADDR": stack.services["discovery"].address,
            "ANTHROPIC_API_KEY": "sk-ant-test-dead-endpoint",
            "ANTHROPIC_BASE_URL": f"http://127.0.0.1:{free_port()}",
        },
    )
    with running_stack(options) as claude_down:
        yield claude_down


def test_claude_unreachable_is_degraded_not_an_error(claude_down: Stack) -> None:
    response = httpx.get(f"{claude_down.url}/health", timeout=TIMEOUT)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "degraded"
    assert body["components"] == {
        "database": "healthy",
        "redis": "healthy",
        "claude_api": "unhealthy",
        "prometheus": "healthy",
    }
    details = httpx.get(f"{claude_down.url}/api/v1/health", timeout=TIMEOUT).json()
    assert details["status"] == "degraded"
    assert details["components"]["claude_api"]["message"]


def test_claude_unreachable_still_answers_with_the_planner(claude_down: Stack) -> None:
    login = httpx.post(
        f"{claude_down.url}/auth/login",
        json={"username": "admin", "password": ADMIN_PASSWORD},
        timeout=TIMEOUT,
    )
    assert login.status_code == 200, login.text
    response = httpx.post(
        f"{claude_down.url}/query",
        json={"query": "How much memory is the payment service using?", "no_cache": True},
        headers={"Authorization": f"Bearer {login.json()['access_token']}"},
        timeout=60,
    )
    assert response.status_code == 200, response.text
    assert response.json()["engine"].startswith("planner (fallback:")
