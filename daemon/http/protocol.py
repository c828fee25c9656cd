"""Requests aiohttp rejects itself (a bad request line, bad headers, bad chunked encoding) are answered
in the Error shape too, not as aiohttp's text/plain.

aiohttp answers those before any middleware runs, from RequestHandler.handle_error, and has no
setting for it: the runner gives the app's server a RequestHandler subclass instead.
"""

from aiohttp import web

from ..errors import ApiError


class JsonErrorRequestHandler(web.RequestHandler):
    def handle_error(self, request, status: int = 500, exc: BaseException | None = None, message: str | None = None):
        super().handle_error(request, status, exc, message)  # logs, and raises if an answer was already sent
        if status >= 500:
            said = "internal error"  # a traceback is for the log, not the client
        else:
            said = "malformed HTTP request"
            if message:  # the parser's spans lines: what is wrong, the bytes, a caret under them
                said += ": " + " ".join(line.strip() for line in message.splitlines() if line.strip() not in ("", "^"))
        response = web.json_response(ApiError(status, said).body(), status=status)
        response.force_close()  # as aiohttp's: the connection's state is unknown after a parse error
        return response


class JsonErrorServer(web.Server):
    # web.Server.__call__, making the subclass; its fallback for handler arguments RequestHandler
    # does not know is left out: ours are only the ones aiohttp's runner passes.
    def __call__(self) -> web.RequestHandler:
        return JsonErrorRequestHandler(self, loop=self._loop, **self._kwargs)


class AppRunner(web.AppRunner):
    """web.AppRunner whose connections answer aiohttp's own errors in the Error shape."""

    async def _make_server(self) -> web.Server:
        server = await super()._make_server()  # the app's startup runs here
        # The very server aiohttp made, with every setting it was given, making JsonErrorRequestHandlers.
        server.__class__ = JsonErrorServer
        return server
