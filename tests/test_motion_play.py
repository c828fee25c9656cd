"""Playing a motion plan: which pixels are sent, and when (no display needed)."""

import numpy as np

from xhands.input.motion import play


class FakePointer:
    def __init__(self):
        self.moves = []

    def move(self, x, y):
        self.moves.append((x, y))


def played(points, offsets):
    """[(offset the move waited for, point)] for one run of play(), without sleeping."""
    pointer = FakePointer()
    steps = play(pointer, np.array(points), np.array(offsets))
    timeline, deadline = [], None
    for deadline in steps:
        if len(pointer.moves) > len(timeline):
            timeline.append((previous, pointer.moves[-1]))
        previous = deadline
    if len(pointer.moves) > len(timeline):
        timeline.append((previous, pointer.moves[-1]))
    start = deadline - offsets[-1]
    return [(round(at - start, 6), point) for at, point in timeline]


def test_repeated_pixels_are_not_resent():
    assert played([[1, 1], [1, 1], [2, 2], [3, 3]], [0.1, 0.2, 0.3, 0.4]) == [(0.1, (1, 1)), (0.3, (2, 2)), (0.4, (3, 3))]


def test_the_destination_is_reached_at_the_final_offset_not_early():
    # Eased moves round onto their end pixel before the end of the move.
    assert played([[1, 1], [2, 2], [3, 3], [3, 3], [3, 3]], [0.1, 0.2, 0.3, 0.4, 0.5]) == [
        (0.1, (1, 1)), (0.2, (2, 2)), (0.5, (3, 3))]


def test_a_path_passing_through_its_end_earlier_still_goes_there():
    assert played([[5, 5], [1, 1], [5, 5]], [0.1, 0.2, 0.3]) == [(0.1, (5, 5)), (0.2, (1, 1)), (0.3, (5, 5))]


def test_a_single_point_is_sent_at_its_offset():
    assert played([[7, 8]], [0.05]) == [(0.05, (7, 8))]
