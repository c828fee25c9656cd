"""Lightcone's exec on a computer: POST /computers/{id}/exec streams NDJSON as the SDK reads it ({"type": "stdout" |
"stderr", "data"} lines, then {"type": "exit", "code"}, -1 after a timeout), and POST /computers/{id}/exec/sync
answers {exit_code, stdout, stderr}; the debug action and route are the same runner (shell.py).

exec runs shell commands as the daemon's user: it is off unless the daemon was started with --allow-exec. The
streaming route's failures are one {"type": "error", "code", "message"} line with HTTP 200, as the SDK's
contract says, and x-should-retry: false, so the SDK does not send a refused command again.
"""

import contextlib
import json

from aiohttp import web
from pydantic import ValidationError

from ..errors import ApiError, from_validation
from ..http.app_keys import COMPUTERS, SETTINGS
from ..http.handling import client_gone, computer_of
from ..shell import ExecRequest, run, run_to_end

NDJSON = "application/x-ndjson"
NO_RETRY = {"x-should-retry": "false"}


def exec_off() -> ApiError:
    return ApiError(403, "exec is off: the daemon runs commands only when started with --allow-exec, which makes it "
                    "a remote shell for whoever holds its token and for local processes", code="exec_disabled",
                    headers=NO_RETRY)


def command_of(request: web.Request, body) -> ExecRequest:
    """The validated command, once exec is known to be on and the computer to exist."""
    if not request.app[SETTINGS].allow_exec:
        raise exec_off()
    computer_of(request)  # an unknown id says so before the body is judged
    if not isinstance(body, dict):
        raise ApiError(400, "the body must be a JSON object {command, cwd, env, timeout_seconds}")
    try:
        return ExecRequest.model_validate(body)
    except ValidationError as exc:
        raise from_validation(exc) from None


async def run_command(request: web.Request, body) -> dict:
    """{exit_code, stdout, stderr} of a command run to its end on the request's computer."""
    command = command_of(request, body)
    computer = computer_of(request)
    with computer.running_command():
        return await run_to_end(computer.programs, request.app[COMPUTERS].exec_slots, command, client_gone(request))


async def exec_sync(request: web.Request) -> web.Response:
    return web.json_response(await run_command(request, await body_of(request)))


async def body_of(request: web.Request):
    try:
        return await request.json()
    except ValueError:
        raise ApiError(400, "the body is not JSON") from None


def line(data: dict) -> bytes:
    return json.dumps(data).encode() + b"\n"


async def exec_stream(request: web.Request) -> web.StreamResponse:
    try:
        command = command_of(request, await body_of(request))
    except ApiError as error:
        return error_line(error)
    computer = computer_of(request)
    output = run(computer.programs, request.app[COMPUTERS].exec_slots, command, client_gone(request))
    # The process group is killed whatever ends this; the caller leaving ends it too.
    with computer.running_command(), contextlib.suppress(ConnectionResetError):
        async with contextlib.aclosing(output):
            try:
                first = await anext(output)  # refusals (too many running, no such directory) come before the stream
            except ApiError as error:
                return error_line(error)
            response = web.StreamResponse(headers={"Content-Type": NDJSON, "Cache-Control": "no-cache"})
            await response.prepare(request)
            await response.write(wire(*first))
            async for kind, data in output:
                await response.write(wire(kind, data))
            await response.write_eof()
    return response


def error_line(error: ApiError) -> web.Response:
    """A failure as the SDK's contract has it: one NDJSON error line, HTTP 200."""
    return web.Response(body=line({"type": "error", "code": error.code, "message": error.message}),
                        content_type=NDJSON, headers={**error.headers, **NO_RETRY})


def wire(kind: str, data: str | int) -> bytes:
    return line({"type": kind, "code": data} if kind == "exit" else {"type": kind, "data": data})
