"""Instant moves on a bare X server: a daemon of its own on a private Xvfb with no application on it, beside
the empty aiohttp server and that server sending one XTest motion to the same Xvfb, over HTTP and over
Lightcone's WebSocket, interleaved.

The main stage's move rows move the pointer over a full-screen Chromium, which wakes and handles every
motion on the same two cores. These rows leave the application out: what is left is the daemon, its HTTP
stack and the X server, the floor the daemon itself can be held to.
"""

import os

from xhands.daemon.client.testing import LocalServer

from .env import EmptyServer
from .measure import ACTION_PAUSE_S, HTTP_MOVES, WS_MOVES, Client, interleaved, summary
from .websocket import WebSocketClient


def rows(bench) -> None:
    with LocalServer("1920x1080x24") as daemon:
        empty, empty_move = EmptyServer(dict(os.environ)), EmptyServer(dict(os.environ), display=daemon.display)
        try:
            servers = {"xhands": daemon.port, "floor": empty.port, "move floor": empty_move.port}
            over_http = {name: Client(port) for name, port in servers.items()}
            http = {name: (lambda i, c=client: c.post("/computer/move_mouse", HTTP_MOVES[i % 2]), 10, 20)
                    for name, client in over_http.items()}
            result = {name: summary(v) for name, v in interleaved(http, bench.n(60, 15), ACTION_PAUSE_S).items()}
            bench.floor_rows("HTTP on a bare X server", "server", result, bench.raw.setdefault("floors_http_bare", {}))
            bench.raw["bare_http_instant_move"] = result
            sockets = {name: WebSocketClient(port) for name, port in servers.items()}
            ws = {name: (lambda i, s=socket: s.call(WS_MOVES[i % 2]), 10, 20) for name, socket in sockets.items()}
            result = {name: summary(v) for name, v in interleaved(ws, bench.n(60, 15), ACTION_PAUSE_S).items()}
            for socket in sockets.values():
                socket.socket.close()
            bench.floor_rows("Lightcone's WebSocket on a bare X server", "WebSocket echo", result,
                             bench.raw.setdefault("floors_websocket_bare", {}))
            bench.raw["bare_websocket_instant_move"] = result
        finally:
            empty.close()
            empty_move.close()
