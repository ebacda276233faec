"""Stage 1 — parse: what a question asks, before any metric is looked at."""

from __future__ import annotations

import pytest

from obsai_query.planner.intent import parse_intent, search_words
from obsai_query.planner.vocabulary import Vocabulary, split_name, stem


@pytest.mark.parametrize(
    ("question", "measures"),
    [
        ("What is the CPU usage for the auth service?", ["cpu"]),
        ("RAM used by checkout", ["memory"]),
        ("p95 response time of checkout", ["latency"]),
        ("how slow is catalog", ["latency"]),
        ("5xx responses per second for payment", ["errors"]),
        ("paymnet 503s per second", ["errors"]),  # a 5xx code names errors
        ("outbound bandwidth of the frontend", ["transmit", "network"]),
        ("How long has the node been up?", ["latency", "uptime"]),  # "been up" is no outage
        ("is payment up?", ["availability"]),
        ("Which probes are failing?", ["probes", "availability"]),  # things fail: they are down
    ],
)
def test_measures(vocab: Vocabulary, question: str, measures: list[str]) -> None:
    assert parse_intent(question, vocab).measures == measures


@pytest.mark.parametrize(
    ("question", "quantiles"),
    [
        ("p99 latency for checkout", [0.99]),
        ("99th percentile response time", [0.99]),
        ("p99.9 latency", [0.999]),
        ("median latency of the frontend", [0.5]),
        ("Compare 50th, 95th, and 99th percentile latency", [0.5, 0.95, 0.99]),
        ("latency of checkout", []),
    ],
)
def test_quantiles(vocab: Vocabulary, question: str, quantiles: list[float]) -> None:
    assert parse_intent(question, vocab).quantiles == quantiles


def test_thresholds_are_read_in_base_units(vocab: Vocabulary) -> None:
    memory = parse_intent("Which pods use more than 2 GiB of memory?", vocab).threshold
    assert memory is not None
    assert (memory.op, memory.value, memory.kind) == (">", 2 * 1024**3, "bytes")
    latency = parse_intent("services with p95 latency above 500ms", vocab).threshold
    assert latency is not None
    assert (latency.value, latency.kind) == (0.5, "seconds")
    share = parse_intent("Which services have error rates above 1%?", vocab)
    assert share.threshold is not None
    assert share.threshold.kind == "percent"
    assert not share.percent  # "%" of the threshold is not "show it in percent"
    below = parse_intent("endpoints with fewer than 3 requests per second", vocab).threshold
    assert below is not None
    assert below.op == "<"


def test_share_slower_than_is_a_fraction_not_a_threshold(vocab: Vocabulary) -> None:
    intent = parse_intent("What fraction of checkout requests take longer than 250ms?", vocab)
    assert intent.longer_than == 0.25
    assert intent.threshold is None


@pytest.mark.parametrize(
    ("question", "top", "singular"),
    [
        ("top 4 pods by cpu", ("topk", 4), False),
        ("5 busiest endpoints", ("topk", 5), False),
        ("Which service reads the most from disk?", ("topk", 5), True),
        ("slowest service by p99", ("topk", 5), True),
        ("bottom 3 services by request rate", ("bottomk", 3), False),
        ("Show me request rate for the last 24 hours", None, False),  # "last 24" is no top 24
    ],
)
def test_top_k(
    vocab: Vocabulary, question: str, top: tuple[str, int] | None, singular: bool
) -> None:
    intent = parse_intent(question, vocab)
    assert intent.top == top
    assert intent.singular_subject is singular


@pytest.mark.parametrize(
    ("question", "groups"),
    [
        ("Show me request rate broken down by endpoint", ["endpoint"]),
        ("memory per namespace", ["namespace"]),
        ("number of keys in each redis db", ["redis db"]),
        ("cpu seconds per second by mode", ["mode"]),  # "per second" is a rate, not a group
        ("Which 3 services return the most 5xx errors per second?", ["services"]),
        ("endpoints whose p99 latency is over 1 second", ["endpoints"]),
        ("What share of requests failed across all services?", []),  # across all: one number
    ],
)
def test_grouping(vocab: Vocabulary, question: str, groups: list[str]) -> None:
    assert parse_intent(question, vocab).group_words == groups


@pytest.mark.parametrize(
    ("question", "offset", "ratio"),
    [
        ("Compare latency now vs 1 hour ago", 3600.0, True),
        ("p95 latency of payment now vs 24h ago", 86400.0, True),
        ("memory of the cache service compared to yesterday", 86400.0, True),
        ("What was the api's request rate an hour ago?", 3600.0, False),
        ("Show me services with sudden error rate spikes", 600.0, True),
    ],
)
def test_earlier_times(vocab: Vocabulary, question: str, offset: float, ratio: bool) -> None:
    intent = parse_intent(question, vocab)
    assert (intent.offset_seconds, intent.compare_then) == (offset, ratio)


def test_operations(vocab: Vocabulary) -> None:
    assert parse_intent("How much free space will / have in 4 hours", vocab).predict_seconds == (
        4 * 3600
    )
    assert parse_intent("How fast is memory usage growing for cache?", vocab).growth
    assert parse_intent("What was the peak CPU usage in the last week?", vocab).peak == "max"
    assert parse_intent("average memory of api over the last hour", vocab).window_word == "over"
    assert parse_intent("How many CPUs does the node have?", vocab).count_of == "cpu"
    counted = parse_intent("How many redis databases have keys?", vocab)
    assert (counted.count_of, counted.count_have) == ("redis database", True)
    unit = parse_intent("how much memory is auth using in MB", vocab).unit
    assert unit is not None
    assert unit[:2] == ("bytes", 1024**2)
    assert parse_intent("What's breaking right now?", vocab).breaking


def test_misspellings_are_read_as_the_words_they_miss(vocab: Vocabulary) -> None:
    intent = parse_intent("memroy latancy usge", vocab)
    assert intent.text == "memory latency usage"
    assert ("memroy", "memory") in intent.corrections
    # Towards words the grounding knows, too (service names, label values).
    named = parse_intent("failure rate of chekout", vocab, known={"checkout"})
    assert "checkout" in named.text
    # Everyday words are never "corrected".
    assert parse_intent("endpoints whose p99 is high", vocab).text.startswith("endpoints whose")


def test_words_and_names(vocab: Vocabulary) -> None:
    assert [stem(w) for w in ("requests", "processes", "keys", "cpus", "status", "series")] == [
        "request",
        "process",
        "key",
        "cpu",
        "status",
        "series",
    ]
    assert split_name("node_memory_MemAvailable_bytes") == (
        "node",
        "memory",
        "mem",
        "available",
        "byte",
    )
    assert {"number", "backend"} <= vocab.metric_words("pg_stat_database_numbackends")
    assert "transaction" in vocab.metric_words("pg_stat_database_xact_commit")
    assert "append" in vocab.metric_words("prometheus_tsdb_head_samples_appended_total")


def test_search_words_bring_partners_for_ratios(vocab: Vocabulary) -> None:
    (measured,) = search_words("p99 latency", vocab)
    assert "duration" in measured.split()
    ratio = search_words("redis cache hit ratio", vocab)
    assert "miss" in ratio[-1].split()
    limit = search_words("What percentage of memory is the database using?", vocab)
    assert "limit" in limit[-1].split()
