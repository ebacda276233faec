"""What makes two questions share a cached answer, and what never does."""

from __future__ import annotations

from obsai_query.cache import cache_key
from obsai_query.question import normalise


def key(**overrides: object) -> str:
    params: dict[str, object] = {
        "question": normalise("What is the CPU usage of auth?"),
        "tenant": "team-a",
        "window_key": "instant:now",
        "catalog_version": 7,
        "engine_mode": "planner",
    }
    params.update(overrides)
    return cache_key(**params)  # type: ignore[arg-type]


def test_same_question_differently_typed_shares_a_key() -> None:
    assert key() == key(question=normalise("  what is the cpu usage of AUTH "))


def test_every_part_of_the_key_matters() -> None:
    base = key()
    assert key(tenant="team-b") != base
    assert key(window_key="relative:1h") != base
    assert key(catalog_version=8) != base
    assert key(engine_mode="claude:claude-sonnet-4-6") != base
    assert key(question=normalise("What is the CPU usage of payment?")) != base


def test_key_is_opaque_and_prefixed() -> None:
    assert key().startswith("obsai:query:answer:")
    assert "auth" not in key()
