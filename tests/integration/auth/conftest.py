"""Fixtures: a real auth server (real PostgreSQL and Redis) on port 0."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import pytest
from auth_harness import Harness, ServerFactory, server_factory

from obsai_auth.settings import AuthSettings


@pytest.fixture(autouse=True)
def _no_auth_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's shell must not change the settings under test."""
    names = {name.upper() for name in AuthSettings.model_fields}
    for name in list(os.environ):
        if name.upper() in names:
            monkeypatch.delenv(name)


@pytest.fixture
def start_auth(database_url: str, redis_url: str) -> ServerFactory:
    return server_factory(database_url, redis_url)


@pytest.fixture
async def auth(start_auth: ServerFactory) -> AsyncIterator[Harness]:
    async with start_auth() as harness:
        yield harness
