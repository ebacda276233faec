"""A tiny real exporter for discovery tests: `python shop_exporter.py CONTROL_FILE`.

Serves a handful of families of every type with prometheus_client on a free
port (printed as `listening on http://127.0.0.1:PORT/metrics`). Names listed in
CONTROL_FILE (one per line) are left out of the exposition, so a test can make
a metric vanish and come back, as a real deployment would.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    Info,
    Summary,
    start_http_server,
)
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector


def build(registry: CollectorRegistry) -> None:
    orders = Counter("shop_orders", "Orders placed.", ["service", "namespace"], registry=registry)
    latency = Histogram(
        "shop_request_latency_seconds",
        "Latency of shop requests.",
        ["service", "namespace"],
        registry=registry,
    )
    rpc = Summary(
        "shop_rpc_duration_seconds", "Time spent in outgoing RPCs.", ["service"], registry=registry
    )
    for service, namespace in (("checkout", "production"), ("payment", "staging")):
        orders.labels(service, namespace).inc(3)
        latency.labels(service, namespace).observe(0.2)
        rpc.labels(service).observe(0.05)
    queue = Gauge("shop_queue_depth", "Jobs waiting in the queue.", ["app"], registry=registry)
    queue.labels("worker").set(4)
    stock = Gauge("shop_items_in_stock", "Items in stock per SKU.", ["sku"], registry=registry)
    for i in range(120):
        stock.labels(f"sku-{i:03d}").set(i)
    cart = Gauge(
        "shop_cart_value", "Value of open carts.", ["service"], unit="dollars", registry=registry
    )
    cart.labels("checkout").set(42)
    sale = Gauge(
        "shop_flash_sale_active", "Whether a flash sale runs.", ["service"], registry=registry
    )
    sale.labels("checkout").set(1)
    Info("shop_build", "Build information.", registry=registry).info({"version": "1.2.3"})


class Filtered(Collector):
    def __init__(self, inner: CollectorRegistry, control: Path) -> None:
        self._inner = inner
        self._control = control

    def collect(self) -> Iterator[Metric]:
        try:
            hidden = set(self._control.read_text().split())
        except OSError:
            hidden = set()
        for metric in self._inner.collect():
            if metric.name not in hidden:
                yield metric


def main() -> None:
    inner = CollectorRegistry()
    build(inner)
    outer = CollectorRegistry(auto_describe=False)
    outer.register(Filtered(inner, Path(sys.argv[1])))
    server, _thread = start_http_server(0, addr="127.0.0.1", registry=outer)
    print(f"listening on http://127.0.0.1:{server.server_address[1]}/metrics", flush=True)
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main()
