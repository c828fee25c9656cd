"""Instant moves on a bare X server: a daemon of its own on a private Xvfb with no application on it, beside
the empty aiohttp server and that server sending one XTest motion to the same Xvfb, over HTTP and over
Lightcone's WebSocket, interleaved.

The main stage's move rows move the pointer over a full-screen Chromium, which wakes and handles every
motion on the same two cores. These rows leave the application out: what is left is the daemon, its HTTP
stack and the X server, the floor the daemon itself can be held to.

A round trip on two cores measures where the processes ran as much as what they did: the empty echo is
fastest when its client and server take turns on one core, which a third process to wake (the X server)
prevents. So the step also counts the CPU each server, and the X server, spend per move: what a move costs
the machine, whatever the scheduler made of it.
"""

import os

from xhands.daemon.client.testing import LocalServer

from .env import EmptyServer
from .measure import ACTION_PAUSE_S, HTTP_MOVES, WS_MOVES, Client, cpu_per_call, interleaved, summary
from .websocket import WebSocketClient

NAMES = {"xhands": "the daemon", "floor": "the empty aiohttp server", "move floor": "the empty server with one XTest motion"}


def rows(bench) -> None:
    with LocalServer("1920x1080x24") as daemon:
        empty, empty_move = EmptyServer(dict(os.environ)), EmptyServer(dict(os.environ), display=daemon.display)
        try:
            servers = {"xhands": daemon.port, "floor": empty.port, "move floor": empty_move.port}
            pids = {"xhands": daemon.process.pid, "floor": empty.process.pid, "move floor": empty_move.process.pid,
                    "X server": daemon.xvfb.process.pid}
            over_http = {name: Client(port) for name, port in servers.items()}
            path_rows(bench, "HTTP", "server", "http",
                      {name: lambda i, c=client: c.post("/computer/move_mouse", HTTP_MOVES[i % 2])
                       for name, client in over_http.items()}, pids)
            sockets = {name: WebSocketClient(port) for name, port in servers.items()}
            try:
                path_rows(bench, "Lightcone's WebSocket", "WebSocket echo", "websocket",
                          {name: lambda i, s=socket: s.call(WS_MOVES[i % 2]) for name, socket in sockets.items()}, pids)
            finally:
                for socket in sockets.values():
                    socket.socket.close()
        finally:
            empty.close()
            empty_move.close()


def path_rows(bench, over: str, server: str, key: str, moves: dict, pids: dict[str, int]) -> None:
    """The rows of one path: the moves' round trips interleaved, then their CPU, beside the floors."""
    tools = {name: (move, 10, 20) for name, move in moves.items()}
    result = {name: summary(v) for name, v in interleaved(tools, bench.n(60, 15), ACTION_PAUSE_S).items()}
    cpu = cpu_rows(bench, over, moves, pids)
    bench.floor_rows(f"{over} on a bare X server", server, result, bench.raw.setdefault(f"floors_{key}_bare", {}))
    bench.raw[f"bare_{key}_instant_move"] = {**result, "cpu_us": cpu}


def cpu_rows(bench, over: str, moves: dict, pids: dict[str, int]) -> dict:
    """CPU per move of each server and of the X server, in µs, and the row that shows them; returns them by server."""
    spent = cpu_per_call(moves, pids, bench.n(3000, 500), bench.n(3, 1))
    cpu = {name: {"server": spent[name][name], "X server": spent[name]["X server"]} for name in moves}
    ours, floor, move_floor = (cpu[name]["server"] for name in ("xhands", "floor", "move floor"))
    bench.row(f"CPU per instant move over {over} on a bare X server, in the server (+ the X server)",
              " / ".join(f"{NAMES[name]} {cpu[name]['server']:.0f} (+{cpu[name]['X server']:.0f}) µs" for name in cpu),
              vs=f"xhands {ours / floor:.2f}x the empty server's, {ours / move_floor:.2f}x it with one motion")
    return cpu
