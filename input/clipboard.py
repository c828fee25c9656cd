"""Clipboard text through xclip, bounded by a timeout.

pyperclip drives the same xclip but waits on it forever; a helper that hangs
(no selection owner answering, a wedged X server) would then stall the one
action queue. Calling xclip directly lets a timeout kill it.
"""

import os
import signal
import subprocess
import time

DEFAULT_TIMEOUT_S = 3.0


class ClipboardError(RuntimeError):
    """The clipboard helper is missing, failed, or did not answer in time."""


def _run(display_name: str, args: list[str], timeout: float, text: str | None = None) -> tuple[int, bytes]:
    """Run xclip; on timeout kill its whole process group, so nothing it started lingers."""
    try:
        process = subprocess.Popen(
            ["xclip", "-selection", "clipboard", *args],
            stdin=subprocess.PIPE if text is not None else subprocess.DEVNULL,
            # xclip -i forks a child that keeps serving the selection; it must not hold our pipes open.
            stdout=subprocess.PIPE if text is None else subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**os.environ, "DISPLAY": display_name},
            start_new_session=True,
        )
    except FileNotFoundError:
        raise ClipboardError("xclip is not installed") from None
    try:
        output, _ = process.communicate(None if text is None else text.encode("utf-8"), timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        raise ClipboardError(f"xclip did not answer within {timeout:g} s") from None
    return process.returncode, output or b""


def read_clipboard(display_name: str, timeout: float = DEFAULT_TIMEOUT_S) -> str:
    status, output = _run(display_name, ["-o", "-t", "UTF8_STRING"], timeout)
    if status != 0:
        return ""  # nobody owns the clipboard, or it holds no text: an empty clipboard
    return output.decode("utf-8", errors="replace")


def write_clipboard(display_name: str, text: str, timeout: float = DEFAULT_TIMEOUT_S) -> None:
    """Set the clipboard and return once it serves the new text.

    xclip exits while its forked child takes over the selection; under load a
    read right after could still get the old owner's text, so read back until it matches.
    """
    deadline = time.monotonic() + timeout
    status, _ = _run(display_name, ["-i"], timeout, text=text)
    if status != 0:
        raise ClipboardError(f"xclip exited with status {status}")
    while read_clipboard(display_name, max(deadline - time.monotonic(), 0.1)) != text:
        if time.monotonic() > deadline:
            raise ClipboardError(f"the clipboard did not take the new text within {timeout:g} s")
        time.sleep(0.005)
