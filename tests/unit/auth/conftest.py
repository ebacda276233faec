"""Unit fixtures: the auth domain over in-memory fakes."""

from __future__ import annotations

import pytest
from auth_world import World, build_world


@pytest.fixture
def world() -> World:
    return build_world()
