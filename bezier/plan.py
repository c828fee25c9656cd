"""Motion plans: where the pointer is at which moment, ready to be played back.

A plan is computed up front (pure, cheap, seedable) so the caller only has to
sleep until each offset and warp the pointer; all the geometry is testable
without a display.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from .curve import evaluate, random_control_points
from .timing import default_duration_ms, ease_in_out, ms_to_offsets_s, sample_count, uniform_times

Point = tuple[int, int]


@dataclass(frozen=True, eq=False)
class MotionPlan:
    """Pointer positions and when to reach them.

    points: (n, 2) int64 screen pixels, n >= 1.  Excludes the start (the
        pointer is already there); the last point is exactly the destination.
    offsets_s: (n,) float64 seconds after the motion starts, strictly
        increasing; the last is exactly the motion's duration.
    Both arrays are made read-only so a plan cannot change under its player.
    """

    points: np.ndarray
    offsets_s: np.ndarray

    def __post_init__(self) -> None:
        points = np.array(self.points, dtype=np.int64)
        offsets = np.array(self.offsets_s, dtype=np.float64)
        if points.ndim != 2 or points.shape[1] != 2 or len(points) < 1:
            raise ValueError(f"points must have shape (n>=1, 2), got {points.shape}")
        if offsets.shape != (len(points),):
            raise ValueError(f"offsets_s must have shape ({len(points)},), got {offsets.shape}")
        if offsets[0] < 0 or np.any(np.diff(offsets) <= 0):
            raise ValueError("offsets_s must be >= 0 and strictly increasing")
        points.setflags(write=False)
        offsets.setflags(write=False)
        object.__setattr__(self, "points", points)
        object.__setattr__(self, "offsets_s", offsets)

    @property
    def duration_ms(self) -> float:
        """Total duration in ms (rounded to 1 ns so that whole-ms durations round-trip exactly)."""
        return round(float(self.offsets_s[-1]) * 1000.0, 6)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, MotionPlan):
            return NotImplemented
        return np.array_equal(self.points, other.points) and np.array_equal(
            self.offsets_s, other.offsets_s
        )

    __hash__ = None  # type: ignore[assignment]  # holds arrays; equality is by value


def _check_duration(duration_ms: float) -> None:
    if not np.isfinite(duration_ms) or duration_ms < 0:
        raise ValueError(f"duration_ms must be a finite number >= 0, got {duration_ms!r}")


def _to_pixels(xy: np.ndarray, bounds: tuple[int, int] | None) -> np.ndarray:
    """Round to whole pixels and, given (width, height), keep on screen.

    Control points of a move near an edge can bow the curve off screen; X would
    clamp the pointer anyway, but clamping here keeps the plan honest.
    """
    px = np.rint(xy).astype(np.int64)
    if bounds is not None:
        width, height = bounds
        np.clip(px[:, 0], 0, width - 1, out=px[:, 0])
        np.clip(px[:, 1], 0, height - 1, out=px[:, 1])
    return px


def _segment(start, end, n: int, rng: np.random.Generator) -> np.ndarray:
    """n float points along one random eased Bezier, the last exactly ``end``."""
    control = random_control_points(start, end, rng)
    xy = evaluate(control, ease_in_out(uniform_times(n)))
    xy[-1] = end
    return xy


def plan_move(
    start: Point,
    end: Point,
    duration_ms: float | None = None,
    *,
    seed: int | None = None,
    bounds: tuple[int, int] | None = None,
    interval_ms: float = 10.0,
) -> MotionPlan:
    """Human-like move from ``start`` to ``end`` lasting exactly ``duration_ms``.

    One point every ~interval_ms on a steady clock, eased along a randomly
    bowed cubic Bezier (see curve.py), so the pointer speeds up then slows down
    and lands exactly on ``end``.  duration_ms None -> default_duration_ms of
    the distance.  Same seed and inputs -> identical plan.  With bounds, every
    point (``end`` included) is clamped into the screen.
    """
    distance = float(np.hypot(end[0] - start[0], end[1] - start[1]))
    if duration_ms is None:
        duration_ms = default_duration_ms(distance)
    _check_duration(duration_ms)
    rng = np.random.default_rng(seed)
    n = sample_count(duration_ms, interval_ms)
    points = _to_pixels(_segment(start, end, n, rng), bounds)
    return MotionPlan(points, ms_to_offsets_s(0.0, duration_ms, uniform_times(n)))


def plan_drag(
    path: Sequence[Point],
    duration_ms: float | None = None,
    *,
    seed: int | None = None,
    bounds: tuple[int, int] | None = None,
    interval_ms: float = 10.0,
) -> MotionPlan:
    """Smooth drag through every waypoint of ``path`` (points exclude path[0]).

    One eased Bezier per segment, so each waypoint is hit exactly (the hand
    slows into a corner).  The duration is split among segments in proportion
    to their length; a segment is weighted at least 1 px so that a repeated
    waypoint still gets time and offsets stay strictly increasing.  Each
    segment gets at least one sample.  duration_ms None ->
    default_duration_ms(total length, maximum=10000).
    """
    waypoints = np.asarray(path, dtype=np.float64)
    if waypoints.ndim != 2 or waypoints.shape[1] != 2 or len(waypoints) < 2:
        raise ValueError("path needs at least two (x, y) points")
    lengths = np.hypot(*np.diff(waypoints, axis=0).T)
    if duration_ms is None:
        duration_ms = default_duration_ms(float(lengths.sum()), maximum=10000)
    _check_duration(duration_ms)
    if duration_ms == 0:
        raise ValueError("a drag through several points needs duration_ms > 0")

    weights = np.maximum(lengths, 1.0)
    ends_ms = duration_ms * np.cumsum(weights) / weights.sum()
    ends_ms[-1] = duration_ms
    starts_ms = np.concatenate([[0.0], ends_ms[:-1]])

    rng = np.random.default_rng(seed)
    xy, offsets = [], []
    for i, (t0, t1) in enumerate(zip(starts_ms, ends_ms)):
        n = sample_count(t1 - t0, interval_ms)
        xy.append(_segment(path[i], path[i + 1], n, rng))
        offsets.append(ms_to_offsets_s(t0, t1, uniform_times(n)))
    return MotionPlan(_to_pixels(np.concatenate(xy), bounds), np.concatenate(offsets))


def straight_steps(path: Sequence[Point], steps_per_segment: int) -> np.ndarray:
    """Drag with smooth=false: evenly spaced integer points along each segment.

    Shape ((len(path) - 1) * steps_per_segment, 2), int64, excluding path[0];
    every segment's last step is exactly its end waypoint.
    """
    waypoints = np.asarray(path, dtype=np.float64)
    if waypoints.ndim != 2 or waypoints.shape[1] != 2 or len(waypoints) < 2:
        raise ValueError("path needs at least two (x, y) points")
    if steps_per_segment < 1:
        raise ValueError(f"steps_per_segment must be >= 1, got {steps_per_segment!r}")
    fractions = uniform_times(steps_per_segment)[None, :, None]  # (1, k, 1)
    a, b = waypoints[:-1, None, :], waypoints[1:, None, :]  # (m, 1, 2)
    xy = a + (b - a) * fractions  # (m, k, 2)
    xy[:, -1, :] = waypoints[1:]
    return np.rint(xy).reshape(-1, 2).astype(np.int64)
