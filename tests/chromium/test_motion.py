"""Smooth motion as a page sees it: a stream of pointer samples along a curve, spread over the requested time."""

import math

import pytest

from tests.conftest import action, batch

ATTEMPTS = 3  # a loaded machine can stall one run; the daemon must keep time in one of three


def smooth_move(page, client, start, end, duration_ms):
    """Every pointer sample the page saw (coalesced ones included) from an instant move to `start`
    followed, in the same batch, by a smooth move to `end`: [(timeStamp ms, x, y) in screen pixels]."""
    batch(client, action("move_mouse", x=start[0] + 5, y=start[1] + 5, smooth=False))
    page.wait_for("window.__moves.length > 0")
    page.clear()
    batch(client, action("move_mouse", x=start[0], y=start[1], smooth=False),
          action("move_mouse", x=end[0], y=end[1], smooth=True, duration_ms=duration_ms))
    cx, cy = page.to_client(*end)
    page.wait_for(f"window.__moves.some(([t, x, y]) => x === {cx} && y === {cy})")
    ox, oy = page.offset
    return [(t, x + ox, y + oy) for t, x, y in page.js("window.__moves")]


def distance_from_line(point, a, b):
    (x, y), (ax, ay), (bx, by) = point, a, b
    return abs((bx - ax) * (ay - y) - (ax - x) * (by - ay)) / math.hypot(bx - ax, by - ay)


@pytest.mark.parametrize("start, end, duration_ms", [
    ((100, 650), (1000, 150), 1000),   # a long sweep
    ((300, 600), (700, 500), 1000),    # a short, slow approach: the final pixels come at the very end
    ((200, 200), (800, 600), 300),     # quick
])
def test_smooth_move_streams_mousemoves_along_a_curve_over_the_duration(page, client, start, end, duration_ms):
    tolerance = max(0.05 * duration_ms, 10)
    length = math.dist(start, end)
    problems = []
    for _ in range(ATTEMPTS):
        samples = smooth_move(page, client, start, end, duration_ms)
        assert samples[0][1:] == start, f"the instant move to the start came first: {samples[:3]}"
        assert samples[-1][1:] == end, "the move lands exactly on its end"
        points = [(x, y) for _, x, y in samples]
        # Event times (X server time, whole ms) from the start sample to the landing one.
        span = samples[-1][0] - samples[0][0]
        jump = max(math.dist(p, q) for p, q in zip(points, points[1:]))
        bow = max(distance_from_line(p, start, end) for p in points)
        checks = {
            # A stream, not a jump: many samples (one per ~10 ms is planned), none covering much of the way.
            # (Chromium merges motion events it finds queued, so a stalled browser can see fewer.)
            f"{len(set(points))} distinct samples": len(set(points)) >= duration_ms / 16 * 0.6,
            f"a {jump:.0f} px step of {length:.0f} px": jump < length / 4,
            # Along a curve: the path bows away from the straight line.
            f"{bow:.1f} px off the straight line": bow > 3,
            f"spread over {span:g} ms": abs(span - duration_ms) <= tolerance,
        }
        failed = [what for what, ok in checks.items() if not ok]
        if not failed:
            return
        problems.append(failed)
    pytest.fail(f"every one of {ATTEMPTS} smooth moves of {duration_ms} ms (tolerance {tolerance:g} ms) "
                f"fell short: {problems}")
