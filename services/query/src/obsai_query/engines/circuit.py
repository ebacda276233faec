"""A small circuit breaker: after N consecutive failures, calls stop for a while.

closed ──N failures──▶ open ──after open_seconds──▶ half-open (one trial call)
  ▲                                                   │ success → closed
  └───────────────────────────────────────────────────┘ failure → open again
"""

from __future__ import annotations

import time
from collections.abc import Callable


class CircuitBreaker:
    def __init__(
        self,
        failure_threshold: int = 5,
        open_seconds: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._threshold = failure_threshold
        self._open_seconds = open_seconds
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None
        self._trial_in_flight = False

    @property
    def state(self) -> str:
        if self._opened_at is None:
            return "closed"
        if self._clock() - self._opened_at >= self._open_seconds:
            return "half-open"
        return "open"

    def allow(self) -> bool:
        """Whether a call may go out now (in half-open, only one trial at a time)."""
        state = self.state
        if state == "closed":
            return True
        if state == "half-open" and not self._trial_in_flight:
            self._trial_in_flight = True
            return True
        return False

    def success(self) -> None:
        self._failures = 0
        self._opened_at = None
        self._trial_in_flight = False

    def failure(self) -> None:
        self._trial_in_flight = False
        self._failures += 1
        if self._opened_at is not None or self._failures >= self._threshold:
            self._opened_at = self._clock()

    def remaining_open_seconds(self) -> float:
        if self._opened_at is None:
            return 0.0
        return max(self._open_seconds - (self._clock() - self._opened_at), 0.0)
