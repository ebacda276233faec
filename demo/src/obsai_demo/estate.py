"""The demo estate: which services, pods and endpoints exist, and their profiles.

Everything here is static data. How the numbers move over time lives in `model`.
The deliberate problems, so that questions have interesting answers:

- payment answers ~8% of its requests with a 5xx (500 and 503);
- catalog burns ~0.9 CPU cores per pod whatever its traffic, is slow and has
  ~1.2% of 5xx;
- one cache pod in production sits at ~93% of its memory limit.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

NAMESPACES: tuple[str, ...] = ("production", "staging")
REPLICAS: dict[str, int] = {"production": 3, "staging": 1}
# Staging pods see a small share of a production pod's traffic.
TRAFFIC_SHARE: dict[str, float] = {"production": 1.0, "staging": 0.08}
# Staging pods idle most of the time, so they use less CPU too.
CPU_SHARE: dict[str, float] = {"production": 1.0, "staging": 0.3}

MIB = 1024.0 * 1024.0
GIB = 1024.0 * MIB

# Pod name suffixes use Kubernetes' alphabet (no vowels, no look-alike digits).
_POD_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


@dataclass(frozen=True)
class Endpoint:
    """One route of a service, with its share of the service's requests."""

    path: str
    method: str
    share: float
    median_seconds: float


@dataclass(frozen=True)
class Service:
    """How one service behaves per production pod, at its daily mean."""

    name: str
    requests_per_second: float
    endpoints: tuple[Endpoint, ...]
    client_error: tuple[str, float]
    server_errors: tuple[tuple[str, float], ...]
    latency_sigma: float
    cpu_cores: float
    memory_limit_bytes: float
    memory_fill: float
    fs_read_bytes_per_second: float
    fs_writes_per_second: float
    receive_bytes_per_request: float
    transmit_bytes_per_request: float
    stateful: bool = False
    # Burns CPU whatever the traffic (a hot loop), so its usage is flat and high.
    cpu_bound: bool = False

    @property
    def server_error_ratio(self) -> float:
        return sum(ratio for _, ratio in self.server_errors)

    def status_shares(self) -> tuple[tuple[str, float], ...]:
        """Every status code this service answers with, and its share of requests."""
        client_status, client_ratio = self.client_error
        ok = 1.0 - client_ratio - self.server_error_ratio
        return (("200", ok), (client_status, client_ratio), *self.server_errors)


@dataclass(frozen=True)
class Pod:
    """One replica of a service in one namespace."""

    service: Service
    namespace: str
    name: str
    traffic: float
    cpu_share: float
    memory_fill: float

    @property
    def environment(self) -> str:
        # The estate keeps one environment per namespace, as many real ones do.
        return self.namespace


def _ep(path: str, method: str, share: float, median_ms: float) -> Endpoint:
    return Endpoint(path, method, share, median_ms / 1000.0)


