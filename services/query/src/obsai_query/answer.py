"""Human answers: values with units, and a one-sentence summary of a result.

Units come from the engine when it names one, else from the query: the metric's
unit or name suffix (`_bytes`, `_seconds`), what rate() does to it (bytes/s,
CPU seconds per second = cores), and ratios of one family (→ %).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

import promql_parser as pp

from obsai_query.catalog_client import MetricInfo
from obsai_query.executor import ResultData, SeriesData
from obsai_query.validator import selector_name

_BINARY_PREFIXES = ("B", "KiB", "MiB", "GiB", "TiB", "PiB")
# Labels that name what a series is about, most telling first.
_SUBJECT_LABELS = (
    "service",
    "job",
    "app",
    "application",
    "namespace",
    "pod",
    "instance",
    "endpoint",
    "handler",
    "method",
    "status",
    "code",
    "environment",
    "device",
    "mode",
)
_MAX_SUBJECT_LABELS = 2


def _significant(value: float, digits: int = 3) -> str:
    if value == 0 or not math.isfinite(value):
        return "0" if value == 0 else str(value)
    magnitude = math.floor(math.log10(abs(value)))
    decimals = max(digits - 1 - magnitude, 0)
    text = f"{value:,.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def format_bytes(value: float) -> str:
    size = abs(value)
    index = 0
    while size >= 1024 and index < len(_BINARY_PREFIXES) - 1:
        size /= 1024
        index += 1
    return f"{'-' if value < 0 else ''}{_significant(size)} {_BINARY_PREFIXES[index]}"


def format_seconds(value: float) -> str:
    size = abs(value)
    if size == 0:
        return "0 s"
    if size < 1e-3:
        return f"{_significant(value * 1e6)} µs"
    if size < 1:
        return f"{_significant(value * 1e3)} ms"
    if size < 120:
        return f"{_significant(value)} s"
    if size < 7200:
        return f"{_significant(value / 60)} min"
    if size < 172800:
        return f"{_significant(value / 3600)} h"
    return f"{_significant(value / 86400)} days"


def format_value(value: float, unit: str) -> str:
    """A value with its unit, as a person would write it."""
    if math.isnan(value):
        return "no value (NaN)"
    if math.isinf(value):
        return "infinite" if value > 0 else "-infinite"
    if unit == "bytes":
        return format_bytes(value)
    if unit == "bytes_per_second":
        return f"{format_bytes(value)}/s"
    if unit == "seconds":
        return format_seconds(value)
    if unit == "cores":
        return f"{_significant(value)} CPU {'core' if value == 1 else 'cores'}"
    if unit == "ratio":
        return f"{_significant(value * 100)}%"
    if unit == "percent":
        return f"{_significant(value)}%"
    if unit == "per_second":
        return f"{_significant(value)}/s"
    return _significant(value)


def _base_unit(metric: MetricInfo | None, name: str) -> str:
    unit = (metric.unit if metric else "").lower()
    family = name.removesuffix("_total").removesuffix("_sum").removesuffix("_count")
    if unit in ("bytes", "byte") or family.endswith("_bytes"):
        return "bytes"
    if unit in ("seconds", "second") or family.endswith("_seconds"):
        return "seconds"
    if unit in ("ratio",) or family.endswith("_ratio"):
        return "ratio"
    if unit in ("percent",) or family.endswith("_percent"):
        return "percent"
    return ""


def infer_unit(promql: str, metrics: Mapping[str, MetricInfo | None]) -> str:
    """The unit of a query's result, or "" when it cannot be told."""
    try:
        ast = pp.parse(promql)
    except ValueError:
        return ""
    return resolve_unit(_unit(ast, metrics), promql)


def _unit(node: Any, metrics: Mapping[str, MetricInfo | None]) -> str:
    if isinstance(node, (pp.ParenExpr, pp.SubqueryExpr)):
        return _unit(node.expr, metrics)
    if isinstance(node, pp.AggregateExpr):
        if str(node.op) in ("count", "count_values"):
            return "count"
        return _unit(node.expr, metrics)
    if isinstance(node, pp.VectorSelector):
        name = selector_name(node) or ""
        return _base_unit(metrics.get(name), name)
    if isinstance(node, pp.MatrixSelector):
        return _unit(node.vector_selector, metrics)
    if isinstance(node, pp.NumberLiteral):
        return ""
    if isinstance(node, pp.Call):
        name = node.func.name
        if name == "histogram_quantile" and len(node.args) == 2:
            # The quantile is in the unit of the observations (the bucket bounds).
            names = [n for n in _selectors(node.args[1]) if n]
            if not names:
                return ""
            base = names[0].removesuffix("_bucket")
            return _base_unit(metrics.get(names[0]), base)
        if name in ("rate", "irate") and node.args:
            return _per_second(_unit(node.args[0], metrics))
        if name == "deriv" and node.args:
            return _per_second(_unit(node.args[0], metrics))
        if name in ("increase", "delta") and node.args:
            inner = _unit(node.args[0], metrics)
            return inner or "count"
        if name in ("absent", "absent_over_time", "count_over_time", "changes", "resets"):
            return "count"
        if name in ("label_replace", "label_join", "sort", "sort_desc", "abs", "clamp_min") or (
            name.endswith("_over_time") or name in ("clamp", "clamp_max", "round", "last")
        ):
            return _unit(node.args[0], metrics) if node.args else ""
        return ""
    if isinstance(node, pp.BinaryExpr):
        return _binary_unit(node, metrics)
    if isinstance(node, pp.UnaryExpr):
        return _unit(node.expr, metrics)
    return ""


