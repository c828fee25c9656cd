"""A private X server for `xhands serve` when no display is given (Xvfb, or Xvnc which can be resized); stopped
on exit."""

import argparse
import os
import re
import shutil
import subprocess

SCREEN = re.compile(r"[1-9][0-9]*x[1-9][0-9]*x[1-9][0-9]*")
# X coordinates are signed 16-bit: a wider screen cannot be pointed at (and Xvfb takes its sides modulo 65536).
MAX_SIDE = 32767


class XvfbError(RuntimeError):
    pass


# The servers by --xserver name: Debian package, and the arguments that give a WxHxD screen.
SERVERS = {
    "xvfb": ("Xvfb", "xvfb", lambda width, height, depth: ["-screen", "0", f"{width}x{height}x{depth}"]),
    # No VNC port (-rfbport -1) and no VNC authentication to set up: the screen is reached through X only.
    "xvnc": ("Xvnc", "tigervnc-standalone-server",
             lambda width, height, depth: ["-geometry", f"{width}x{height}", "-depth", depth,
                                           "-rfbport", "-1", "-SecurityTypes", "None"]),
}


def screen_geometry(text: str) -> str:
    """argparse type of --screen: refuse a malformed size at once, rather than as an Xvfb that never starts."""
    if not SCREEN.fullmatch(text):
        raise argparse.ArgumentTypeError(f"expected WxHxD (width x height x depth, e.g. 1920x1080x24), not {text!r}")
    if max(int(side) for side in text.split("x")[:2]) > MAX_SIDE:
        raise argparse.ArgumentTypeError(f"expected WxHxD with sides of at most {MAX_SIDE} pixels, not {text!r}")
    return text


class Xvfb:
    def __init__(self, screen: str = "1920x1080x24", display: str | None = None, args: tuple[str, ...] = (),
                 server: str = "xvfb"):
        """`args` go to the server after ours, e.g. ("-extension", "XTEST") for a server without XTest; `server`
        is a name of SERVERS."""
        self.screen = screen
        self.server = server
        self.args = tuple(args)
        self.process: subprocess.Popen | None = None
        self.display = display

    def start(self, timeout: float = 10.0) -> str:
        """Start Xvfb on its display, or on a free number (Xvfb picks it and writes it to -displayfd)."""
        program, package, screen_args = SERVERS[self.server]
        binary = shutil.which(program)
        if not binary:
            raise XvfbError(f"{program} is not installed (Debian package {package}); run `make serve` or give --display")
        read_fd, write_fd = os.pipe()
        self.process = subprocess.Popen(
            [binary, *([self.display] if self.display else []), "-displayfd", str(write_fd),
             *screen_args(*self.screen.split("x")), "-nolisten", "tcp", "-noreset", *self.args],
            pass_fds=(write_fd,),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # a Ctrl+C meant for us must not kill it before we release keys
        )
        os.close(write_fd)
        try:
            number = self._read_display_number(read_fd, timeout)
        finally:
            os.close(read_fd)
        self.display = f":{number}"
        return self.display

    def _read_display_number(self, fd: int, timeout: float) -> str:
        import select

        data = b""
        while not data.endswith(b"\n"):
            ready, _, _ = select.select([fd], [], [], timeout)
            chunk = os.read(fd, 16) if ready else b""
            if not chunk:
                self.stop()
                raise XvfbError(f"{SERVERS[self.server][0]} did not start with screen {self.screen} "
                               "(is the depth one it supports, e.g. 24?)")
            data += chunk
        return data.decode().strip()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=2)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
