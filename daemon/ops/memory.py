"""glibc malloc policy for a daemon that handles 8 MB frames but should sit small when idle.

A 1080p screenshot allocates ~25 MB of short-lived buffers (the grab, the
converted image, the encoder input and output). With glibc's defaults each of
them is a fresh mmap whose pages fault in on first touch: that alone cost
~10 ms of a ~20 ms PNG request here. So large blocks are kept on the heap and
reused (high mmap and trim thresholds, one arena so the encoding threads share
the same free blocks), and the heap is handed back to the system with
malloc_trim once the daemon has been idle for a while.
"""

import ctypes
import ctypes.util
import logging

log = logging.getLogger(__name__)

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
M_ARENA_MAX = -8
KEEP_BYTES = 256 * 1024 * 1024  # blocks below this size stay on the heap; the heap is trimmed only by trim()

_libc = None


def _glibc():
    global _libc
    if _libc is None:
        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
            libc.mallopt, libc.malloc_trim  # both exist only in glibc
            _libc = libc
        except (OSError, AttributeError):
            _libc = False
    return _libc


def tune() -> bool:
    """Keep big blocks for reuse; returns False where malloc is not glibc's."""
    libc = _glibc()
    if not libc:
        return False
    ok = all(libc.mallopt(option, value) == 1 for option, value in (
        (M_ARENA_MAX, 1),
        (M_MMAP_THRESHOLD, 32 * 1024 * 1024),  # glibc's largest allowed value
        (M_TRIM_THRESHOLD, KEEP_BYTES),
    ))
    if not ok:
        log.warning("mallopt refused a setting; screenshots may be slower")
    return ok


def trim() -> None:
    """Give the heap's free memory back to the system."""
    libc = _glibc()
    if libc:
        libc.malloc_trim(0)
