"""Unit fixtures: the auth domain over in-memory fakes, and a clean environment."""

from __future__ import annotations

import os

import pytest
from auth_world import World, build_world

from obsai_auth.settings import AuthSettings


@pytest.fixture(autouse=True)
def _no_auth_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    names = {name.upper() for name in AuthSettings.model_fields}
    for name in list(os.environ):
        if name.upper() in names:
            monkeypatch.delenv(name)


@pytest.fixture
def world() -> World:
    return build_world()
