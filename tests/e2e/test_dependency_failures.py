"""Dead dependencies: a clear, shaped error or an honest health report, quickly —
never a hang. A stack of its own, whose parts this module stops one by one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from obsai_devstack.stack import Stack, StackOptions, running_stack
from tests.e2e.conftest import ADMIN_PASSWORD, JWT_SECRET, trigger_discovery

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
