"""An instant move over Lightcone's WebSocket (/computers/{id}/ws) beside a bare `xdotool mousemove` process.

The client is as lean as measure.Client is for HTTP: one blocking socket, the RFC 6455 handshake, masked text
frames out and unmasked ones in, nothing else (no asyncio, no library), so what is timed is the daemon's turn.
"""

import base64
import os
import socket
import struct

from .measure import ACTION_PAUSE_S, WS_MOVES, cell, interleaved, near_spot, ratio, summary

PATH = "/computers/local/ws"


class WebSocketClient:
    def __init__(self, port: int, path: str = PATH):
        self.socket = socket.create_connection(("127.0.0.1", port))
        self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        key = base64.b64encode(os.urandom(16)).decode()
        self.socket.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode())
        self.buffer = b""
        while b"\r\n\r\n" not in self.buffer:
            self.buffer += self.socket.recv(4096)
        head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 101"):
            raise RuntimeError(f"WebSocket upgrade refused: {head.splitlines()[0]!r}")

    def send(self, text: bytes) -> None:
        """One masked text frame (a client must mask; a zero mask leaves the bytes as they are)."""
        length = len(text)
        header = bytes([0x81]) + (bytes([0x80 | length]) if length < 126 else bytes([0x80 | 126]) + struct.pack(">H", length))
        self.socket.sendall(header + b"\0\0\0\0" + text)

    def receive(self) -> bytes:
        """One unmasked frame from the server: its payload."""
        while True:
            if len(self.buffer) >= 2:
                size_bytes = {126: 2, 127: 8}.get(self.buffer[1] & 0x7F, 0)
                start = 2 + size_bytes
                if len(self.buffer) >= start:
                    length = int.from_bytes(self.buffer[2:start]) if size_bytes else self.buffer[1] & 0x7F
                    if len(self.buffer) >= start + length:
                        payload, self.buffer = self.buffer[start:start + length], self.buffer[start + length:]
                        return payload
            self.buffer += self.socket.recv(65536)

    def call(self, text: bytes) -> bytes:
        self.send(text)
        answer = self.receive()
        if b'"status": "success"' not in answer:
            raise RuntimeError(f"WebSocket action failed: {answer[:300]!r}")
        return answer


def instant_move(bench) -> None:
    """The rows: the same instant moves over the WebSocket, the same messages to the empty aiohttp server's
    WebSocket echo, and `xdotool mousemove` processes, interleaved."""
    channel = WebSocketClient(bench.stage.daemon.port)
    echo = WebSocketClient(bench.stage.empty.port)
    echo_move = WebSocketClient(bench.stage.empty_move.port)
    tools = {"xhands": (lambda i: channel.call(WS_MOVES[i % 2]), 10, 20),
             "floor": (lambda i: echo.call(WS_MOVES[i % 2]), 10, 20),
             "move floor": (lambda i: echo_move.call(WS_MOVES[i % 2]), 10, 20),
             "reference": (lambda i: bench.reference.move(*near_spot(i)), 1, 2)}
    result = {tool: summary(values) for tool, values in interleaved(tools, rounds=bench.n(60, 15), pause_s=ACTION_PAUSE_S).items()}
    channel.socket.close()
    echo.socket.close()
    echo_move.socket.close()
    bench.floor_rows("Lightcone's WebSocket", "WebSocket echo", result, bench.raw.setdefault("floors_websocket", {}))
    bench.raw["websocket_instant_move"] = result
    r = ratio(result["reference"], result["xhands"])
    bench.row("one action over Lightcone's WebSocket: instant move", cell(result["xhands"]), cell(result["reference"]),
              vs=f"{r:.1f}x" if r else "", target="p50 ≤ 0.25 ms, ≥ 10x xdotool",
              met=result["xhands"]["p50_ms"] <= 0.25 and (r or 0) >= 10)
