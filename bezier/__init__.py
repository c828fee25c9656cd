"""Human-like pointer motion: Bezier paths and their timing, in pure numpy.

No X, no I/O: a plan is computed here and played back by the input layer.
"""

from .plan import MotionPlan, plan_drag, plan_move, straight_steps
from .timing import default_duration_ms

__all__ = ["MotionPlan", "default_duration_ms", "plan_drag", "plan_move", "straight_steps"]
