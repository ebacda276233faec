"""Fixtures: a real auth server (real PostgreSQL and Redis) on port 0."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from auth_harness import Harness, ServerFactory, server_factory


@pytest.fixture
def start_auth(database_url: str, redis_url: str) -> ServerFactory:
    return server_factory(database_url, redis_url)


@pytest.fixture
async def auth(start_auth: ServerFactory) -> AsyncIterator[Harness]:
    async with start_auth() as harness:
        yield harness
