"""Time windows from the request and from phrases in the question."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from obsai_common.errors import InvalidArgument
from obsai_query.time_range import (
    choose_step,
    format_duration,
    parse_duration,
    resolve_window,
    window_from_question,
)

NOW = datetime(2026, 3, 4, 15, 30, tzinfo=UTC)


def window(question: str = "cpu of auth", **kwargs: object):  # type: ignore[no-untyped-def]
    return resolve_window(question=question, now=NOW, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "seconds"), [("30m", 1800), ("1h", 3600), ("7d", 604800), ("1h30m", 5400)]
)
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "1", "h", "-5m", "1.5h", "0s", "5 minutes"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(InvalidArgument):
        parse_duration(text)


def test_format_duration_round_trips() -> None:
    assert [format_duration(s) for s in (60, 3600, 5400, 604800, 90)] == [
        "1m",
        "1h",
        "1h30m",
        "7d",
        "1m30s",
    ]


def test_default_is_an_instant_now() -> None:
    w = window()
    assert not w.is_range
    assert w.end == NOW.timestamp()
    assert w.key == "instant:now"


def test_request_time_range_makes_a_range_ending_now() -> None:
    w = window(time_range="1h")
    assert w.is_range
    assert w.duration == 3600
    assert w.end == NOW.timestamp()
    assert w.key == "relative:1h"


def test_absolute_range_and_step() -> None:
    w = window(start=NOW - timedelta(hours=2), end=NOW, step="1m")
    assert (w.duration, w.step) == (7200, 60)


@pytest.mark.parametrize(
    ("question", "seconds"),
    [
        ("request rate for the last 24 hours", 86400),
        ("errors over the past hour", 3600),
        ("cpu in the last week", 604800),
        ("latency for the last 30m", 1800),
        ("memory over the previous two days", 172800),
    ],
)
def test_phrases_in_the_question(question: str, seconds: float) -> None:
    w = window(question)
    assert w.is_range
    assert w.duration == seconds
    assert w.source == "question"


def test_yesterday_is_the_previous_utc_day() -> None:
    w = window("errors yesterday")
    midnight = NOW.replace(hour=0, minute=0)
    assert w.end == midnight.timestamp()
    assert w.duration == 86400


@pytest.mark.parametrize(
    "question",
    [
        "compare today's traffic to yesterday at the same time",
        "latency now compared to last week",
        "compare latency now vs 1 hour ago",
    ],
)
def test_the_other_side_of_a_comparison_is_not_a_window(question: str) -> None:
    assert window_from_question(question) is None


def test_request_range_beats_the_question() -> None:
    assert window("errors in the last week", time_range="30m").duration == 1800


def test_step_stays_under_the_point_limit() -> None:
    w = window(time_range="7d", step="1s")
    assert w.duration / w.step <= 11_000
    assert w.notes
    assert "raised" in w.notes[0]
    assert choose_step(86400, 11_000) * 11_000 >= 86400


@pytest.mark.parametrize("kwargs", [{"time_range": "30d"}, {"time_range": "8d"}])
def test_ranges_over_the_maximum_are_refused(kwargs: dict[str, str]) -> None:
    with pytest.raises(InvalidArgument, match="longer than"):
        window(**kwargs)


def test_thirty_days_in_the_question_is_refused() -> None:
    with pytest.raises(InvalidArgument):
        window("errors over the last 30 days")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"start": NOW - timedelta(hours=1)},
        {"start": NOW, "end": NOW - timedelta(hours=1)},
        {"time_range": "1h", "start": NOW - timedelta(hours=1), "end": NOW},
    ],
)
def test_contradictory_requests(kwargs: dict[str, object]) -> None:
    with pytest.raises(InvalidArgument):
        window(**kwargs)