SERVICES: tuple[Service, ...] = (
    Service(
        name="frontend",
        requests_per_second=120.0,
        endpoints=(_ep("/", "GET", 0.6, 45.0), _ep("/product/{id}", "GET", 0.4, 60.0)),
        client_error=("404", 0.02),
        server_errors=(("500", 0.002),),
        latency_sigma=0.5,
        cpu_cores=0.25,
        memory_limit_bytes=512 * MIB,
        memory_fill=0.45,
        fs_read_bytes_per_second=40e3,
        fs_writes_per_second=1.5,
        receive_bytes_per_request=900.0,
        transmit_bytes_per_request=24e3,
    ),
    Service(
        name="api-gateway",
        requests_per_second=300.0,
        endpoints=(_ep("/api/*", "GET", 0.7, 20.0), _ep("/api/*", "POST", 0.3, 30.0)),
        client_error=("404", 0.01),
        server_errors=(("502", 0.003),),
        latency_sigma=0.55,
        cpu_cores=0.35,
        memory_limit_bytes=512 * MIB,
        memory_fill=0.4,
        fs_read_bytes_per_second=20e3,
        fs_writes_per_second=1.0,
        receive_bytes_per_request=1.2e3,
        transmit_bytes_per_request=6e3,
    ),
    Service(
        name="api",
        requests_per_second=180.0,
        endpoints=(
            _ep("/api/v1/orders", "GET", 0.65, 50.0),
            _ep("/api/v1/orders", "POST", 0.35, 80.0),
        ),
        client_error=("400", 0.015),
        server_errors=(("500", 0.004),),
        latency_sigma=0.6,
        cpu_cores=0.4,
        memory_limit_bytes=1 * GIB,
        memory_fill=0.5,
        fs_read_bytes_per_second=60e3,
        fs_writes_per_second=3.0,
        receive_bytes_per_request=1.5e3,
        transmit_bytes_per_request=4e3,
    ),
    Service(
        name="auth",
        requests_per_second=80.0,
        endpoints=(_ep("/login", "POST", 0.3, 30.0), _ep("/token/verify", "POST", 0.7, 15.0)),
        client_error=("401", 0.03),
        server_errors=(("500", 0.001),),
        latency_sigma=0.5,
        cpu_cores=0.2,
        memory_limit_bytes=256 * MIB,
        memory_fill=0.55,
        fs_read_bytes_per_second=10e3,
        fs_writes_per_second=0.5,
        receive_bytes_per_request=600.0,
        transmit_bytes_per_request=1.1e3,
    ),
    Service(
        name="checkout",
        requests_per_second=40.0,
        endpoints=(_ep("/checkout", "POST", 0.35, 120.0), _ep("/cart", "GET", 0.65, 35.0)),
        client_error=("400", 0.01),
        server_errors=(("500", 0.005),),
        latency_sigma=0.6,
        cpu_cores=0.3,
        memory_limit_bytes=512 * MIB,
        memory_fill=0.5,
        fs_read_bytes_per_second=15e3,
        fs_writes_per_second=1.0,
        receive_bytes_per_request=2e3,
        transmit_bytes_per_request=3e3,
    ),
    Service(
        name="payment",
        requests_per_second=25.0,
        endpoints=(_ep("/payments", "POST", 0.6, 250.0), _ep("/payments/{id}", "GET", 0.4, 40.0)),
        client_error=("400", 0.01),
        # The estate's outage: the card processor is failing a share of calls.
        server_errors=(("500", 0.05), ("503", 0.03)),
        latency_sigma=0.65,
        cpu_cores=0.25,
        memory_limit_bytes=512 * MIB,
        memory_fill=0.45,
        fs_read_bytes_per_second=8e3,
        fs_writes_per_second=0.8,
        receive_bytes_per_request=1.5e3,
        transmit_bytes_per_request=900.0,
    ),
    Service(
        name="catalog",
        requests_per_second=150.0,
        endpoints=(_ep("/products", "GET", 0.45, 180.0), _ep("/products/{id}", "GET", 0.55, 220.0)),
        client_error=("404", 0.02),
        # Saturated CPU makes some requests time out.
        server_errors=(("500", 0.012),),
        latency_sigma=0.7,
        cpu_cores=0.92,
        memory_limit_bytes=1 * GIB,
        memory_fill=0.6,
        fs_read_bytes_per_second=120e3,
        fs_writes_per_second=2.0,
        receive_bytes_per_request=700.0,
        transmit_bytes_per_request=18e3,
        cpu_bound=True,
    ),
    Service(
        name="database",
        requests_per_second=400.0,
        endpoints=(_ep("/query", "POST", 0.97, 8.0), _ep("/health", "GET", 0.03, 2.0)),
        client_error=("400", 0.002),
        server_errors=(("500", 0.0005),),
        latency_sigma=0.8,
        cpu_cores=0.45,
        memory_limit_bytes=4 * GIB,
        memory_fill=0.65,
        fs_read_bytes_per_second=5e6,
        fs_writes_per_second=150.0,
        receive_bytes_per_request=800.0,
        transmit_bytes_per_request=5e3,
        stateful=True,
    ),
    Service(
        name="cache",
        requests_per_second=900.0,
        endpoints=(_ep("/get", "GET", 0.85, 1.5), _ep("/set", "PUT", 0.15, 2.0)),
        client_error=("404", 0.12),
        server_errors=(("500", 0.0002),),
        latency_sigma=0.5,
        cpu_cores=0.15,
        memory_limit_bytes=2 * GIB,
        memory_fill=0.55,
        fs_read_bytes_per_second=2e3,
        fs_writes_per_second=0.2,
        receive_bytes_per_request=300.0,
        transmit_bytes_per_request=1.2e3,
        stateful=True,
    ),
    Service(
        name="storage",
        requests_per_second=60.0,
        endpoints=(
            _ep("/objects/{key}", "GET", 0.75, 40.0),
            _ep("/objects/{key}", "PUT", 0.25, 90.0),
        ),
        client_error=("404", 0.03),
        server_errors=(("500", 0.002),),
        latency_sigma=0.7,
        cpu_cores=0.2,
        memory_limit_bytes=1 * GIB,
        memory_fill=0.35,
        fs_read_bytes_per_second=20e6,
        fs_writes_per_second=200.0,
        receive_bytes_per_request=60e3,
        transmit_bytes_per_request=150e3,
        stateful=True,
    ),
)

# (service, namespace, replica index) of the pod close to its memory limit.
MEMORY_PRESSURE_POD: tuple[str, str, int] = ("cache", "production", 0)
MEMORY_PRESSURE_FILL = 0.93


def stable_digest(key: str) -> bytes:
    """A digest of `key` that is the same in every process (unlike `hash`)."""
    return hashlib.blake2b(key.encode(), digest_size=16).digest()


def _suffix(key: str, length: int) -> str:
    digest = stable_digest(key)
    return "".join(_POD_ALPHABET[b % len(_POD_ALPHABET)] for b in digest[:length])


def pod_name(service: Service, namespace: str, index: int) -> str:
    """A Kubernetes-looking pod name: StatefulSet ordinals or ReplicaSet hashes."""
    if service.stateful:
        return f"{service.name}-{index}"
    replica_set = _suffix(f"{namespace}/{service.name}", 10)
    return f"{service.name}-{replica_set}-{_suffix(f'{namespace}/{service.name}/{index}', 5)}"


def _memory_fill(service: Service, namespace: str, index: int) -> float:
    if (service.name, namespace, index) == MEMORY_PRESSURE_POD:
        return MEMORY_PRESSURE_FILL
    return service.memory_fill


def build_pods(services: tuple[Service, ...] = SERVICES) -> tuple[Pod, ...]:
    """Every pod of the estate, in a stable order."""
    return tuple(
        Pod(
            service=service,
            namespace=namespace,
            name=pod_name(service, namespace, index),
            traffic=TRAFFIC_SHARE[namespace],
            cpu_share=1.0 if service.cpu_bound else CPU_SHARE[namespace],
            memory_fill=_memory_fill(service, namespace, index),
        )
        for service in services
        for namespace in NAMESPACES
        for index in range(REPLICAS[namespace])
    )


def service_names(services: tuple[Service, ...] = SERVICES) -> tuple[str, ...]:
    return tuple(service.name for service in services)
