"""Mechanisms behind the node and PostgreSQL misses left from the held-out rounds: a single
letter run into a name as the initial of a word ("SUnreclaim": slab, unreclaimable), a name
written with underscores as the metric that has those words ("shared_buffers"), a share of
another thing's whole as one number of it ("… as a percentage of the machine's RAM"), what
every one of some things would use together ("if every allowed connection used a full
work_mem": the one times the other), a TCP connection accepted as a passive open (the
glossary), and a counter asked as a fraction of the time as its
rate, never as a share of some limit its words happen to pair with.

Each test is one mechanism on a small, fixed grounding; no names in the planner's code.
"""

from __future__ import annotations

from obsai_query.catalog_client import MetricInfo
from obsai_query.planner.choose import _initials_in
from obsai_query.planner.intent import parse_intent
from obsai_query.planner.vocabulary import Vocabulary, split_name
from tests.unit.planner.conftest import NODE, _m, answer, exporter_metrics

PG = {"instance": ("127.0.0.1:9187",), "job": ("postgres",), "server": ("127.0.0.1:5432",)}
ON_NODE = ("node",)
ON_PG = ("postgres",)


def _node_memory(field: str) -> MetricInfo:
    return _m(
        f"node_memory_{field}_bytes",
        "gauge",
        f"Memory information field {field}_bytes.",
        NODE,
        unit="bytes",
        services=ON_NODE,
    )


def _setting(name: str, help_text: str, unit: str = "") -> MetricInfo:
    return _m(f"pg_settings_{name}", "gauge", help_text, PG, unit=unit, services=ON_PG)


def metrics() -> list[MetricInfo]:
    # The exporter metrics, with the node's memory and the postgres settings said as the
    # catalog says them: each measured by its own service.
    base = [m for m in exporter_metrics() if not m.name.startswith("node_memory_")]
    return [
        *base,
        *(
            _node_memory(field)
            for field in (
                "MemTotal",
                "MemAvailable",
                "MemFree",
                "Slab",
                "SReclaimable",
                "SUnreclaim",
                "KReclaimable",
                "Shmem",
                "Buffers",
                "DirectMap2M",
            )
        ),
        _setting("shared_buffers_bytes", "Sets the number of shared memory buffers.", "bytes"),
        _setting("work_mem_bytes", "Sets the maximum memory to be used for query workspaces."),
        _setting("max_connections", "Sets the maximum number of concurrent connections."),
        _m(
            "pg_stat_activity_count",
            "gauge",
            "number of connections in this state",
            {**PG, "state": ("active", "idle")},
            2,
            services=ON_PG,
        ),
        _m(
            "node_pressure_memory_stalled_seconds_total",
            "counter",
            "Pressure stall time due to memory contention.",
            NODE,
            unit="seconds",
            services=ON_NODE,
        ),
        _m(
            "node_pressure_memory_waiting_seconds_total",
            "counter",
            "Pressure wait time due to memory contention.",
            NODE,
            unit="seconds",
            services=ON_NODE,
        ),
    ]


# --- a letter run into a name is the initial of a word


def test_a_letter_before_a_word_of_a_name_is_its_initial() -> None:
    """ "unreclaimable slab": SUnreclaim (Slab, Unreclaimable), not all of the slab."""
    assert answer("unreclaimable slab, MB?", metrics()) == (
        "(node_memory_SUnreclaim_bytes) / 1048576"
    )
    assert "node_memory_SReclaimable_bytes" in answer(
        "how much reclaimable slab memory is there", metrics()
    )


def test_an_initial_stands_for_a_word_only_with_the_word_after_it() -> None:
    """The S of SReclaimable is said only when "reclaimable" is too (the two are one term),
    and a letter after a number is a unit (DirectMap2M's M), no initial."""
    asked = frozenset({"slab", "shared", "reclaimable"})
    assert _initials_in(split_name("node_memory_SReclaimable_bytes"), asked) == {
        "s": frozenset({"slab", "shared"})
    }
    assert _initials_in(split_name("node_memory_SUnreclaim_bytes"), frozenset({"shared"})) == {}
    assert _initials_in(split_name("node_memory_DirectMap2M_bytes"), frozenset({"map"})) == {}


