"""What grounding keeps between questions, and how its answer is written.

Both caches are checked against the database in
tests/integration/catalog/test_catalog_grounding_caches.py.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

from obsai.v1 import catalog_pb2, common_pb2
from obsai_catalog.candidates import CandidateFacts, Candidates
from obsai_catalog.catalog import RecordCache, SignalCache
from obsai_catalog.grpc_api import (
    GroundingMessages,
    _fill_search,
    metric_to_proto,
    search_to_proto,
)
from obsai_catalog.recognition import LabelHit, RecognitionIndex, ServiceHit
from obsai_catalog.records import (
    LabelMatch,
    LabelSample,
    MetricRecord,
    MetricType,
    ScoredMetric,
    SearchResult,
    TypeSource,
)
from obsai_catalog.store import LabelsCache
from obsai_common.timestamps import to_timestamp


def _candidates(*ranked: list[int]) -> Candidates:
    ids = {i for r in ranked for i in r}
    return Candidates(
        [list(r) for r in ranked], {i: CandidateFacts.of([f"L{i}"], ["svc"]) for i in ids}
    )


def test_signal_cache_splits_results_by_text_and_keeps_them_for_one_version() -> None:
    cache = SignalCache(size=10)
    assert cache.known(1, "vector", ["a", "b"]) == {}
    kept = cache.remember(1, "vector", _candidates([3, 1], [2]), ["a", "b"])
    assert kept["a"].ids == [3, 1]
    assert set(kept["a"].facts) == {1, 3}
    assert kept["b"].facts[2].label_names_lower == frozenset({"l2"})
    assert cache.known(1, "vector", ["a", "c"]) == {"a": kept["a"]}
    assert cache.known(1, "lexical", ["a"]) == {}  # signals never mix
    assert cache.known(2, "vector", ["a"]) == {}  # nor versions

    # A newer version empties it; an older one is answered but not kept.
    cache.remember(2, "vector", _candidates([5]), ["a"])
    assert cache.known(2, "vector", ["a", "b"])["a"].ids == [5]
    assert cache.known(2, "vector", ["b"]) == {}
    assert cache.remember(1, "vector", _candidates([9]), ["b"])["b"].ids == [9]
    assert cache.known(2, "vector", ["b"]) == {}


def test_signal_cache_forgets_the_least_recently_used_first() -> None:
    cache = SignalCache(size=2)
    cache.remember(1, "s", _candidates([1], [2]), ["a", "b"])
    cache.known(1, "s", ["a"])
    cache.remember(1, "s", _candidates([3]), ["c"])
    assert set(cache.known(1, "s", ["a", "b", "c"])) == {"a", "c"}
    assert SignalCache(size=0).remember(1, "s", _candidates([1]), ["a"])["a"].ids == [1]


def test_record_cache_keeps_the_records_of_one_version() -> None:
    stamp = datetime(2024, 5, 1, tzinfo=UTC)
    a, b, c = (_metric(stamp, n) for n in ("a", "b", "c"))
    cache = RecordCache(size=10)
    assert cache.known(1, [1, 2]) == {}
    cache.remember(1, {1: a, 2: b})
    assert cache.known(1, [2, 3]) == {2: b}
    assert cache.known(2, [1]) == {}  # another version's are never answered

    # A newer version empties it; records read at an older one are not kept.
    cache.remember(2, {3: c})
    assert cache.known(2, [1, 2, 3]) == {3: c}
    cache.remember(1, {1: a})
    assert cache.known(1, [1]) == {}
    assert cache.known(2, [1]) == {}


def test_record_cache_forgets_the_least_recently_used_first() -> None:
    stamp = datetime(2024, 5, 1, tzinfo=UTC)
    a, b, c = (_metric(stamp, n) for n in ("a", "b", "c"))
    cache = RecordCache(size=2)
    cache.remember(1, {1: a, 2: b})
    cache.known(1, [1])
    cache.remember(1, {3: c})
    assert set(cache.known(1, [1, 2, 3])) == {1, 3}
    empty = RecordCache(size=0)
    empty.remember(1, {1: a})
    assert empty.known(1, [1]) == {}


def test_recognition_index_answers_as_the_recognise_statement_would() -> None:
    services = [ServiceHit("Checkout", "checkout"), ServiceHit("payment", "payment")]
    values = [
        LabelHit(1, "status", "503", "503"),
        LabelHit(2, "status", "503", "503"),
        LabelHit(2, "env", "Production", "production"),
    ]
    index = RecognitionIndex(7, services, values, {1: ["checkout"], 2: ["payment"]})
    found = index.recognise(["payment", "checkout", "503", "nothing"], "", has_examples=True)
    assert found.catalog_version == 7
    assert found.has_examples
    assert found.services == services  # in the order given, not the order asked
    assert found.label_hits == values[:2]
    scoped = index.recognise(["503", "production"], "payment", has_examples=False)
    assert scoped.label_hits == [values[1], values[2]]
    assert not scoped.has_examples
    assert index.recognise([], "", has_examples=False).label_hits == []


def _metric(stamp: datetime, name: str = "http_requests_total") -> MetricRecord:
    return MetricRecord(
        name=name,
        family="http_requests",
        type=MetricType.COUNTER,
        type_source=TypeSource.METADATA,
        help="Requests.",
        unit="",
        labels=(LabelSample("status", ("200", "503"), True), LabelSample("le", ())),
        series_count=12,
        services=("checkout",),
        namespaces=("production", "staging"),
        first_seen_at=stamp,
        last_seen_at=stamp + timedelta(microseconds=123_457),
        stale=False,
    )


def _built_as_before(m: MetricRecord) -> catalog_pb2.Metric:
    return catalog_pb2.Metric(
        name=m.name,
        family=m.family,
        type=catalog_pb2.METRIC_TYPE_COUNTER,
        type_source=catalog_pb2.TYPE_SOURCE_METADATA,
        help=m.help,
        unit=m.unit,
        labels=[
            common_pb2.LabelValues(name=lv.name, values=lv.values, truncated=lv.truncated)
            for lv in m.labels
        ],
        series_count=m.series_count,
        services=m.services,
        namespaces=m.namespaces,
        first_seen_at=to_timestamp(m.first_seen_at),
        last_seen_at=to_timestamp(m.last_seen_at),
        stale=m.stale,
    )


def test_metrics_are_written_as_protobuf_builds_them_from_scratch() -> None:
    stamps = [
        datetime(2024, 5, 1, 12, 30, 15, 999_999, tzinfo=UTC),
        datetime(2024, 5, 1, 12, 30, 15, tzinfo=timezone(timedelta(hours=-7, minutes=-30))),
        datetime(1969, 12, 31, 23, 59, 59, 500_000, tzinfo=UTC),  # before the epoch
        datetime(2024, 5, 1, 12, 30, 15, 1),  # naive: UTC
    ]
    for stamp in stamps:
        record = _metric(stamp)
        assert metric_to_proto(record) == _built_as_before(record), stamp
    found = SearchResult(
        [
            ScoredMetric(_metric(stamps[0]), 0.25, ("vector", "lexical")),
            ScoredMetric(_metric(stamps[2], "up"), 0.125, ()),
        ],
        ["checkout"],
        [LabelMatch("status", "503", "http_requests_total")],
    )
    assert search_to_proto(found) == catalog_pb2.SearchMetricsResponse(
        results=[
            catalog_pb2.ScoredMetric(
                metric=_built_as_before(r.metric), score=r.score, matched=r.matched
            )
            for r in found.results
        ],
        services=["checkout"],
        label_matches=[
            catalog_pb2.LabelMatch(label="status", value="503", metric="http_requests_total")
        ],
    )


def test_labels_are_read_once_per_distinct_json_text() -> None:
    cache = LabelsCache(size=2)
    text = '[{"name": "le", "values": ["0.1", "+Inf"], "truncated": false}]'
    first = cache.read(text)
    assert first == (LabelSample("le", ("0.1", "+Inf"), False),)
    assert cache.read(text) is first
    cache.read("[]")
    cache.read(text)  # the most recently used stays
    cache.read('[{"name": "x", "values": [], "truncated": true}]')
    assert cache.read(text) is first
    assert cache.read("[]") == ()


def test_a_groundings_metrics_leave_out_what_grounding_never_reads() -> None:
    stamp = datetime(2024, 5, 1, 12, 30, 15, 999_999, tzinfo=UTC)
    found = SearchResult(
        [ScoredMetric(_metric(stamp), 0.25, ("vector",))],
        ["checkout"],
        [LabelMatch("status", "503", "http_requests_total")],
    )
    lean = catalog_pb2.SearchMetricsResponse()
    _fill_search(lean, found, GroundingMessages())
    full = search_to_proto(found)
    assert full.results[0].metric.namespaces
    for result in full.results:
        for field in ("namespaces", "first_seen_at", "last_seen_at"):
            result.metric.ClearField(field)
    assert lean == full
    assert not lean.results[0].metric.HasField("last_seen_at")


def test_a_records_grounding_message_is_written_once_and_anew_for_another_record() -> None:
    stamp = datetime(2024, 5, 1, 12, 30, 15, tzinfo=UTC)
    messages = GroundingMessages(size=2)
    record = _metric(stamp)
    lean = metric_to_proto(record)
    for field in ("namespaces", "first_seen_at", "last_seen_at"):
        lean.ClearField(field)

    def written(r: MetricRecord) -> catalog_pb2.Metric:
        target = catalog_pb2.Metric()
        messages.write(target, r)
        return target

    assert written(record) == lean
    assert written(record) == lean  # from the bytes kept
    # Another object, even with the same name, is another record: written anew.
    changed = replace(record, help="Requests served, by route.", series_count=7)
    assert written(changed).help == "Requests served, by route."
    assert written(changed).series_count == 7
    assert written(record) == lean
    # Only `size` records are kept; the oldest goes first, and comes back correct.
    others = [replace(record, name=f"m{i}") for i in range(3)]
    assert [written(o).name for o in others] == ["m0", "m1", "m2"]
    assert written(record) == lean
