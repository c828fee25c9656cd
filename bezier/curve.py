"""The shape of a move: a cubic Bezier with randomised control points.

A hand moving a mouse does not follow a ruler: the path bows to one side (the
wrist pivots), sometimes wiggles into a gentle S.  A cubic Bezier whose two
inner control points sit off the straight line reproduces that with four
numbers of randomness, and always starts and ends exactly at the given points.
"""

from __future__ import annotations

import numpy as np

# Sideways spread of the control points as a fraction of the distance: enough
# to see an arc, not so much that the pointer visibly detours.
SPREAD_FRACTION = (0.10, 0.30)
# Long moves do not get proportionally wilder arcs (the arm would not do that).
MAX_SPREAD_PX = 200.0
# Probability that the control points sit on opposite sides (an S-curve).
S_CURVE_PROBABILITY = 0.2


def random_control_points(start, end, rng: np.random.Generator) -> np.ndarray:
    """Control points P0..P3 (shape (4, 2), float) for a move from start to end.

    P1 and P2 are placed along the chord at roughly 1/4 and 3/4 of the way
    (jittered, so speed along the curve varies a little) and pushed sideways by
    half to all of the spread.  Always draws the same number of random values,
    so a seed gives a stable stream whatever the geometry.
    """
    a = np.asarray(start, dtype=np.float64)
    b = np.asarray(end, dtype=np.float64)
    chord = b - a
    distance = float(np.hypot(*chord))

    fraction = rng.uniform(*SPREAD_FRACTION)
    along = np.array([rng.uniform(0.15, 0.40), rng.uniform(0.60, 0.85)])
    side = 1.0 if rng.random() < 0.5 else -1.0
    sides = np.array([side, -side if rng.random() < S_CURVE_PROBABILITY else side])
    magnitudes = rng.uniform(0.5, 1.0, size=2)

    if distance == 0.0:
        return np.stack([a, a, b, b])
    spread = min(distance * fraction, MAX_SPREAD_PX)
    normal = np.array([-chord[1], chord[0]]) / distance  # unit, perpendicular to chord
    inner = a + along[:, None] * chord + (sides * magnitudes * spread)[:, None] * normal
    return np.stack([a, inner[0], inner[1], b])


def evaluate(control: np.ndarray, s: np.ndarray) -> np.ndarray:
    """Points on the cubic Bezier ``control`` at parameters ``s`` (shape (n,) -> (n, 2)).

    Bernstein form, vectorised: a (n, 4) basis matrix times the (4, 2) control
    points.  At s = 1 the basis is exactly (0, 0, 0, 1), so the curve ends on
    P3 bit for bit.
    """
    s = np.asarray(s, dtype=np.float64)[:, None]
    r = 1.0 - s
    basis = np.hstack([r * r * r, 3.0 * r * r * s, 3.0 * r * s * s, s * s * s])
    return basis @ control
