"""exec: run `bash -c COMMAND` on a computer and hand its output on as it comes, within bounds.

The output is cut at max_output_length bytes per stream (what comes after is read and dropped, so the command
never blocks on a full pipe); the process group is killed at the timeout (exit code -1), when the caller leaves,
and when the computer stops. At most --max-exec commands run at once in the whole daemon.
"""

import asyncio
import codecs
import contextlib
import os
from collections.abc import AsyncIterator, Callable
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from .errors import ApiError
from .programs import Programs

READ_SIZE = 65536
GONE_CHECK_S = 0.5  # how often a command that prints nothing looks whether its caller is still there


class ExecRequest(BaseModel):
    """Lightcone's exec body ({command, cwd, env, timeout_seconds}) and its debug action's max_output_length."""

    model_config = ConfigDict(extra="ignore")
    command: Annotated[str, Field(min_length=1)]
    cwd: str | None = None
    env: dict[str, str] = {}
    timeout_seconds: Annotated[float, Field(gt=0, allow_inf_nan=False)] = 120
    max_output_length: Annotated[int, Field(ge=0)] = 65536


class Slots:
    """The daemon's count of running commands, against --max-exec."""

    def __init__(self, limit: int):
        self.limit = limit
        self.used = 0

    def take(self) -> None:
        if self.used >= self.limit:
            raise ApiError(429, f"{self.used} commands are running already, the most --max-exec allows; retry when one has ended",
                           code="too_many_commands")
        self.used += 1

    def give_back(self) -> None:
        self.used -= 1


async def _pump(stream: asyncio.StreamReader, kind: str, queue: asyncio.Queue) -> None:
    while chunk := await stream.read(READ_SIZE):
        await queue.put((kind, chunk))
    await queue.put((kind, None))


class Output:
    """One stream's text: decoded across chunk boundaries, cut after `limit` bytes."""

    def __init__(self, limit: int):
        self.left = limit
        self.decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")

    def text(self, chunk: bytes | None) -> str:
        if chunk is None:
            return self.decoder.decode(b"", final=True)
        kept, self.left = chunk[:self.left], max(0, self.left - len(chunk))
        return self.decoder.decode(kept)


async def run(programs: Programs, slots: Slots, request: ExecRequest,
              gone: Callable[[], bool] = lambda: False) -> AsyncIterator[tuple[str, str | int]]:
    """("stdout" | "stderr", text) as the command writes, then ("exit", its code, or -1 at the timeout or when
    killed by a signal)."""
    slots.take()
    try:
        cwd = os.path.expanduser(request.cwd or "~")
        try:
            process = await programs.start(request.command, cwd=cwd, env=request.env, stdin=asyncio.subprocess.DEVNULL,
                                           stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        except OSError as exc:  # the directory does not exist, say
            raise ApiError(400, f"cannot run the command in {cwd}: {exc.strerror}", code="exec_failed") from None
        queue: asyncio.Queue = asyncio.Queue()
        pumps = [asyncio.ensure_future(_pump(process.stdout, "stdout", queue)),
                 asyncio.ensure_future(_pump(process.stderr, "stderr", queue))]
        outputs = {"stdout": Output(request.max_output_length), "stderr": Output(request.max_output_length)}
        deadline = asyncio.get_running_loop().time() + request.timeout_seconds
        try:
            open_streams = 2
            while open_streams:
                left = deadline - asyncio.get_running_loop().time()
                if left <= 0 or gone():
                    yield "exit", -1
                    return
                try:
                    kind, chunk = await asyncio.wait_for(queue.get(), min(left, GONE_CHECK_S))
                except TimeoutError:
                    continue
                open_streams -= chunk is None
                if text := outputs[kind].text(chunk):
                    yield kind, text
            try:
                code = await asyncio.wait_for(process.wait(), max(0.0, deadline - asyncio.get_running_loop().time()))
            except TimeoutError:  # it closed its output but runs on
                code = -1
            yield "exit", code if code >= 0 else -1
        finally:
            programs.kill(process)  # whatever it left running in its group too
            for pump in pumps:
                pump.cancel()
    finally:
        slots.give_back()


async def run_to_end(programs: Programs, slots: Slots, request: ExecRequest,
                     gone: Callable[[], bool] = lambda: False) -> dict:
    """exec/sync's answer, and the debug action's: {exit_code, stdout, stderr}."""
    texts = {"stdout": [], "stderr": []}
    code = -1
    async with contextlib.aclosing(run(programs, slots, request, gone)) as output:  # killed if this is cancelled
        async for kind, data in output:
            if kind == "exit":
                code = data
            else:
                texts[kind].append(data)
    return {"exit_code": code, "stdout": "".join(texts["stdout"]), "stderr": "".join(texts["stderr"])}
