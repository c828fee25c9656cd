"""Starting a Chromium for a browser computer: filling its screen, its DevTools on a private loopback port.

So that a screen pixel is a CSS pixel at the same place, the window opens at 0,0 at the screen's size, at a
device scale factor of 1, in kiosk mode (no tab strip, toolbar or title bar: the page starts at the window's top
left). Without a window manager Chromium leaves the screen's last row and column uncovered; nothing else moves.
Its DevTools listen on a port the system picks (--remote-debugging-port=0), read back from DevToolsActivePort
in its fresh profile. It runs as one of the computer's programs (programs.py), so it stops with the computer.
"""

import asyncio
import os
import shlex
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..programs import Programs

NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
START_TIMEOUT_S = 30.0
# This network is closed and the browser is driven: no first-run pages, no background traffic, no updates.
QUIET = ("--no-first-run", "--no-default-browser-check", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--disable-default-apps", "--disable-session-crashed-bubble", "--password-store=basic",
         "--test-type")  # test-type: no warning bar over the page for --no-sandbox


class BrowserStartError(RuntimeError):
    pass


def find_browser(explicit: str | None) -> str | None:
    """The browser to start: --browser's, else the first of NAMES on PATH."""
    if explicit:
        return explicit if os.access(explicit, os.X_OK) else None
    return next(filter(None, map(shutil.which, NAMES)), None)


def chromium_command(executable: str, profile: str, width: int, height: int, as_root: bool) -> list[str]:
    return [executable, f"--user-data-dir={profile}", *QUIET, *(["--no-sandbox"] if as_root else []),
            "--remote-debugging-port=0", "--remote-debugging-address=127.0.0.1",
            "--force-device-scale-factor=1", "--window-position=0,0", f"--window-size={width},{height}",
            "--kiosk", "about:blank"]


@dataclass
class StartedChromium:
    devtools_url: str
    profile: str

    def remove_profile(self) -> None:
        shutil.rmtree(self.profile, ignore_errors=True)


async def start_chromium(programs: Programs, executable: str, width: int, height: int,
                         timeout: float = START_TIMEOUT_S) -> StartedChromium:
    """Start Chromium on the programs' display; its DevTools URL once it listens. BrowserStartError (with the
    end of its log) when it exits or does not listen in time; what it started is then stopped."""
    profile = tempfile.mkdtemp(prefix="xhands-chromium-")
    log_path = Path(profile) / "chromium.log"
    command = chromium_command(executable, profile, width, height, os.geteuid() == 0)
    with open(log_path, "wb") as log:
        process = await programs.start("exec " + shlex.join(command), stdout=log, stderr=asyncio.subprocess.STDOUT)
    port_file = Path(profile) / "DevToolsActivePort"
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline and process.returncode is None:
        try:
            port = int(port_file.read_text().split()[0])
            return StartedChromium(f"http://127.0.0.1:{port}", profile)
        except (OSError, ValueError, IndexError):
            await asyncio.sleep(0.1)
    programs.kill(process)
    tail = log_path.read_text(errors="replace").strip().splitlines()[-5:]
    shutil.rmtree(profile, ignore_errors=True)
    why = f"exited with status {process.returncode}" if process.returncode is not None else f"did not listen within {timeout:g} s"
    raise BrowserStartError(f"{executable} {why}: {' | '.join(tail) or 'no output'}")
