"""PromQL as the harness sees it: parseable or not, and which metrics it reads.

Metric names come from the parsed expression (promql-parser), never from a
regular expression over the text, so function names, label names, strings in
`label_replace` and keywords (`by`, `offset`, `bool`) are never mistaken for
metrics. A selector names its metric as `foo{...}` or `{__name__="foo"}`; a
`{__name__=~"foo|bar"}` selector is kept as a pattern.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import promql_parser


class PromQLSyntaxError(ValueError):
    """Text that promql-parser does not accept as a PromQL expression."""


@dataclass(frozen=True)
class MetricRefs:
    """The metrics an expression selects: exact names, and `__name__` regexes."""

    names: frozenset[str]
    patterns: tuple[str, ...] = ()

    def covers(self, names: Iterable[str]) -> bool:
        """Whether every one of `names` is selected here (by name or pattern)."""
        return all(self._selects(name) for name in names)

    def _selects(self, name: str) -> bool:
        if name in self.names:
            return True
        for pattern in self.patterns:
            try:
                if re.fullmatch(pattern, name):
                    return True
            except re.error:
                continue
        return False


def parse(promql: str) -> promql_parser.Expr:
    """The expression tree; raises PromQLSyntaxError with the parser's message."""
    try:
        return promql_parser.parse(promql)
    except ValueError as exc:
        raise PromQLSyntaxError(str(exc)) from exc


def metric_refs(promql: str) -> MetricRefs:
    """The metrics `promql` selects; raises PromQLSyntaxError when it does not parse."""
    names: set[str] = set()
    patterns: list[str] = []

    def visit(node: promql_parser.Expr) -> bool:
        if isinstance(node, promql_parser.VectorSelector):
            if node.name:
                names.add(node.name)
            matchers = node.matchers
            groups = [list(matchers.matchers), *(list(g) for g in matchers.or_matchers)]
            for group in groups:
                for matcher in group:
                    if matcher.name != "__name__":
                        continue
                    if matcher.op == promql_parser.MatchOp.Equal:
                        names.add(matcher.value)
                    elif matcher.op == promql_parser.MatchOp.Re:
                        patterns.append(matcher.value)
        return True

    promql_parser.walk(parse(promql), visit)
    return MetricRefs(frozenset(names), tuple(patterns))


def metric_names(promql: str) -> frozenset[str]:
    """The exact metric names `promql` selects (regex selectors left out)."""
    return metric_refs(promql).names
