"""The X side of `xhands check`: the display, XTest, XFixes, the clipboard tool and screen capture."""

import shutil
import time
from collections.abc import Iterator

from Xlib import X
from Xlib.ext import xtest

from xhands.input import ClipboardError, read_clipboard, write_clipboard
from xhands.input.capture import ScreenGrabber
from xhands.input.display import REQUIRED_EXTENSIONS, missing_extensions, open_display
from xhands.input.encode import encode_png

from .check import Finding


def check_display(name: str) -> Iterator[Finding]:
    try:
        conn = open_display(name)
    except Exception as exc:  # python-xlib raises several kinds for "no such server" and "not allowed"
        yield Finding("display", False, f"cannot open display {name}: {exc}. Is the X server running, and may this user "
                      "connect to it (its socket in /tmp/.X11-unix, XAUTHORITY, xhost)?")
        return
    try:
        screen = conn.screen()
        yield Finding("display", True, f"{name} answers (X server by {conn.display.info.vendor}, release {conn.display.info.release_number}), "
                      f"screen {screen.width_in_pixels}x{screen.height_in_pixels} at {screen.root_depth} bits")
        yield _check_xtest(conn)
        yield _check_xfixes(conn)
    finally:
        conn.close()
    yield _check_clipboard(name)
    yield _check_capture(name)


def _check_xtest(conn) -> Finding:
    if "XTEST" in missing_extensions(conn):
        return Finding("XTest", False, f"the X server lacks the XTEST extension, so {REQUIRED_EXTENSIONS['XTEST']}; "
                       "start it without `-extension XTEST`")
    version = xtest.get_version(conn, 2, 2)
    root = conn.screen().root
    start = root.query_pointer()
    target = (start.root_x + 7) % conn.screen().width_in_pixels, (start.root_y + 5) % conn.screen().height_in_pixels
    xtest.fake_input(conn, X.MotionNotify, x=target[0], y=target[1])
    conn.sync()
    moved = root.query_pointer()
    xtest.fake_input(conn, X.MotionNotify, x=start.root_x, y=start.root_y)  # put it back
    conn.sync()
    if (moved.root_x, moved.root_y) != target:
        return Finding("XTest", False, f"XTEST {version.major_version}.{version.minor_version} is there, but a fake pointer move "
                       f"to {target} landed at ({moved.root_x}, {moved.root_y})")
    return Finding("XTest", True, f"XTEST {version.major_version}.{version.minor_version}: moved the pointer and read it back, "
                   "so mouse and keyboard events can be sent")


def _check_xfixes(conn) -> Finding:
    if "XFIXES" in missing_extensions(conn):
        return Finding("XFixes", False, f"the X server lacks the XFIXES extension, so {REQUIRED_EXTENSIONS['XFIXES']}")
    version = conn.xfixes_query_version()
    return Finding("XFixes", True, f"XFIXES {version.major_version}.{version.minor_version}: the cursor can be hidden and shown")


def _check_clipboard(name: str) -> Finding:
    tool = shutil.which("xclip")
    if not tool:
        return Finding("clipboard", False, "xclip is not installed (Debian package xclip), so clipboard/read and clipboard/write "
                       "will fail; everything else works without it")
    probe = f"xhands check {time.time_ns()}"
    try:
        before = read_clipboard(name)
        write_clipboard(name, probe)
        after = read_clipboard(name)
        if before:
            write_clipboard(name, before)
    except ClipboardError as exc:
        return Finding("clipboard", False, f"{tool} failed: {exc}")
    if after != probe:
        return Finding("clipboard", False, f"{tool} wrote a text to the clipboard but read back {after[:40]!r}")
    return Finding("clipboard", True, f"{tool} wrote a text to the clipboard and read it back"
                   + (" (the text that was there is put back)" if before else ""))


def _check_capture(name: str) -> Finding:
    grabber = ScreenGrabber(name)
    try:
        conn = open_display(name)
        screen = conn.screen()
        width, height = screen.width_in_pixels, screen.height_in_pixels
        conn.close()
        started = time.perf_counter()
        frame = grabber.grab(0, 0, width, height)
        grabbed = time.perf_counter()
        png = encode_png(frame)
        encoded = time.perf_counter()
    except Exception as exc:
        return Finding("capture", False, f"could not grab and encode the screen: {exc}")
    finally:
        grabber.close()
    return Finding("capture", True, f"grabbed the {width}x{height} screen in {(grabbed - started) * 1000:.0f} ms and "
                   f"encoded it as a {len(png) // 1024} KiB PNG in {(encoded - grabbed) * 1000:.0f} ms")
