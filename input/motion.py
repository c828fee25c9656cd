"""Pointer paths planned by bezier/ played on the X pointer as deadline-timed steps."""

import time
from collections.abc import Iterator, Sequence

import numpy as np

from xhands.bezier import MotionPlan, plan_drag, plan_move, straight_steps


def play(pointer, points: np.ndarray, offsets_s: np.ndarray) -> Iterator[float]:
    """Move through the points, each at its own offset from now; repeated pixels are not re-sent.

    An eased move covers its last pixel in sub-pixel steps: rounded, the points reach the
    destination some 4-6 % of the duration early and then repeat it, so an application would
    see the motion end early. The pointer stays on the pixel before instead and lands on the
    destination at the final offset.
    """
    points = points.tolist()
    arrival = len(points) - 1
    while arrival > 0 and points[arrival - 1] == points[-1]:
        arrival -= 1  # points[arrival:-1] are early arrivals at the destination
    start = time.monotonic()
    last = None
    for index, (point, offset) in enumerate(zip(points, offsets_s.tolist())):
        if point == last or arrival <= index < len(points) - 1:
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
    """Linear steps along each segment, `step_delay_s` apart (Kernel's smooth=false drag)."""
    points = straight_steps(path, steps_per_segment)
    offsets = np.arange(len(points)) * step_delay_s
    return play(pointer, points, offsets)
