"""Sliding-window arithmetic: remaining, reset and Retry-After."""

from __future__ import annotations

from obsai_auth.rate_limit import WindowState

WINDOW = 3_600_000
NOW = 1_700_000_000_000


def test_first_request() -> None:
    state = WindowState(True, 100, 1, NOW, NOW, WINDOW)
    assert state.remaining == 99
    assert state.reset == (NOW + WINDOW) // 1000
    assert state.retry_after == 0
    assert state.status().headers() == (
        ("x-ratelimit-limit", "100"),
        ("x-ratelimit-remaining", "99"),
        ("x-ratelimit-reset", str((NOW + WINDOW) // 1000)),
    )


def test_rejected_waits_for_the_oldest_to_leave() -> None:
    oldest = NOW - 1_000_500  # 1000.5 s ago
    state = WindowState(False, 3, 3, oldest, NOW, WINDOW)
    assert state.remaining == 0
    assert state.retry_after == 2600  # ceil(2599.5)
    assert state.reset == -(-(oldest + WINDOW) // 1000)


def test_retry_after_is_at_least_one_second() -> None:
    state = WindowState(False, 1, 1, NOW - WINDOW + 1, NOW, WINDOW)
    assert state.retry_after == 1


def test_empty_bucket_peek() -> None:
    state = WindowState(True, 5, 0, None, NOW + 1, WINDOW)
    assert state.remaining == 5
    assert state.reset == NOW // 1000 + 1


def test_limit_lowered_below_count_never_goes_negative() -> None:
    assert WindowState(False, 2, 5, NOW, NOW, WINDOW).remaining == 0
