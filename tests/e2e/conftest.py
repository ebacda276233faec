"""One whole stack per session — PostgreSQL, Redis, the demo world, the four
services and Envoy — reached only through the gateway, as users reach it."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from obsai_devstack.stack import Stack, StackOptions, running_stack

ADMIN_PASSWORD = "e2e-admin-password-1"
JWT_SECRET = "e2e-jwt-secret-0123456789-abcdefghijklmnop"


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    options = StackOptions(
        work_dir=tmp_path_factory.mktemp("stack"),
        demo_world=True,
        env={
            "OBSAI_ADMIN_PASSWORD": ADMIN_PASSWORD,
            "JWT_SECRET": JWT_SECRET,
            "BCRYPT_ROUNDS": "4",
        },
    )
    with running_stack(options) as stack:
        yield stack


@pytest.fixture
def gateway(stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.url, timeout=30) as client:
        yield client


@pytest.fixture(scope="session")
def admin_token(stack: Stack) -> str:
    response = httpx.post(
        f"{stack.url}/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD}
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


@pytest.fixture(scope="session")
def discovered(stack: Stack, admin_token: str) -> dict[str, object]:
    """A discovery scan run now and waited for, so the catalog is complete."""
    return trigger_discovery(stack, admin_token)


def trigger_discovery(stack: Stack, admin_token: str) -> dict[str, object]:
    """Run a discovery scan now and wait for it."""
    response = httpx.post(
        f"{stack.url}/admin/discovery/trigger",
        json={"wait": True},
        headers={"Authorization": f"Bearer {admin_token}"},
        timeout=120,
    )
    assert response.status_code == 200, response.text
    return dict(response.json())
