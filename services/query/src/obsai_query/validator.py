"""PromQL validation on the parsed AST (PyPI `promql-parser`), never on text patterns.

Checks, each a `Problem.check` name:

    syntax             the query parses
    length, depth      guardrails on size and nesting
    unknown_metric     every metric is in the catalog (no hallucinations)
    unknown_label      every label matched or grouped on exists on its metrics
    blanket_selector   every selector names a metric (no {__name__=~".+"}, no {job="x"})
    forbidden_metric   no metric matching the forbidden pattern (secrets, passwords …)
    counter_function   rate/irate/increase only on counters (histogram parts count)
    quantile_range     histogram_quantile's φ within 0..1
    histogram_le       histogram_quantile over buckets keeps `le` in every aggregation
    range_window       range windows at least twice the scrape interval
    lookback           offsets + range windows + subquery ranges + query range ≤ maximum
    subquery_step      subquery resolution not finer than allowed, nor too many points
    series_limit       no selector estimated to match more series than allowed
    range_result       the result is not a bare range vector

Problems refuse the query; warnings are passed on to the answer.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import promql_parser as pp

from obsai_query.catalog_client import MetricInfo
from obsai_query.time_range import format_duration

COUNTER_FUNCTIONS = frozenset({"rate", "irate", "increase"})
GAUGE_FUNCTIONS = frozenset({"deriv", "delta", "idelta", "predict_linear"})
# Aggregations that keep every label of their input.
_LABEL_KEEPING_AGGREGATIONS = frozenset({"topk", "bottomk", "limitk", "limit_ratio"})
_LABEL_MAKING_FUNCTIONS = frozenset({"label_replace", "label_join"})


@dataclass(frozen=True, slots=True)
class Problem:
    check: str
    message: str
    metric: str = ""

    def __str__(self) -> str:
        return f"{self.check}: {self.message}"


@dataclass(frozen=True, slots=True)
class ValidationReport:
    promql: str
    problems: tuple[Problem, ...] = ()
    warnings: tuple[str, ...] = ()
    metrics: tuple[str, ...] = ()
    lookback_seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True, slots=True)
class Guardrails:
    scrape_interval_seconds: float = 15.0
    max_lookback_seconds: float = 7 * 86400.0
    min_subquery_step_seconds: float = 15.0
    max_points_per_series: int = 11_000
    max_series_per_selector: int = 50_000
    forbidden_metric_pattern: str = r"(?i)(secret|password|token|credential)"
    max_length: int = 2000
    max_depth: int = 24

    @classmethod
    def from_settings(cls, settings: Any) -> Guardrails:
        return cls(
            scrape_interval_seconds=settings.scrape_interval_seconds,
            max_lookback_seconds=settings.max_lookback_seconds,
            min_subquery_step_seconds=settings.min_subquery_step_seconds,
            max_points_per_series=settings.max_points_per_series,
            max_series_per_selector=settings.max_series_per_selector,
            forbidden_metric_pattern=settings.forbidden_metric_pattern,
            max_length=settings.promql_max_length,
            max_depth=settings.promql_max_depth,
        )


def parse(promql: str) -> Any:
    """The AST, or ValueError with the parser's message."""
    return pp.parse(promql)


def _children(node: Any) -> list[Any]:
    if isinstance(node, pp.AggregateExpr):
        return [c for c in (node.param, node.expr) if c is not None]
    if isinstance(node, pp.BinaryExpr):
        return [node.lhs, node.rhs]
    if isinstance(node, pp.Call):
        return list(node.args)
    if isinstance(node, pp.MatrixSelector):
        return [node.vector_selector]
    if isinstance(node, (pp.ParenExpr, pp.UnaryExpr, pp.SubqueryExpr)):
        return [node.expr]
    return []


def _walk(node: Any) -> Iterator[Any]:
    yield node
    for child in _children(node):
        yield from _walk(child)


def _depth(node: Any) -> int:
    children = _children(node)
    return 1 + (max(_depth(c) for c in children) if children else 0)


def _seconds(value: timedelta | None) -> float:
    return 0.0 if value is None else max(value.total_seconds(), 0.0)


