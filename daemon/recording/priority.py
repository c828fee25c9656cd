"""The encoders' threads yield the CPU: actions first, frames after."""

import contextlib
import os
import threading

ENCODER_NICE = 10  # encoder threads yield the CPU to the event loop and the worker: actions first, frames after


def lower_priority() -> None:
    """Run the calling thread at ENCODER_NICE (Linux's setpriority on a thread id affects that thread only)."""
    with contextlib.suppress(OSError, AttributeError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), ENCODER_NICE)
