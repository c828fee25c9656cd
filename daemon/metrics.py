"""Prometheus metrics: requests by route and status, latency, queue depth, display up."""

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

REGISTRY = CollectorRegistry()
REQUESTS = Counter("xhands_requests", "HTTP requests by route and status", ["route", "status"], registry=REGISTRY)
LATENCY = Histogram(
    "xhands_request_seconds",
    "HTTP request latency by route",
    ["route"],
    buckets=(0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 120),
    registry=REGISTRY,
)
QUEUE_DEPTH = Gauge("xhands_queue_depth", "Requests waiting for the worker", registry=REGISTRY)
DISPLAY_UP = Gauge("xhands_display_up", "1 when the X display answers", registry=REGISTRY)


def observe_request(route: str, status: int, seconds: float) -> None:
    REQUESTS.labels(route, str(status)).inc()
    LATENCY.labels(route).observe(seconds)


def exposition(queue_depth: int) -> tuple[bytes, str]:
    QUEUE_DEPTH.set(queue_depth)
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