def selector_name(selector: Any) -> str | None:
    """The metric a vector selector names, by name or by an `__name__="…"` matcher."""
    if selector.name:
        return str(selector.name)
    for matcher in selector.matchers.matchers:
        if matcher.name == "__name__" and matcher.op == pp.MatchOp.Equal:
            return str(matcher.value)
    return None


def _matchers(selector: Any) -> list[Any]:
    found = list(selector.matchers.matchers)
    for group in selector.matchers.or_matchers:
        found.extend(group)
    return found


def metric_names(promql: str) -> set[str]:
    """Every metric named by the query; empty when it does not parse."""
    try:
        ast = parse(promql)
    except ValueError:
        return set()
    names = {selector_name(n) for n in _walk(ast) if isinstance(n, pp.VectorSelector)}
    return {n for n in names if n}


# Inside a subquery, range windows up to this long only widen each step's view
# (max_over_time(rate(x[5m])[7d:5m]) reads a week, not a week and 5 minutes).
_SUBQUERY_WINDOW_GRACE = 3600.0


def _reach(node: Any, in_subquery: bool = False) -> float:
    """How far back from the evaluation time the expression reads data."""
    if isinstance(node, pp.VectorSelector):
        return _seconds(node.offset)
    if isinstance(node, pp.MatrixSelector):
        window = _seconds(node.range)
        if in_subquery and window <= _SUBQUERY_WINDOW_GRACE:
            window = 0.0
        return window + _seconds(node.vector_selector.offset)
    if isinstance(node, pp.SubqueryExpr):
        return _seconds(node.range) + _seconds(node.offset) + _reach(node.expr, True)
    return max((_reach(c, in_subquery) for c in _children(node)), default=0.0)


_LITERAL_ALTERNATION = re.compile(r"^[\w.:/-]+(?:\|[\w.:/-]+)*$")


def estimate_series(metric: MetricInfo, selector: Any) -> float:
    """Series a selector may match: the catalog's count narrowed by its matchers."""
    estimate = float(metric.series_count)
    for matcher in selector.matchers.matchers:
        values = metric.labels.get(matcher.name, ())
        if not values or matcher.name in metric.truncated_labels:
            continue
        if matcher.op == pp.MatchOp.Equal and matcher.value:
            estimate /= len(values)
        elif matcher.op == pp.MatchOp.Re and _LITERAL_ALTERNATION.match(matcher.value):
            estimate *= min(len(matcher.value.split("|")), len(values)) / len(values)
    return estimate


class PromqlValidator:
    def __init__(self, guardrails: Guardrails | None = None) -> None:
        self.guardrails = guardrails or Guardrails()
        self._forbidden = re.compile(self.guardrails.forbidden_metric_pattern)

    def validate(
        self,
        promql: str,
        metrics: Mapping[str, MetricInfo | None],
        query_range_seconds: float = 0.0,
    ) -> ValidationReport:
        g = self.guardrails
        promql = promql.strip()
        if not promql:
            return ValidationReport(promql, (Problem("syntax", "the query is empty"),))
        if len(promql) > g.max_length:
            return ValidationReport(
                promql,
                (Problem("length", f"{len(promql)} characters; the limit is {g.max_length}"),),
            )
        try:
            ast = parse(promql)
        except ValueError as error:
            return ValidationReport(promql, (Problem("syntax", str(error)),))
        except Exception as error:  # the parser's other failures are syntax too
            return ValidationReport(promql, (Problem("syntax", str(error) or "unparsable"),))
        run = _Run(self, metrics)
        depth = _depth(ast)
        if depth > g.max_depth:
            run.problem("depth", f"the expression nests {depth} deep; the limit is {g.max_depth}")
        run.check(ast)
        if isinstance(ast, pp.MatrixSelector):
            run.problem(
                "range_result",
                "the query returns a range vector; wrap it in a function such as rate()",
            )
        reach = _reach(ast)
        lookback = reach + query_range_seconds
        if lookback > g.max_lookback_seconds:
            what = f"reads {format_duration(reach)} of data back"
            if query_range_seconds:
                what += f" over a {format_duration(query_range_seconds)} range"
            run.problem(
                "lookback",
                f"the query {what}; the limit is {format_duration(g.max_lookback_seconds)}",
            )
        return ValidationReport(
            promql,
            tuple(run.problems),
            tuple(dict.fromkeys(run.warnings)),
            tuple(sorted(run.names)),
            lookback,
        )


