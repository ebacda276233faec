"""What a signed token was verified to say, kept until the token expires.

Verifying an HS256 JWT (decode, HMAC, claim checks) is the largest piece of
our own CPU on an authenticated request, and a client sends the same token on
every request until it expires. The verdict for a given token string cannot
change before its ``exp`` (the signature covers every byte), so it is kept,
keyed by the whole string, and dropped at ``exp``. Failures are never kept:
a flood of bad tokens costs CPU, not memory. Revocation is not this cache's
business: sessions are still checked on every request.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class VerifiedTokens(Generic[T]):
    def __init__(self, max_entries: int = 10_000, clock: Callable[[], float] = time.time) -> None:
        self._max_entries = max_entries
        self._clock = clock
        self._entries: dict[str, tuple[T, float]] = {}

    def get(self, token: str) -> T | None:
        entry = self._entries.get(token)
        if entry is None:
            return None
        if self._clock() >= entry[1]:
            del self._entries[token]
            return None
        return entry[0]

    def put(self, token: str, value: T, expires_at: float) -> None:
        if len(self._entries) >= self._max_entries:
            # The oldest entry goes first: dicts keep insertion order.
            del self._entries[next(iter(self._entries))]
        self._entries[token] = (value, expires_at)
