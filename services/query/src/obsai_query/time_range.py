"""When a question is about: an instant (now, by default) or a range with a step.

A range comes from the request (`time_range` like "1h", or `start`/`end`/`step`)
or, failing that, from a phrase in the question ("last 24 hours", "past hour",
"yesterday", "last week"). The step is chosen for about 250 points and raised
whenever a series would otherwise exceed the point limit (Prometheus refuses
more than 11,000 points per series).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from obsai_common.errors import InvalidArgument

_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400, "y": 365 * 86400}
_DURATION = re.compile(r"^(?:\d+(?:ms|s|m|h|d|w|y))+$")
_DURATION_PART = re.compile(r"(\d+)(ms|s|m|h|d|w|y)")
_NICE_STEPS = (1, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 43200, 86400)
_TARGET_POINTS = 250

_WORD_UNITS = {
    "second": 1,
    "sec": 1,
    "minute": 60,
    "min": 60,
    "hour": 3600,
    "hr": 3600,
    "day": 86400,
    "week": 7 * 86400,
}
_NUMBER_WORDS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "ten": 10,
    "twelve": 12,
    "fifteen": 15,
    "thirty": 30,
}
# "last 24 hours", "past hour", "over the previous 2 days", "last 30m"
_RELATIVE = re.compile(
    r"\b(?:last|past|previous|prior)\s+"
    r"(?:(?P<n>\d+|a|an|one|two|three|four|five|six|seven|ten|twelve|fifteen|thirty)\s*)?"
    r"(?P<unit>seconds?|secs?|minutes?|mins?|hours?|hrs?|days?|weeks?)\b"
    r"|\b(?:last|past|previous)\s+(?P<short>\d+(?:s|m|h|d|w))\b"
    # "std dev over 10m", "during 1h": a span in Prometheus' own notation (not "over 2s",
    # a threshold of a time).
    r"|\b(?:over|across|during|within|in)\s+(?P<span>\d+(?:m|h|d|w))\b",
    re.IGNORECASE,
)
# A time named as the other side of a comparison is not the window asked about.
_COMPARED = re.compile(r"\b(?:to|than|vs\.?|versus|with|against)\s+(?:the\s+)?$", re.IGNORECASE)
_DAY_WORDS = re.compile(r"\b(?P<word>today|yesterday)\b", re.IGNORECASE)


def parse_duration(text: str) -> float:
    """Seconds of a Prometheus duration ("90s", "1h30m", "7d"); InvalidArgument otherwise."""
    text = text.strip()
    if not _DURATION.match(text):
        raise InvalidArgument(
            f"{text!r} is not a duration like 30m, 1h or 7d", details={"field": "duration"}
        )
    seconds = sum(int(n) * _UNITS[u] for n, u in _DURATION_PART.findall(text))
    if seconds <= 0:
        raise InvalidArgument(f"{text!r} is not a positive duration", details={"field": "duration"})
    return float(seconds)


def format_duration(seconds: float) -> str:
    """A Prometheus duration for whole seconds (3600 → "1h", 5400 → "1h30m", 7d → "7d")."""
    whole = round(seconds)
    if whole <= 0:
        return f"{max(round(seconds * 1000), 1)}ms"
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if whole >= size:
            parts.append(f"{whole // size}{unit}")
            whole %= size
    return "".join(parts)


@dataclass(frozen=True, slots=True)
class TimeWindow:
    """An instant (start is None) or a range [start, end] every `step` seconds."""

    end: float
    start: float | None = None
    step: float = 0.0
    # How the window was asked for, for cache keys and explanations.
    key: str = "instant:now"
    description: str = "now"
    source: str = "default"  # default | request | question
    notes: tuple[str, ...] = field(default=())

    @property
    def is_range(self) -> bool:
        return self.start is not None

    @property
    def duration(self) -> float:
        return 0.0 if self.start is None else self.end - self.start

    def as_instant(self) -> TimeWindow:
        """Evaluated once at the end (an expression that already summarises the window)."""
        return replace(self, start=None, step=0.0)


def choose_step(duration: float, max_points: int, requested: float | None = None) -> float:
    """A step for about 250 points, never more than `max_points` per series."""
    floor = math.ceil(duration / max_points) if duration > 0 else 1
    if requested is not None:
        return float(max(requested, floor))
    ideal = duration / _TARGET_POINTS
    nice = next((s for s in _NICE_STEPS if s >= ideal), _NICE_STEPS[-1])
    return float(max(nice, floor))


def _ts(value: datetime) -> float:
    return value.timestamp()


def _range(
    end: float,
    duration: float,
    *,
    key: str,
    description: str,
    source: str,
    max_points: int,
    requested_step: float | None,
) -> TimeWindow:
    step = choose_step(duration, max_points, requested_step)
    notes: tuple[str, ...] = ()
    if requested_step is not None and step > requested_step:
        notes = (
            f"step raised from {format_duration(requested_step)} to {format_duration(step)} "
            f"to stay under {max_points} points per series",
        )
    return TimeWindow(end, end - duration, step, key, description, source, notes)


def window_from_question(question: str) -> tuple[float, str, str] | None:
    """(seconds, description, day word) of a window named in the question, or None.

    Returns the window as a length ending now, except "today"/"yesterday",
    returned with the day word so the caller can anchor it to a calendar day.
    """
    for match in _RELATIVE.finditer(question):
        if _COMPARED.search(question[: match.start()]):
            continue
        if short := match.group("short") or match.group("span"):
            seconds = parse_duration(short)
        else:
            count = match.group("n") or "1"
            number = int(count) if count.isdigit() else _NUMBER_WORDS[count.lower()]
            unit = match.group("unit").lower().rstrip("s")
            seconds = float(number * _WORD_UNITS[unit])
        if seconds > 0:
            return seconds, match.group(0).lower(), ""
    for match in _DAY_WORDS.finditer(question):
        if _COMPARED.search(question[: match.start()]):
            continue
        rest = question[match.end() :].lower()
        if rest.startswith(" at the same time") or rest.startswith("'s"):
            continue  # "today's traffic", "yesterday at the same time": comparisons
        word = match.group("word").lower()
        return (86400.0, word, word)
    return None


def resolve_window(
    *,
    question: str,
    now: datetime,
    time_range: str = "",
    start: datetime | None = None,
    end: datetime | None = None,
    step: str = "",
    time: datetime | None = None,
    max_points: int = 11_000,
    max_range_seconds: float = 7 * 86400.0,
) -> TimeWindow:
    """The window of a request; InvalidArgument for contradictory or oversized input."""
    requested_step = parse_duration(step) if step else None
    if (start is None) != (end is None):
        raise InvalidArgument("give both start and end, or neither", details={"field": "start"})
    if time_range and start is not None:
        raise InvalidArgument(
            "give either time_range or start/end, not both", details={"field": "time_range"}
        )
    window: TimeWindow | None = None
    if time_range:
        duration = parse_duration(time_range)
        _check_range(duration, max_range_seconds)
        window = _range(
            _ts(now),
            duration,
            key=f"relative:{format_duration(duration)}",
            description=f"the last {format_duration(duration)}",
            source="request",
            max_points=max_points,
            requested_step=requested_step,
        )
    elif start is not None and end is not None:
        if end <= start:
            raise InvalidArgument("end must be after start", details={"field": "end"})
        duration = (end - start).total_seconds()
        _check_range(duration, max_range_seconds)
        window = _range(
            _ts(end),
            duration,
            key=f"absolute:{_ts(start):.3f}:{_ts(end):.3f}",
            description=f"{start.isoformat()} to {end.isoformat()}",
            source="request",
            max_points=max_points,
            requested_step=requested_step,
        )
    elif (named := window_from_question(question)) is not None:
        seconds, description, day = named
        _check_range(seconds, max_range_seconds)
        anchor = _ts(now)
        if day:
            midnight = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
            if day == "yesterday":
                anchor = _ts(midnight)
            else:
                seconds = max(_ts(now) - _ts(midnight), 60.0)
        window = _range(
            anchor,
            seconds,
            key=f"question:{description}:{format_duration(seconds)}"
            + (f":{int(anchor // 86400)}" if day else ""),
            description=description,
            source="question",
            max_points=max_points,
            requested_step=requested_step,
        )
    if window is not None:
        if requested_step is not None:
            key = f"{window.key}:step={format_duration(window.step)}"
            return replace(window, key=key)
        return window
    at = time or now
    if time is not None:
        return TimeWindow(_ts(at), key=f"instant:{_ts(at):.3f}", description=at.isoformat())
    return TimeWindow(_ts(at))


def _check_range(seconds: float, max_seconds: float) -> None:
    if seconds > max_seconds:
        raise InvalidArgument(
            f"a range of {format_duration(seconds)} is longer than the "
            f"{format_duration(max_seconds)} allowed",
            details={"field": "time_range", "max": format_duration(max_seconds)},
        )


def utc_now() -> datetime:
    return datetime.now(UTC)