def _per_second(unit: str) -> str:
    if unit == "bytes":
        return "bytes_per_second"
    if unit == "seconds":
        return "cores_or_ratio"
    return "per_second"


def _binary_unit(node: Any, metrics: Mapping[str, MetricInfo | None]) -> str:
    op = str(node.op)
    if op in ("and", "or", "unless"):
        return _unit(node.lhs, metrics)
    if op in (">", "<", ">=", "<=", "==", "!=") and not (
        node.modifier and node.modifier.return_bool
    ):
        return _unit(node.lhs, metrics)
    left, right = _unit(node.lhs, metrics), _unit(node.rhs, metrics)
    number_right = isinstance(node.rhs, pp.NumberLiteral)
    number_left = isinstance(node.lhs, pp.NumberLiteral)
    if op == "/":
        if number_right:
            return _scaled(left, node.rhs.val, divide=True)
        if (left and left == right) or _same_family(node.lhs, node.rhs):
            return "ratio"
        if left == "seconds" and right == "count":
            return "seconds"
        return ""
    if op == "*":
        if number_left and right == "ratio" and node.lhs.val == 100:
            return "percent"
        if number_right and left == "ratio" and node.rhs.val == 100:
            return "percent"
        if number_right:
            return _scaled(left, node.rhs.val, divide=False)
        if number_left:
            return _scaled(right, node.lhs.val, divide=False)
        return ""
    if op in ("+", "-"):
        return left or right
    return ""


def _scaled(unit: str, factor: float, divide: bool) -> str:
    # `x / 1024 / 1024` changes the scale: the number is no longer plain bytes.
    if factor == 1:
        return unit
    if unit in ("bytes", "bytes_per_second", "seconds") and factor in (1000, 1024, 60, 3600):
        return ""
    return unit if unit in ("ratio", "per_second", "count", "percent", "cores") else ""


def _selectors(node: Any) -> list[str]:
    found: list[str] = []
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, pp.VectorSelector):
            found.append(selector_name(current) or "")
        for attr in ("expr", "lhs", "rhs", "vector_selector"):
            child = getattr(current, attr, None)
            if child is not None and not isinstance(child, (str, float)):
                stack.append(child)
        if isinstance(current, pp.Call):
            stack.extend(current.args)
    return found


def _same_family(lhs: Any, rhs: Any) -> bool:
    left, right = set(_selectors(lhs)), set(_selectors(rhs))
    return bool(left) and left == right


def resolve_unit(unit: str, promql: str) -> str:
    """Settle "seconds per second": CPU time is cores, other time shares are ratios."""
    if unit != "cores_or_ratio":
        return unit
    return "cores" if re.search(r"cpu", promql, re.IGNORECASE) else "ratio"


def subject(labels: Mapping[str, str]) -> str:
    """Words naming a series: its most telling label values."""
    picked = [labels[name] for name in _SUBJECT_LABELS if labels.get(name)]
    if not picked:
        picked = [f"{k}={v}" for k, v in sorted(labels.items()) if k != "__name__"]
    return " ".join(picked[:_MAX_SUBJECT_LABELS])


_VERBS = {"cores": "uses", "bytes": "uses", "bytes_per_second": "moves"}


def summarize(result: ResultData, unit: str, window_description: str = "") -> str:
    """One sentence about a result, with units."""
    series = result.series
    if not series:
        return "No data: the query matched no series" + (
            f" over {window_description}." if window_description else "."
        )
    if result.type == "matrix":
        return _summarize_range(series, unit, window_description)
    if result.type == "string":
        return f"The query returned the text {series[0].labels.get('value', '')!r}."
    valued = [(s, s.value.value) for s in series if s.value is not None]
    if len(valued) == 1:
        item, value = valued[0]
        who = subject(item.labels)
        if not who:
            return f"The result is {format_value(value, unit)}."
        verb = _VERBS.get(unit, "is at" if unit in ("ratio", "percent") else "is")
        return f"{who} {verb} {format_value(value, unit)}."
    finite = [(s, v) for s, v in valued if math.isfinite(v)]
    if not finite:
        return f"{len(valued)} series, none with a finite value."
    finite.sort(key=lambda pair: pair[1], reverse=True)
    (top, high), (bottom, low) = finite[0], finite[-1]
    text = (
        f"{len(valued)} series; highest {subject(top.labels) or 'series'} at "
        f"{format_value(high, unit)}, lowest {subject(bottom.labels) or 'series'} at "
        f"{format_value(low, unit)}"
    )
    if result.truncated:
        text += " (more series were cut)"
    return text + "."


def _summarize_range(series: tuple[SeriesData, ...], unit: str, window: str) -> str:
    over = f" over {window}" if window else ""
    values = [(s, p.value) for s in series for p in s.values if math.isfinite(p.value)]
    if not values:
        return f"{len(series)} series{over}, none with a finite value."
    if len(series) == 1:
        points = [v for _, v in values]
        who = subject(series[0].labels) or "The value"
        return (
            f"{who}{over}: average {format_value(sum(points) / len(points), unit)}, "
            f"peak {format_value(max(points), unit)}, latest {format_value(points[-1], unit)}."
        )
    peak_series, peak = max(values, key=lambda pair: pair[1])
    return (
        f"{len(series)} series{over}; the peak was {format_value(peak, unit)} "
        f"({subject(peak_series.labels) or 'one series'})."
    )
