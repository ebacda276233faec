"""A serving process leaves what it built at start out of the cyclic collector's work."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from obsai_common.server import freeze_startup_heap


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    try:
        yield
    finally:
        gc.unfreeze()


class _Cycle:
    def __init__(self) -> None:
        self.me = self


def test_what_lives_is_frozen_once_the_garbage_is_collected(unfrozen: None) -> None:
    kept = _Cycle()
    garbage = _Cycle()
    dropped = weakref.ref(garbage)
    del garbage
    assert gc.get_freeze_count() == 0
    freeze_startup_heap()
    assert dropped() is None  # collected first, not kept forever
    assert gc.get_freeze_count() > 0
    # Still tracked, but in no generation a collection walks.
    assert gc.is_tracked(kept)
    assert not any(o is kept for o in gc.get_objects())
