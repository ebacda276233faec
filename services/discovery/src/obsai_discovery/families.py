"""Which family a series name belongs to, and its type: metadata first, then conventions.

Prometheus' `/api/v1/metadata` is keyed by *family* name as the target exposed
it: OpenMetrics counters drop `_total` (`foo` for `foo_total`), histograms are
`foo` for `foo_bucket`/`foo_sum`/`foo_count`, summaries `foo` for `foo`
(quantiles), `foo_sum`, `foo_count`; the classic text format keeps `foo_total`.
Only where a name has no metadata at all (backfilled blocks, remote-written
data, a Mimir without metadata) are naming conventions used, and then with the
sibling names of the same scan: `foo_sum` is a histogram's only if `foo_bucket`
exists, a summary's if `foo` does.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Container, Mapping, Sequence
from dataclasses import dataclass

from obsai_discovery.records import FamilyInfo, MetricType, TypeSource

METADATA_TYPES: dict[str, MetricType] = {
    "counter": MetricType.COUNTER,
    "gauge": MetricType.GAUGE,
    "histogram": MetricType.HISTOGRAM,
    "gaugehistogram": MetricType.HISTOGRAM,
    "summary": MetricType.SUMMARY,
    "info": MetricType.GAUGE,
    "stateset": MetricType.GAUGE,
    "unknown": MetricType.UNKNOWN,
    "untyped": MetricType.UNKNOWN,
}

# Units Prometheus names end in (before any _total/_bucket/... suffix).
KNOWN_UNITS = (
    "seconds",
    "milliseconds",
    "microseconds",
    "bytes",
    "ratio",
    "percent",
    "celsius",
    "meters",
    "volts",
    "amperes",
    "joules",
    "grams",
    "hertz",
)

# Series Prometheus writes itself for every target; they never have metadata,
# so their documented meaning is given here (prometheus.io, "Jobs and instances").
SYNTHETIC: dict[str, str] = {
    "up": "Whether the target is up (available, healthy, reachable): 1 if its last scrape"
    " succeeded, 0 if it failed (down).",
    "scrape_duration_seconds": "Duration of the last scrape of the target.",
    "scrape_samples_scraped": "Number of samples the target exposed in its last scrape.",
    "scrape_samples_post_metric_relabeling": "Number of samples of the last scrape kept"
    " after metric relabeling.",
    "scrape_series_added": "Approximate number of new series in the target's last scrape.",
    "scrape_timeout_seconds": "The configured scrape timeout of the target.",
    "scrape_sample_limit": "The configured sample limit of the target.",
    "scrape_body_size_bytes": "Uncompressed size of the target's last scrape response.",
}

# Series suffixes that belong to a family of this metadata type.
_SUFFIXES: dict[str, tuple[str, ...]] = {
    "_total": ("counter",),
    "_created": ("counter", "histogram", "summary", "gaugehistogram"),
    "_bucket": ("histogram", "gaugehistogram"),
    "_sum": ("histogram", "summary"),
    "_count": ("histogram", "summary"),
    "_gsum": ("gaugehistogram",),
    "_gcount": ("gaugehistogram",),
    "_info": ("info",),
}


@dataclass(frozen=True, slots=True)
class Metadata:
    """One family's metadata, reconciled across the targets that expose it."""

    type: str
    help: str
    unit: str


def reconcile(entries: Sequence[Mapping[str, str]]) -> Metadata:
    """Targets may disagree: the most common type wins, then the most common help."""
    types = Counter(str(e.get("type", "unknown")) for e in entries)
    kind = max(sorted(types), key=lambda t: types[t])
    agreeing = [e for e in entries if e.get("type", "unknown") == kind]
    helps = Counter(str(e.get("help", "")) for e in agreeing if e.get("help"))
    units = Counter(str(e.get("unit", "")) for e in agreeing if e.get("unit"))
    return Metadata(
        type=kind,
        help=max(sorted(helps), key=lambda h: helps[h]) if helps else "",
        unit=max(sorted(units), key=lambda u: units[u]) if units else "",
    )


def reconcile_all(raw: Mapping[str, Sequence[Mapping[str, str]]]) -> dict[str, Metadata]:
    return {family: reconcile(entries) for family, entries in raw.items() if entries}


def unit_of(family: str) -> str:
    for unit in KNOWN_UNITS:
        if family.endswith("_" + unit) or family == unit:
            return unit
    return ""


def resolve(name: str, names: Container[str], metadata: Mapping[str, Metadata]) -> FamilyInfo:
    """The family, type, help and unit of the series name `name`."""
    if name in metadata:
        meta = metadata[name]
        kind = METADATA_TYPES.get(meta.type, MetricType.UNKNOWN)
        # The classic text format names a counter family with its _total.
        unit = meta.unit or unit_of(name.removesuffix("_total"))
        return FamilyInfo(name, kind, TypeSource.METADATA, meta.help, unit)
    for suffix, types in _SUFFIXES.items():
        base = name.removesuffix(suffix)
        if base != name and base in metadata and metadata[base].type in types:
            meta = metadata[base]
            kind = METADATA_TYPES[meta.type]
            if suffix == "_created":
                # The family's creation time: a timestamp, queried as a gauge.
                return FamilyInfo(base, MetricType.GAUGE, TypeSource.METADATA, meta.help, "seconds")
            if suffix == "_info":
                kind = MetricType.GAUGE
            return FamilyInfo(
                base, kind, TypeSource.METADATA, meta.help, meta.unit or unit_of(base)
            )
    return convention(name, names)


def convention(name: str, names: Container[str]) -> FamilyInfo:
    """The type naming conventions give `name`, knowing the other names of the scan."""

    def info(family: str, kind: MetricType) -> FamilyInfo:
        return FamilyInfo(family, kind, TypeSource.CONVENTION, "", unit_of(family))

    if name in SYNTHETIC:
        return FamilyInfo(name, MetricType.GAUGE, TypeSource.CONVENTION, SYNTHETIC[name],
                          unit_of(name))  # fmt: skip

    for suffix in ("_sum", "_count"):
        base = name.removesuffix(suffix)
        if base != name:
            if base + "_bucket" in names:
                return info(base, MetricType.HISTOGRAM)
            if base in names:
                return info(base, MetricType.SUMMARY)
    if name.endswith("_bucket"):
        return info(name.removesuffix("_bucket"), MetricType.HISTOGRAM)
    if name.endswith("_total"):
        return info(name.removesuffix("_total"), MetricType.COUNTER)
    if name.endswith("_created"):
        base = name.removesuffix("_created")
        if base + "_total" in names or base + "_count" in names:
            return FamilyInfo(base, MetricType.GAUGE, TypeSource.CONVENTION, "", "seconds")
    if name + "_sum" in names and name + "_count" in names and name + "_bucket" not in names:
        return info(name, MetricType.SUMMARY)  # the quantile series of a summary
    if name.endswith(("_sum", "_count")):
        # A lone _sum/_count: accumulating by convention, but nothing says so for sure.
        return info(name, MetricType.UNKNOWN)
    # Counters end in _total (OpenMetrics requires it); everything else is a gauge.
    return info(name, MetricType.GAUGE)
