"""The demo exporter: computes every series from the model at scrape time.

`GET /metrics` serves the whole estate; `?service=NAME&namespace=NS` serves one
slice of it, so Prometheus can scrape each service as its own job and target
(as it would in Kubernetes) and `up{service="payment"}` exists.

It answers in the text format 0.0.4 by default, as cAdvisor and most Go services
do: Prometheus then keys metadata by the sample name (`http_requests_total`).
With `openmetrics=True` it negotiates OpenMetrics, which carries units but makes
Prometheus key counters' metadata by family name (`http_requests`).
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from socketserver import ThreadingMixIn
from types import FrameType
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

from prometheus_client import CollectorRegistry, make_wsgi_app
from prometheus_client.metrics_core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)

from obsai_demo.estate import NAMESPACES, service_names
from obsai_demo.series import (
    BUCKET_LABELS,
    Family,
    FamilySeries,
    HistogramSeries,
    Kind,
    Series,
    build_families,
)

Clock = Callable[[], float]


class EstateCollector:
    """A prometheus_client collector over the model; nothing is stored or mutated."""

    def __init__(
        self,
        families: Iterable[FamilySeries],
        clock: Clock = time.time,
        service: str | None = None,
        namespace: str | None = None,
    ) -> None:
        self._clock = clock
        self._families = tuple(
            FamilySeries(f.family, tuple(s for s in f.series if _selected(s, service, namespace)))
            for f in families
        )

    def collect(self) -> Iterator[Metric]:
        now = self._clock()
        for family_series in self._families:
            yield _metric(family_series, now)


def _selected(series: Series | HistogramSeries, service: str | None, namespace: str | None) -> bool:
    return (service is None or series.service == service) and (
        namespace is None or series.namespace == namespace
    )


def _metric(family_series: FamilySeries, now: float) -> Metric:
    family = family_series.family
    if family.kind is Kind.HISTOGRAM:
        return _histogram(family, family_series.series, now)
    metric = _scalar_family(family)
    for series in family_series.series:
        assert isinstance(series, Series)
        metric.add_metric(list(series.label_values), series.value_at(now))
    return metric


def _scalar_family(family: Family) -> CounterMetricFamily | GaugeMetricFamily:
    labels = list(family.label_names)
    if family.kind is Kind.COUNTER:
        return CounterMetricFamily(family.name, family.help, labels=labels, unit=family.unit)
    return GaugeMetricFamily(family.name, family.help, labels=labels, unit=family.unit)


def _histogram(
    family: Family, all_series: tuple[Series | HistogramSeries, ...], now: float
) -> HistogramMetricFamily:
    metric = HistogramMetricFamily(
        family.name, family.help, labels=list(family.label_names), unit=family.unit
    )
    for series in all_series:
        assert isinstance(series, HistogramSeries)
        point = series.at(now)
        buckets = list(zip(BUCKET_LABELS, point.buckets, strict=True))
        metric.add_metric(list(series.label_values), buckets=buckets, sum_value=point.sum)
    return metric


def make_app(
    families: tuple[FamilySeries, ...], clock: Clock = time.time, openmetrics: bool = False
) -> WSGIApplication:
    """The WSGI app: /metrics, optionally narrowed by ?service= and ?namespace=."""
    known = {"service": set(service_names()), "namespace": set(NAMESPACES)}

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if not openmetrics:
            # An empty Accept makes prometheus_client answer in text format 0.0.4.
            environ = {**environ, "HTTP_ACCEPT": ""}
        if environ.get("PATH_INFO", "/") != "/metrics":
            return _plain(start_response, "404 Not Found", "metrics are at /metrics\n")
        params = parse_qs(environ.get("QUERY_STRING", ""))
        chosen: dict[str, str | None] = {}
        for name, allowed in known.items():
            value = params.get(name, [None])[0]
            if value is not None and value not in allowed:
                return _plain(start_response, "400 Bad Request", f"unknown {name}: {value}\n")
            chosen[name] = value
        registry = CollectorRegistry(auto_describe=False)
        registry.register(EstateCollector(families, clock, chosen["service"], chosen["namespace"]))
        metrics_app: WSGIApplication = make_wsgi_app(registry)
        return metrics_app(environ, start_response)

    return app


def _plain(start_response: StartResponse, status: str, body: str) -> list[bytes]:
    start_response(status, [("Content-Type", "text/plain; charset=utf-8")])
    return [body.encode()]


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    # Scrapes of different targets arrive together; do not make them queue.
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """Scrapes every few seconds would drown the log."""


def create_server(
    host: str, port: int, clock: Clock = time.time, openmetrics: bool = False
) -> WSGIServer:
    """A bound, not yet serving, exporter server; port 0 picks a free port."""
    app = make_app(build_families(), clock, openmetrics)
    return make_server(host, port, app, server_class=_ThreadingServer, handler_class=_QuietHandler)


def serve(host: str, port: int, openmetrics: bool = False) -> None:
    """Serve until SIGTERM or SIGINT, then stop accepting and close the socket."""
    server = create_server(host, port, openmetrics=openmetrics)
    stopping = threading.Event()

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    worker = threading.Thread(target=server.serve_forever, name="exporter", daemon=True)
    worker.start()
    # Tests and launchers read this line to learn the port when 0 was asked for.
    print(f"listening on http://{host}:{server.server_port}/metrics", flush=True)
    stopping.wait()
    server.shutdown()
    server.server_close()
    worker.join()
