"""A pure function's results for the keys it was last asked, bounded."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

Key = TypeVar("Key", bound=Hashable)
Value = TypeVar("Value")


class BoundedMemo(Generic[Key, Value]):
    """`compute(key)`, kept for the `size` most recently read keys.

    For values costly to build from a key that recurs, such as a metric's labels
    from their JSON text or a metric message from its bytes. Not thread-safe: it is
    read from one event loop.
    """

    def __init__(self, compute: Callable[[Key], Value], size: int) -> None:
        self._compute = compute
        self._size = size
        self._items: OrderedDict[Key, Value] = OrderedDict()

    def read(self, key: Key) -> Value:
        try:
            value = self._items[key]
        except KeyError:
            value = self._compute(key)
            self._items[key] = value
            if len(self._items) > self._size:
                self._items.popitem(last=False)  # the least recently read
        else:
            self._items.move_to_end(key)
        return value
