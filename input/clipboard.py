"""Clipboard text through xclip, bounded by a timeout.

pyperclip drives the same xclip but waits on it forever; a helper that hangs
(no selection owner answering, a wedged X server) would then stall the one
action queue. Calling xclip directly lets a timeout kill it.
"""

import os
import subprocess

DEFAULT_TIMEOUT_S = 3.0


class ClipboardError(RuntimeError):
    """The clipboard helper is missing, failed, or did not answer in time."""


def _run(display_name: str, args: list[str], timeout: float, text: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "DISPLAY": display_name}
    try:
        return subprocess.run(
            ["xclip", "-selection", "clipboard", *args],
            input=None if text is None else text.encode("utf-8"),
            # xclip -i forks a child that keeps serving the selection; it must not hold our pipes open.
            stdout=subprocess.PIPE if text is None else subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
            timeout=timeout,
            check=False,
        )
    except FileNotFoundError:
        raise ClipboardError("xclip is not installed") from None
    except subprocess.TimeoutExpired:
        raise ClipboardError(f"xclip did not answer within {timeout:g} s") from None


def read_clipboard(display_name: str, timeout: float = DEFAULT_TIMEOUT_S) -> str:
    result = _run(display_name, ["-o", "-t", "UTF8_STRING"], timeout)
    if result.returncode != 0:
        return ""  # nobody owns the clipboard, or it holds no text: an empty clipboard
    return result.stdout.decode("utf-8", errors="replace")


def write_clipboard(display_name: str, text: str, timeout: float = DEFAULT_TIMEOUT_S) -> None:
    result = _run(display_name, ["-i"], timeout, text=text)
    if result.returncode != 0:
        raise ClipboardError(f"xclip exited with status {result.returncode}")
