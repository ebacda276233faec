"""The circuit breaker's states."""

from __future__ import annotations

from obsai_query.engines.circuit import CircuitBreaker


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_opens_after_consecutive_failures_and_half_opens_later() -> None:
    clock = Clock()
    breaker = CircuitBreaker(failure_threshold=2, open_seconds=10, clock=clock)
    breaker.failure()
    assert breaker.allow()
    breaker.failure()
    assert breaker.state == "open"
    assert not breaker.allow()
    clock.now = 10
    assert breaker.allow()  # the one trial
    assert not breaker.allow()
    breaker.failure()
    assert breaker.state == "open"
    clock.now = 20
    assert breaker.allow()
    breaker.success()
    assert breaker.state == "closed"
    assert breaker.allow()


def test_success_resets_the_count() -> None:
    breaker = CircuitBreaker(failure_threshold=2, open_seconds=10)
    breaker.failure()
    breaker.success()
    breaker.failure()
    assert breaker.state == "closed"
