"""GET /view: a page that shows the live screen, the pointer and the event log, and can take control;
GET /view?recording=ID[&computer=ID]: a page that plays that recording beside its timeline of actions and marks.

Each is one HTML page from the package, with its CSS and JavaScript in it: nothing to build, nothing fetched
from elsewhere. What both share (the layout's style, the token form and the requests that send the token) is
put into each at start-up. A page is served without a token, as it holds no secret: it asks for the token
and sends it in a header on every request it makes (the screencast, the events and the actions), never in a URL.
"""

from importlib import resources

from aiohttp import web

PATH = "/view"
SHARED = {"/* page.css */": "page.css", "<!-- token_form.html -->": "token_form.html"}  # marker: its piece


def page(package: str, name: str) -> bytes:
    """A page of the package with the shared pieces in place of their markers."""
    text = resources.files(package).joinpath(name).read_text()
    for marker, piece in SHARED.items():
        if text.count(marker) != 1:
            raise ValueError(f"{name} must hold {marker} once")
        text = text.replace(marker, resources.files(__package__).joinpath(piece).read_text().strip())
    return text.encode()


PAGE = page(__package__, "view.html")
# ?recording=ID: the recording's replay, its video beside its timeline (recording/replay.html).
REPLAY = page("xhands.daemon.recording", "replay.html")
# The page talks to this daemon only, and its form never navigates: the token can go nowhere else.
POLICY = ("default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src blob: data:; "
          "media-src blob:; connect-src 'self'; form-action 'none'; frame-ancestors 'none'")


async def view(request: web.Request) -> web.Response:
    return web.Response(body=REPLAY if "recording" in request.query else PAGE, content_type="text/html",
                        charset="utf-8", headers={"Cache-Control": "no-cache", "Content-Security-Policy": POLICY})


def add_routes(app: web.Application) -> None:
    app.router.add_get(PATH, view)
