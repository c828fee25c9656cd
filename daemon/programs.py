"""Programs started on a computer (its --computer-command, exec's commands): `bash -c COMMAND` with the computer's
DISPLAY, each in a process group of its own, so that stopping one stops whatever it started too."""

import asyncio
import contextlib
import logging
import os
import signal

log = logging.getLogger(__name__)

GRACE_S = 0.5  # between SIGTERM and SIGKILL when a computer stops: a browser gets to close its profile


class Programs:
    """The process groups running on one display."""

    def __init__(self, display: str):
        self.display = display
        self.running: set[asyncio.subprocess.Process] = set()

    async def start(self, command: str, cwd: str | None = None, env: dict[str, str] | None = None,
                    **pipes) -> asyncio.subprocess.Process:
        """`bash -c command` on this display; `pipes` are create_subprocess_exec's stdin/stdout/stderr."""
        environment = {**os.environ, **(env or {}), "DISPLAY": self.display}
        process = await asyncio.create_subprocess_exec("bash", "-c", command, cwd=cwd, env=environment,
                                                       start_new_session=True, **pipes)
        self.running.add(process)
        return process

    def kill(self, process: asyncio.subprocess.Process, sig: int = signal.SIGKILL) -> None:
        """Signal the process's whole group (what it left running in the background too) and forget it."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, sig)
        if sig == signal.SIGKILL:
            self.running.discard(process)

    async def stop_all(self) -> None:
        """SIGTERM every group, SIGKILL what is left after GRACE_S."""
        running = list(self.running)
        for process in running:
            self.kill(process, signal.SIGTERM)
        if running:
            await asyncio.wait([asyncio.ensure_future(process.wait()) for process in running], timeout=GRACE_S)
        for process in running:
            self.kill(process)  # the group, even when its leader has exited
