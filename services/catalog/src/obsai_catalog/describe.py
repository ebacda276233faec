"""The text a metric is embedded and searched by.

A sentence model knows English, not Prometheus names, so a metric is described
in words: its name split into words (with common abbreviations spelled out),
its help, what its type and suffix mean for a query, its unit, and its label
names. Sampled label values are not part of it: they are matched exactly by the
search's label boost instead, so "payment" never drags an unrelated metric up
just because its description mentioned a similar word.
"""

from __future__ import annotations

import hashlib
import json
import re

from obsai_catalog.records import DiscoveredMetric, MetricType

# Abbreviations common in metric names (node_exporter, cAdvisor, client libraries).
ABBREVIATIONS: dict[str, str] = {
    "fs": "filesystem",
    "net": "network",
    "mem": "memory",
    "req": "request",
    "reqs": "requests",
    "resp": "response",
    "err": "error",
    "errs": "errors",
    "conn": "connection",
    "conns": "connections",
    "gc": "garbage collection",
    "rx": "receive",
    "tx": "transmit",
    "io": "input output",
    "proc": "process",
    "db": "database",
    "msg": "message",
    "msgs": "messages",
    "rss": "resident memory",
    "vm": "virtual memory",
    "avg": "average",
    "bkt": "bucket",
    "ms": "milliseconds",
}

# Words of metric names that questions put differently.
WORD_GLOSS: dict[str, str] = {
    "transmit": "transmit (sent, outbound)",
    "transmitted": "transmitted (sent, outbound)",
    "receive": "receive (received, inbound, incoming)",
    "received": "received (inbound, incoming)",
    "filesystem": "filesystem (disk)",
}

# What a unit means to someone asking a question.
UNIT_WORDS: dict[str, str] = {
    "seconds": "seconds, a time duration",
    "milliseconds": "milliseconds, a time duration",
    "microseconds": "microseconds, a time duration",
    "bytes": "bytes, a size",
    "ratio": "a ratio between 0 and 1",
    "percent": "a percentage",
    "celsius": "degrees celsius, a temperature",
    "meters": "meters, a distance",
    "volts": "volts",
    "amperes": "amperes",
    "joules": "joules, energy",
    "grams": "grams, a mass",
    "hertz": "hertz, a frequency",
    "info": "information labels",
}

# What a label says about the series, where its name alone is terse. Labels that
# only structure a distribution (le, quantile) are left out of descriptions.
LABEL_WORDS: dict[str, str] = {
    "status": "status (response status code: success, client and server errors)",
    "code": "code (response status code: success, client and server errors)",
    "status_code": "status code (success, client and server errors)",
    "response_code": "response code (success, client and server errors)",
    "method": "method (request method)",
    "endpoint": "endpoint (request path)",
    "path": "path (request path)",
    "route": "route (request path)",
    "handler": "handler (request path)",
}
_STRUCTURAL_LABELS = frozenset({"le", "quantile"})
_TIME_UNITS = frozenset({"seconds", "milliseconds", "microseconds"})

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_SEPARATORS = re.compile(r"[_:.\-/\s]+")


def name_words(name: str) -> list[str]:
    """`http_requestDuration_seconds` → ['http', 'request', 'duration', 'seconds']."""
    return [w.lower() for w in _SEPARATORS.split(_CAMEL.sub("_", name)) if w]


def spelled_name(name: str) -> str:
    """The name as words, with abbreviations spelled out."""
    return " ".join(ABBREVIATIONS.get(w, w) for w in name_words(name))


def _glossed(words: str) -> str:
    return " ".join(WORD_GLOSS.get(w, w) for w in words.split())


def _role(metric: DiscoveredMetric) -> str:
    """What this series is within its family, in words."""
    suffix = metric.name[len(metric.family) :] if metric.family else ""
    # A distribution of seconds is a distribution of durations: latency.
    what = "durations (latency)" if metric.unit in _TIME_UNITS else "observed values"
    if metric.type is MetricType.HISTOGRAM:
        if suffix == "_bucket":
            return f"histogram buckets of {what}: a distribution, for quantiles and percentiles"
        if suffix == "_sum":
            return f"histogram sum of all {what}, divided by the count gives the average"
        if suffix == "_count":
            return "histogram count of observations: how many events, their rate"
        return "histogram"
    if metric.type is MetricType.SUMMARY:
        if suffix == "_sum":
            return f"summary sum of all {what}, divided by the count gives the average"
        if suffix == "_count":
            return "summary count of observations: how many events, their rate"
        return f"summary quantiles of {what}: percentiles computed by the client"
    if metric.type is MetricType.COUNTER:
        if suffix == "_created":
            return "creation timestamp of a counter"
        return "counter: a cumulative total that only goes up, its rate is per second"
    if metric.type is MetricType.GAUGE:
        return "gauge: a current value that goes up and down"
    return "metric of unknown type"


def describe(metric: DiscoveredMetric) -> str:
    """The metric in words, most telling first (the model reads at most 128 tokens)."""
    parts = [_glossed(spelled_name(metric.name)) + "."]
    if metric.help:
        parts.append(metric.help.strip().rstrip(".") + ".")
    parts.append(_role(metric).capitalize() + ".")
    if metric.unit:
        parts.append(f"Unit: {UNIT_WORDS.get(metric.unit, metric.unit)}.")
    names = [
        LABEL_WORDS.get(label.name, label.name)
        for label in metric.labels
        if not label.name.startswith("__") and label.name not in _STRUCTURAL_LABELS
    ]
    if names:
        parts.append("Labels: " + ", ".join(names) + ".")
    return " ".join(parts)


def content_hash(metric: DiscoveredMetric) -> str:
    """Changes exactly when what readers see changes (series counts excluded: they churn)."""
    payload = {
        "family": metric.family,
        "type": metric.type.value,
        "type_source": metric.type_source.value,
        "help": metric.help,
        "unit": metric.unit,
        "labels": [[label.name, list(label.values), label.truncated] for label in metric.labels],
        "services": sorted(metric.services),
        "namespaces": sorted(metric.namespaces),
    }
    encoded = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(encoded).hexdigest()


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()
