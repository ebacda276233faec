"""Pure functions of time that drive every number the demo world shows.

A rate is a `Wave`: a mean times (1 + a sum of sines). A daily sine peaking in
the afternoon (UTC) gives traffic its shape; short sines with phases drawn from
a series' name give each series its own wiggle. A counter is the exact integral
of its rate since its container last started (each container restarts once a
week, at its own moment), so the live exporter and the backfill agree to the
sample, and `rate()` over any window gives back the rate the model intended.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

from obsai_demo.estate import Endpoint, Pod, stable_digest

# Nothing happens before 2024-01-01T00:00:00Z; integrals start here.
EPOCH = 1_704_067_200.0
DAY = 86_400.0
RESTART_PERIOD = 7 * DAY
TAU = 2.0 * math.pi
PEAK_HOUR_UTC = 15.0
PAGE_BYTES = 4096.0

# Short periods that do not divide a day, so no two hours look the same.
_WIGGLE_PERIODS = (3 * 3600.0 + 17 * 60.0, 47 * 60.0, 11 * 60.0)

# Latency histogram upper bounds (prometheus_client's defaults, trimmed).
BUCKET_BOUNDS: tuple[float, ...] = (
    *(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5),
    *(1.0, 2.5, 5.0, 10.0, math.inf),
)


@dataclass(frozen=True)
class Harmonic:
    amplitude: float
    period: float
    phase: float


@dataclass(frozen=True)
class Wave:
    """mean * (1 + sum(a * sin(2*pi*t/period + phase))): a rate or a level."""

    mean: float
    harmonics: tuple[Harmonic, ...]

    def at(self, t: float) -> float:
        wiggle = sum(h.amplitude * math.sin(TAU * t / h.period + h.phase) for h in self.harmonics)
        return self.mean * (1.0 + wiggle)

    def integral(self, t: float) -> float:
        """The integral from EPOCH to t: the value of a counter with this rate."""
        if t <= EPOCH:
            return 0.0
        total = t - EPOCH
        for h in self.harmonics:
            scale = h.amplitude * h.period / TAU
            start = math.cos(TAU * EPOCH / h.period + h.phase)
            total += scale * (start - math.cos(TAU * t / h.period + h.phase))
        return self.mean * total


def restart_offset(pod: Pod) -> float:
    """Where in the week this pod's container restarts (and its counters reset)."""
    digest = stable_digest(_pod_key(pod, "restart"))
    return RESTART_PERIOD * int.from_bytes(digest[:4], "big") / 2**32


def last_start(t: float, offset: float) -> float:
    """When the container restarting weekly at `offset` last started, at or before t."""
    return t - (t - offset) % RESTART_PERIOD


def counter(wave: Wave, offset: float, t: float) -> float:
    """A counter of `wave` at t: what accumulated since the container started."""
    return wave.integral(t) - wave.integral(last_start(t, offset))


def daily(amplitude: float) -> Harmonic:
    """The daily cycle, at its highest at PEAK_HOUR_UTC."""
    return Harmonic(amplitude, DAY, math.pi / 2.0 - TAU * PEAK_HOUR_UTC / 24.0)


def wiggles(key: str, amplitudes: tuple[float, float, float]) -> tuple[Harmonic, ...]:
    """Short cycles whose phases come from `key`: stable per series, varied across."""
    digest = stable_digest(key)
    return tuple(
        Harmonic(amplitude, period, TAU * digest[i] / 256.0)
        for i, (amplitude, period) in enumerate(zip(amplitudes, _WIGGLE_PERIODS, strict=True))
    )


def _wave(mean: float, key: str, day: float, small: tuple[float, float, float]) -> Wave:
    return Wave(mean, (daily(day), *wiggles(key, small)))


def _pod_key(pod: Pod, what: str) -> str:
    return f"{what}/{pod.namespace}/{pod.name}"


def requests_wave(pod: Pod, endpoint: Endpoint) -> Wave:
    """Requests per second that one pod serves on one endpoint."""
    mean = pod.service.requests_per_second * endpoint.share * pod.traffic
    key = _pod_key(pod, f"http {endpoint.method} {endpoint.path}")
    return _wave(mean, key, 0.45, (0.06, 0.04, 0.03))


def cpu_wave(pod: Pod) -> Wave:
    """CPU cores a pod's container uses: follows traffic, unless it is CPU bound."""
    mean = pod.service.cpu_cores * pod.cpu_share
    if pod.service.cpu_bound:
        return _wave(mean, _pod_key(pod, "cpu"), 0.02, (0.01, 0.01, 0.005))
    return _wave(mean, _pod_key(pod, "cpu"), 0.3, (0.05, 0.03, 0.02))


def memory_wave(pod: Pod) -> Wave:
    """Bytes of memory a container uses; it breathes less the fuller it is."""
    mean = pod.service.memory_limit_bytes * pod.memory_fill
    headroom = 1.0 - pod.memory_fill
    day = min(0.05, headroom / 10.0)
    return _wave(mean, _pod_key(pod, "memory"), day, (day / 3.0, day / 5.0, day / 10.0))


def fs_read_wave(pod: Pod) -> Wave:
    mean = pod.service.fs_read_bytes_per_second * pod.traffic
    return _wave(mean, _pod_key(pod, "fs-read"), 0.35, (0.1, 0.08, 0.05))


def fs_writes_wave(pod: Pod) -> Wave:
    mean = pod.service.fs_writes_per_second * pod.traffic
    return _wave(mean, _pod_key(pod, "fs-writes"), 0.35, (0.1, 0.08, 0.05))


def _network_wave(pod: Pod, bytes_per_request: float, direction: str) -> Wave:
    mean = pod.service.requests_per_second * pod.traffic * bytes_per_request
    return _wave(mean, _pod_key(pod, f"net-{direction}"), 0.45, (0.06, 0.04, 0.03))


def receive_wave(pod: Pod) -> Wave:
    return _network_wave(pod, pod.service.receive_bytes_per_request, "rx")


def transmit_wave(pod: Pod) -> Wave:
    return _network_wave(pod, pod.service.transmit_bytes_per_request, "tx")


def whole_pages(value: float) -> float:
    """Memory is reported in whole pages."""
    return math.floor(value / PAGE_BYTES) * PAGE_BYTES


def latency_fractions(endpoint: Endpoint, sigma: float) -> tuple[float, ...]:
    """Share of requests at or under each bucket bound: a log-normal latency."""
    log_median = math.log(endpoint.median_seconds)
    return tuple(
        1.0
        if math.isinf(bound)
        else 0.5 * (1.0 + math.erf((math.log(bound) - log_median) / (sigma * math.sqrt(2.0))))
        for bound in BUCKET_BOUNDS
    )


def mean_latency(endpoint: Endpoint, sigma: float) -> float:
    """Mean of the log-normal latency: what _sum / _count converges to."""
    return endpoint.median_seconds * math.exp(sigma * sigma / 2.0)


def latency_quantile(endpoint: Endpoint, sigma: float, q: float) -> float:
    """The true q-quantile of an endpoint's latency (before bucketing)."""
    return endpoint.median_seconds * math.exp(sigma * NormalDist().inv_cdf(q))
