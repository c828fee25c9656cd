"""Prometheus metrics: requests by route and status, request and action latency, queue depth, display up."""

import functools
import time
from importlib.metadata import PackageNotFoundError, version

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Info, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

REGISTRY = CollectorRegistry()
REQUESTS = Counter("xhands_requests", "HTTP requests by route and status", ["route", "status"], registry=REGISTRY)
# Seconds, from a fifth of a millisecond (a fast action) to the longest request allowed.
BUCKETS = (0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 120)
LATENCY = Histogram("xhands_request_seconds", "HTTP request latency by route", ["route"], buckets=BUCKETS, registry=REGISTRY)
ACTION_LATENCY = Histogram("xhands_action_seconds", "Time one action took to run on the display, by action type", ["type"],
                           buckets=BUCKETS, registry=REGISTRY)
ACTIONS = Counter("xhands_actions", "Actions run, by type and outcome (ok, error, cancelled)", ["type", "outcome"], registry=REGISTRY)
QUEUE_DEPTH = Gauge("xhands_queue_depth", "Requests waiting for the worker", registry=REGISTRY)
DISPLAY_UP = Gauge("xhands_display_up", "1 when the X display answers", registry=REGISTRY)
SCREENCAST_CAPTURES = Counter("xhands_screencast_captures", "Screen captures made for screencast viewers (none while the "
                              "screen is unchanged)", registry=REGISTRY)
SCREENCAST_ENCODES = Counter("xhands_screencast_encodes", "JPEG encodes for screencast viewers: one per capture and kind "
                             "of frame (size, quality), whatever the number of viewers", registry=REGISTRY)
SCREENCAST_VIEWERS = Gauge("xhands_screencast_viewers", "Screencast viewers connected", registry=REGISTRY)
RECORDINGS_RUNNING = Gauge("xhands_recordings_running", "Recordings (POST /recording/start) running", registry=REGISTRY)
RECORDING_FRAMES = Counter("xhands_recording_frames", "Frames encoded into recordings (none while the screen is "
                           "unchanged)", registry=REGISTRY)
RECORDING_FRAMES_DROPPED = Counter("xhands_recording_frames_dropped", "Frames a recording's encoder was too busy to "
                                   "take (a newer one replaced them)", registry=REGISTRY)
BUILD = Info("xhands_build", "xhands version", registry=REGISTRY)

try:
    BUILD.info({"version": version("xhands")})
except PackageNotFoundError:  # running from a source tree that was never installed
    BUILD.info({"version": "unknown"})


@functools.lru_cache(maxsize=1024)
def _request_series(route: str, status: int):
    return REQUESTS.labels(route, str(status)), LATENCY.labels(route)


def observe_request(route: str, status: int, seconds: float) -> None:
    count, latency = _request_series(route, status)  # labels() takes a lock and builds a key every time
    count.inc()
    latency.observe(seconds)


def timed(action_type: str, run):
    """Wrap an action function so its run time and outcome are recorded under its type."""
    latency = ACTION_LATENCY.labels(action_type)  # series exist, at zero, before the first call
    outcomes = {outcome: ACTIONS.labels(action_type, outcome) for outcome in ("ok", "error", "cancelled")}

    @functools.wraps(run)
    async def timed_run(desktop, params):
        started = time.perf_counter()
        outcome = "error"
        try:
            result = await run(desktop, params)
            outcome = "ok"
            return result
        except BaseException as exc:
            if not isinstance(exc, Exception):
                outcome = "cancelled"
            raise
        finally:
            latency.observe(time.perf_counter() - started)
            outcomes[outcome].inc()

    return timed_run


def exposition(queue_depth: int) -> tuple[bytes, str]:
    QUEUE_DEPTH.set(queue_depth)
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
