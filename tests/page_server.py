"""Pages served from memory on 127.0.0.1, for tests and benchmarks alike (benchmarks/ imports it from here).

    with PageServer({"/": ("text/html", b"<!doctype html>...")}) as pages:
        ... pages.url ...  # http://127.0.0.1:PORT, the origin, without a trailing slash
"""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class PageServer:
    def __init__(self, files: dict[str, tuple[str, bytes]]):
        """`files`: by path, its content type and body; any other path is a 404."""

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                content_type, body = files.get(self.path, ("text/plain", b"not found"))
                self.send_response(200 if self.path in files else 404)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, name="page-server", daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> "PageServer":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