@dataclass
class _Run:
    validator: PromqlValidator
    metrics: Mapping[str, MetricInfo | None]
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    names: set[str] = field(default_factory=set)

    def problem(self, check: str, message: str, metric: str = "") -> None:
        candidate = Problem(check, message, metric)
        if candidate not in self.problems:
            self.problems.append(candidate)

    @property
    def g(self) -> Guardrails:
        return self.validator.guardrails

    def check(self, node: Any) -> None:
        if isinstance(node, pp.VectorSelector):
            self._selector(node)
        elif isinstance(node, pp.MatrixSelector):
            window = _seconds(node.range)
            if window < 2 * self.g.scrape_interval_seconds:
                self.problem(
                    "range_window",
                    f"[{format_duration(window)}] is shorter than twice the scrape interval "
                    f"({format_duration(self.g.scrape_interval_seconds)}); use at least "
                    f"[{format_duration(2 * self.g.scrape_interval_seconds)}]",
                )
        elif isinstance(node, pp.SubqueryExpr):
            self._subquery(node)
        elif isinstance(node, pp.Call):
            self._call(node)
        elif isinstance(node, pp.AggregateExpr):
            modifier = node.modifier
            if modifier is not None and str(modifier.type).endswith("By"):
                self._grouping(node, list(modifier.labels), node.expr)
        elif isinstance(node, pp.BinaryExpr) and node.modifier and node.modifier.matching:
            matching = node.modifier.matching
            if str(matching.type).endswith("Include"):
                self._grouping(node, list(matching.labels), node)
        for child in _children(node):
            self.check(child)

    # --- selectors

    def _selector(self, selector: Any) -> None:
        name = selector_name(selector)
        if name is None:
            self.problem(
                "blanket_selector",
                "every selector must name a metric; a selector by labels or a __name__ "
                "pattern alone can match everything",
            )
            return
        self.names.add(name)
        if self.validator._forbidden.search(name):
            self.problem("forbidden_metric", f"{name} may not be queried", name)
            return
        metric = self.metrics.get(name)
        if metric is None:
            self.problem("unknown_metric", f"{name} is not a metric in the catalog", name)
            return
        for matcher in _matchers(selector):
            if matcher.name == "__name__" or matcher.name in metric.labels:
                continue
            if matcher.op == pp.MatchOp.Equal and matcher.value == "":
                continue  # "label is absent" is meaningful for any label
            known = ", ".join(sorted(metric.labels)) or "none"
            self.problem(
                "unknown_label",
                f"{name} has no label {matcher.name!r} (its labels: {known})",
                name,
            )
        estimate = estimate_series(metric, selector)
        if estimate > self.g.max_series_per_selector:
            self.problem(
                "series_limit",
                f"{name} selects about {math.ceil(estimate)} series; the limit is "
                f"{self.g.max_series_per_selector}: add label filters or aggregate less",
                name,
            )

    def _subquery(self, node: Any) -> None:
        step = _seconds(node.step) if node.step is not None else 0.0
        if step == 0.0:
            self.warnings.append(
                "a subquery without a resolution uses the server's evaluation interval"
            )
            step = self.g.scrape_interval_seconds
        elif step < self.g.min_subquery_step_seconds:
            self.problem(
                "subquery_step",
                f"subquery resolution {format_duration(step)} is finer than the "
                f"{format_duration(self.g.min_subquery_step_seconds)} allowed",
            )
        points = _seconds(node.range) / step
        if points > self.g.max_points_per_series:
            self.problem(
                "subquery_step",
                f"the subquery evaluates {math.ceil(points)} points per series; the limit is "
                f"{self.g.max_points_per_series}",
            )

    # --- functions

    def _call(self, node: Any) -> None:
        name = node.func.name
        if name in COUNTER_FUNCTIONS or name in GAUGE_FUNCTIONS:
            for arg in node.args:
                if isinstance(arg, pp.MatrixSelector):
                    self._function_on(name, arg.vector_selector)
        if name == "histogram_quantile" and len(node.args) == 2:
            self._histogram_quantile(node.args[0], node.args[1])

    def _function_on(self, function: str, selector: Any) -> None:
        metric_name = selector_name(selector)
        metric = self.metrics.get(metric_name) if metric_name else None
        if metric is None:
            return  # reported as unknown elsewhere
        if function in COUNTER_FUNCTIONS:
            if metric.is_counter_like:
                return
            if metric.type == "unknown":
                self.warnings.append(
                    f"{metric.name} has no known type; {function}() assumes it is a counter"
                )
                return
            self.problem(
                "counter_function",
                f"{function}() needs a counter, but {metric.name} is a {metric.type}"
                + (
                    "; use the gauge as it is, deriv() or *_over_time()"
                    if metric.type == "gauge"
                    else ""
                ),
                metric.name,
            )
        elif metric.is_counter_like and metric.type != "unknown":
            self.warnings.append(
                f"{function}() on the counter {metric.name} is misleading; rate() is usual"
            )

    def _histogram_quantile(self, phi: Any, inner: Any) -> None:
        while isinstance(phi, pp.ParenExpr):
            phi = phi.expr
        if isinstance(phi, pp.NumberLiteral) and not 0.0 <= phi.val <= 1.0:
            self.problem(
                "quantile_range",
                f"histogram_quantile needs a quantile between 0 and 1, not {phi.val:g}",
            )
        buckets = [
            n
            for n in _walk(inner)
            if isinstance(n, pp.VectorSelector) and self._is_bucket(selector_name(n))
        ]
        if not buckets:
            names = [selector_name(n) for n in _walk(inner) if isinstance(n, pp.VectorSelector)]
            if any(n and self._is_classic_non_bucket(n) for n in names):
                self.problem(
                    "histogram_le",
                    "histogram_quantile needs the _bucket series of a histogram",
                )
            return
        for aggregation in self._aggregations_under(inner):
            modifier = aggregation.modifier
            op = str(aggregation.op)
            if op in _LABEL_KEEPING_AGGREGATIONS:
                continue
            labels = list(modifier.labels) if modifier else []
            keeps = modifier is not None and (
                "le" in labels if str(modifier.type).endswith("By") else "le" not in labels
            )
            if not keeps:
                self.problem(
                    "histogram_le",
                    f"{op}() inside histogram_quantile drops the `le` label; "
                    f"aggregate with `{op} by (le, …)`",
                )

    def _aggregations_under(self, node: Any) -> Iterator[Any]:
        if isinstance(node, pp.AggregateExpr):
            yield node
        if isinstance(node, pp.Call) and node.func.name == "histogram_quantile":
            return
        for child in _children(node):
            yield from self._aggregations_under(child)

    def _is_bucket(self, name: str | None) -> bool:
        if not name:
            return False
        metric = self.metrics.get(name)
        if metric is not None and "le" in metric.labels:
            return True
        return name.endswith("_bucket")

    def _is_classic_non_bucket(self, name: str) -> bool:
        metric = self.metrics.get(name)
        if metric is None:
            return False
        return metric.type in ("counter", "gauge") or name.endswith(("_sum", "_count"))

    # --- grouping labels

    def _grouping(self, node: Any, labels: list[str], scope: Any) -> None:
        if not labels:
            return
        available: set[str] = set()
        for inner in _walk(scope):
            if isinstance(inner, pp.VectorSelector):
                name = selector_name(inner)
                metric = self.metrics.get(name) if name else None
                if metric is None:
                    return  # unknown metric: already a problem, nothing to compare with
                available.update(metric.labels)
            elif isinstance(inner, pp.Call) and inner.func.name in _LABEL_MAKING_FUNCTIONS:
                if len(inner.args) > 1 and isinstance(inner.args[1], pp.StringLiteral):
                    available.add(inner.args[1].val)
            elif isinstance(inner, pp.AggregateExpr) and isinstance(inner.param, pp.StringLiteral):
                available.add(inner.param.val)  # count_values("label", …)
        if not available:
            return
        for label in labels:
            if label not in available:
                self.problem(
                    "unknown_label",
                    f"no metric in this expression has the label {label!r} to group by "
                    f"(labels: {', '.join(sorted(available))})",
                )
