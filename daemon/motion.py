"""Pointer paths from bezier/ played on the X pointer as deadline-timed steps."""

import time
from collections.abc import Iterator, Sequence

import numpy as np

from bezier import MotionPlan, plan_drag, plan_move, straight_steps


def play(pointer, points: np.ndarray, offsets_s: np.ndarray) -> Iterator[float]:
    """Move through the points, each at its own offset from now; repeated pixels are not re-sent."""
    start = time.monotonic()
    last = None
    for point, offset in zip(points.tolist(), offsets_s.tolist()):
        if point == last:
            continue
        yield start + offset
        pointer.move(*point)
        last = point
    if len(offsets_s):
        yield start + float(offsets_s[-1])  # the move lasts its whole duration even if it ended on repeats


def play_plan(pointer, plan: MotionPlan) -> Iterator[float]:
    return play(pointer, plan.points, plan.offsets_s)


def glide(pointer, target: tuple[int, int], duration_ms: int | None, screen: tuple[int, int]) -> Iterator[float]:
    """A human-like move from wherever the pointer is to the target."""
    return play_plan(pointer, plan_move(pointer.position(), target, duration_ms, bounds=screen))


def drag_smooth(pointer, path: Sequence[tuple[int, int]], duration_ms: int | None, screen) -> Iterator[float]:
    return play_plan(pointer, plan_drag(path, duration_ms, bounds=screen))


def drag_straight(pointer, path: Sequence[tuple[int, int]], steps_per_segment: int, step_delay_s: float) -> Iterator[float]:
    """Linear steps along each segment, `step_delay_s` apart (the seed's smooth=false drag)."""
    points = straight_steps(path, steps_per_segment)
    offsets = np.arange(len(points)) * step_delay_s
    return play(pointer, points, offsets)
