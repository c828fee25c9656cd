"""`xhands mcp`: the computer_action tool over stdio, driven by the official MCP SDK's stdio client, relayed to a
running daemon or to a private one it starts and stops."""

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from mcp import Client
from mcp.client.stdio import StdioServerParameters

from tests.conftest import action, helper_processes

ROOT = Path(__file__).resolve().parent.parent
NOBODY = "http://127.0.0.1:1"  # nothing answers there: `xhands mcp` starts its own daemon


def stdio_server(url: str) -> StdioServerParameters:
    # The whole environment: the SDK passes only a few variables by default, and the orphan check needs its marker.
    return StdioServerParameters(command=sys.executable, args=["-m", "xhands", "mcp", "--url", url],
                                 cwd=str(ROOT), env={k: v for k, v in os.environ.items() if k != "XHANDS_TOKEN"})


async def list_and_call(url: str, *actions: dict):
    async with Client(stdio_server(url)) as mcp:
        tools = (await mcp.list_tools()).tools
        return tools, await mcp.call_tool("computer_action", {"session_id": "s", "actions": list(actions)})


def our_xvfbs() -> set[int]:
    return {pid for pid, what in helper_processes(ours_only=True).items() if what.startswith("Xvfb")}


def test_relays_to_the_running_daemon(daemon, recorder):
    tools, result = asyncio.run(list_and_call(daemon.url, action("click_mouse", x=30, y=40), action("get_mouse_position")))
    assert [tool.name for tool in tools] == ["computer_action"]
    assert not result.is_error and result.structured_content == {"x": 30, "y": 40}
    events = recorder.wait_for(lambda evs: any(e.kind == "button_release" for e in evs))
    assert [(e.button, e.x, e.y) for e in events if e.kind == "button_press"] == [(1, 30, 40)]


def test_starts_a_private_daemon_when_nothing_answers_and_stops_it():
    before = our_xvfbs()
    _, result = asyncio.run(list_and_call(NOBODY, action("move_mouse", x=1900, y=1000, smooth=False), {"type": "screenshot"}))
    assert not result.is_error
    assert result.content[1].text.startswith("Viewport: 1920x1080.")  # its own screen, not the test display's
    # Stopping follows the client's leaving; on a loaded machine that takes a while: wait for it, boundedly.
    deadline = time.monotonic() + 10
    while our_xvfbs() != before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert our_xvfbs() == before


def test_stdout_holds_only_protocol_messages_and_stdin_closing_stops_everything():
    before = our_xvfbs()
    initialize = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "test", "version": "0"}}}
    done = subprocess.run([sys.executable, "-m", "xhands", "mcp", "--url", NOBODY], cwd=ROOT, capture_output=True,
                          text=True, input=json.dumps(initialize) + "\n", timeout=60)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines and all(json.loads(line)["jsonrpc"] == "2.0" for line in lines)
    assert json.loads(lines[0])["result"]["serverInfo"]["name"] == "xhands"
    assert "started a private daemon" in done.stderr
    assert our_xvfbs() == before


def test_the_private_daemon_is_named_on_stderr_and_leaves_no_file(tmp_path):
    """Its URL goes where MCP clients keep a server's stderr; its log goes there too, not to a file per run."""
    initialize = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "test", "version": "0"}}}
    done = subprocess.run([sys.executable, "-m", "xhands", "mcp", "--url", NOBODY], cwd=ROOT, capture_output=True,
                          text=True, input=json.dumps(initialize) + "\n", timeout=60,
                          env={**os.environ, "TMPDIR": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    said = re.search(r"started a private daemon at (http://127\.0\.0\.1:\d+) on display (:\d+)", done.stderr)
    assert said, done.stderr
    assert f"`DISPLAY={said.group(2)} chromium &`" in done.stderr
    assert list(tmp_path.iterdir()) == []


def test_no_xvfb_to_start_is_one_line():
    done = subprocess.run([sys.executable, "-m", "xhands", "mcp", "--url", NOBODY], cwd=ROOT, capture_output=True,
                          text=True, input="", timeout=60, env={**os.environ, "PATH": "/nonexistent"})
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert done.stderr.count("\n") == 1 and "Xvfb is not installed" in done.stderr


def test_sigterm_stops_the_private_daemon_and_xvfb():
    before = our_xvfbs()
    process = subprocess.Popen([sys.executable, "-m", "xhands", "mcp", "--url", NOBODY], cwd=ROOT,
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert "started a private daemon" in process.stderr.readline()
        assert our_xvfbs() - before, "its Xvfb runs"
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert our_xvfbs() == before