# --- a name written with underscores


def test_a_name_written_with_underscores_says_its_words(vocab: Vocabulary) -> None:
    """ "shared_buffers": its words, in order, to find in a metric's name."""
    intent = parse_intent("how big is shared_buffers, and work_mem?", vocab)
    assert intent.names_written == (("shared", "buffer"), ("work", "mem"))


def test_the_metric_with_the_name_written_is_the_one_meant() -> None:
    """ "shared_buffers in MB": the setting of that name, not the node's Shmem or Buffers
    that "shared" and "buffers" also read as."""
    assert answer("shared_buffers in MB", metrics()) == (
        "(pg_settings_shared_buffers_bytes) / 1048576"
    )


def test_a_name_written_with_a_thing_named_in_it_names_that_thing() -> None:
    """ "the postgres_exporter": the job called postgres (a value of a label), not a metric
    named after it; what is measured is said by the other words."""
    promql = answer("how many connections does the postgres_exporter see?", metrics())
    assert "pg_stat_activity_count" in promql


# --- a share of another thing's whole


def test_a_share_of_another_things_whole_is_one_number_of_it() -> None:
    """ "shared_buffers as a percentage of the machine's RAM": the setting's series over all
    of the machine's memory (another service's, one number), not over the machine's buffers
    that share a word with it."""
    assert answer("shared_buffers as a percentage of the machine's RAM", metrics()) == (
        "100 * (pg_settings_shared_buffers_bytes / scalar(sum(node_memory_MemTotal_bytes)))"
    )


# --- what every one of some things would use


def test_every_thing_using_an_amount_is_the_amount_times_their_number(vocab: Vocabulary) -> None:
    """ "if every allowed connection used a full work_mem": work_mem times the connections
    allowed (the limit: "allowed"), in the unit asked."""
    intent = parse_intent("if every allowed connection used a full work_mem", vocab)
    assert intent.product_of is not None
    assert "limit" in parse_intent("allowed connections", vocab).qualifiers
    question = (
        "worst case, if every allowed connection used a full work_mem at once, how many GB"
        " would that be?"
    )
    assert answer(question, metrics()) == (
        "(pg_settings_work_mem_bytes * pg_settings_max_connections) / 1073741824"
    )


def test_the_things_multiplied_are_counted_not_measured() -> None:
    """ "if each connection took work_mem": the connections there are now (no limit is said),
    a number of them, never an amount in bytes or seconds, is what it is multiplied by."""
    promql = answer("total memory if each connection took work_mem", metrics())
    assert promql == "sum(pg_settings_work_mem_bytes) * sum(pg_stat_activity_count)"


# --- the glossary: a connection accepted is a passive open


def test_a_tcp_connection_accepted_is_a_passive_open() -> None:
    """ "incoming TCP connections accepted": the kernel's PassiveOpens (opened by the other
    side), not another server's count of the connections it received."""
    grounding = [
        *metrics(),
        _m(
            "node_netstat_Tcp_PassiveOpens",
            "unknown",
            "Statistic TcpPassiveOpens.",
            NODE,
            services=ON_NODE,
        ),
        _m(
            "redis_connections_received_total",
            "counter",
            "connections_received_total metric",
            {"instance": ("127.0.0.1:9121",), "job": ("redis",)},
            services=("redis",),
        ),
    ]
    promql = answer("incoming TCP connections accepted per second", grounding)
    assert promql == "rate(node_netstat_Tcp_PassiveOpens[5m])"


# --- a counter is no share of a limit


def test_a_fraction_of_the_time_of_a_counter_of_seconds_is_its_rate() -> None:
    """ "what fraction of the time were all tasks stalled on memory (full memory pressure)":
    the stalled seconds per second; not 1 - MemAvailable / MemTotal, a pair of the memory's
    levels that the counter's words would otherwise find."""
    question = (
        "what fraction of the time were ALL non-idle tasks stalled on memory at once"
        " (full memory pressure)?"
    )
    assert answer(question, metrics()) == "rate(node_pressure_memory_stalled_seconds_total[5m])"
