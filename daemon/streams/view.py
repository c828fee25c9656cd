"""GET /view: a page that shows the live screen, the pointer and the event log, and can take control;
GET /view?recording=ID: a page that plays that recording beside its timeline of actions and marks.

One HTML file from the package, with its CSS and JavaScript in it: nothing to build, nothing fetched from
elsewhere. It is served without a token, as it holds no secret: the page asks for the token and sends it in
a header on every request it makes (the screencast, the events and the actions), never in a URL.
"""

from importlib import resources

from aiohttp import web

PATH = "/view"
PAGE = resources.files(__package__).joinpath("view.html").read_bytes()
# ?recording=ID: the recording's replay, its video beside its timeline (recording/replay.html).
REPLAY = resources.files("xhands.daemon.recording").joinpath("replay.html").read_bytes()
# The page talks to this daemon only, and its form never navigates: the token can go nowhere else.
POLICY = ("default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src blob: data:; "
          "media-src blob:; connect-src 'self'; form-action 'none'; frame-ancestors 'none'")


async def view(request: web.Request) -> web.Response:
    return web.Response(body=REPLAY if "recording" in request.query else PAGE, content_type="text/html",
                        charset="utf-8", headers={"Cache-Control": "no-cache", "Content-Security-Policy": POLICY})


def add_routes(app: web.Application) -> None:
    app.router.add_get(PATH, view)
