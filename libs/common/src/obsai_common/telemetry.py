"""Self-metrics (Prometheus) and tracing (OpenTelemetry) shared by the services."""

from __future__ import annotations

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import ConsoleSpanExporter, SimpleSpanProcessor
from prometheus_client import Counter, Histogram, start_http_server

# Named for gRPC so they never mix with the http_* metrics of the systems users
# ask about; labelled like the seed's http_requests_total/duration pair.
RPC_REQUESTS = Counter(
    "obsai_rpc_requests_total",
    "RPCs handled, by service, method and status code.",
    ["service", "method", "code"],
)
RPC_DURATION = Histogram(
    "obsai_rpc_duration_seconds",
    "RPC handling time, by service and method.",
    ["service", "method"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)


def observe_rpc(service: str, method: str, code: str, seconds: float) -> None:
    RPC_REQUESTS.labels(service, method, code).inc()
    RPC_DURATION.labels(service, method).observe(seconds)


def start_metrics_endpoint(host: str, port: int) -> int:
    """Serve /metrics; returns the bound port (port 0 picks a free one)."""
    server, _thread = start_http_server(port, addr=host)
    return int(server.server_address[1])


def build_tracer(service: str, exporter: str) -> trace.Tracer:
    provider = TracerProvider(resource=Resource.create({"service.name": f"obsai-{service}"}))
    if exporter == "console":
        provider.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter()))
    return provider.get_tracer(f"obsai.{service}")
