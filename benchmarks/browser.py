"""Browser computers (Lightcone's kind "browser"), on a daemon of their own (--max-computers 2):

- POST /computers {"kind": "browser"} until its first navigate to a local page is answered (an Xvfb, a Chromium,
  its DevTools, a load);
- what page_context costs: one small action (an instant move through execute) on a browser computer with its page
  context, the same with include_context: false, and on a desktop computer, run round-robin side by side.

    python -m benchmarks.browser   # these rows alone, printed; the full run (python -m benchmarks) has them too
"""

import json
import time

from tests.page_server import PageServer
from xhands.daemon.client.testing import LocalServer

from .computers import delete
from .measure import Client, cell, interleaved, summary
from .report import print_rows

SIZE = {"width": 1280, "height": 800}
PAGE = b"<!doctype html><title>bench</title><p>a page</p>"


def create(client: Client, kind: str) -> str:
    return json.loads(client.post("/computers", {"kind": kind, "display": SIZE}))["id"]


def rows(quick: bool = False) -> list[dict]:
    server = PageServer({"/": ("text/html", PAGE)})
    page = server.url + "/"
    daemon = LocalServer(screen="1280x800x24", args=("--max-computers", "2", "--log-level", "warning")).start()
    try:
        client = Client(daemon.port)
        started_ms = []
        for _ in range(2 if quick else 5):
            began = time.perf_counter()
            browser = create(client, "browser")
            client.post(f"/computers/{browser}/navigate", {"url": page})
            started_ms.append((time.perf_counter() - began) * 1000)
            delete(client, browser)
        browser, desktop = create(client, "browser"), create(client, "desktop")
        client.post(f"/computers/{browser}/navigate", {"url": page})

        def move(computer_id: str, **extra):
            path = f"/computers/{computer_id}/execute"
            return lambda index: client.post(path, {"action": {"type": "move", "x": 100 + index % 2, "y": 100, **extra}})

        samples = interleaved({"context": (move(browser), 1, 5), "no_context": (move(browser, include_context=False), 1, 5),
                               "desktop": (move(desktop), 1, 5)}, 50 if quick else 300)
        for computer_id in (browser, desktop):
            delete(client, computer_id)
    finally:
        daemon.stop()
        server.close()
    start, context, bare, desktop_move = (summary(s) for s in (started_ms, samples["context"], samples["no_context"],
                                                               samples["desktop"]))
    return [
        dict(measure="POST /computers {kind: browser} (1280x800) until its first navigate (a local page) is answered",
             xhands=cell(start), target="p50 ≤ 3 s", met=start["p50_ms"] <= 3000),
        dict(measure="an instant move on a browser computer: with page_context; include_context: false; a desktop's",
             xhands=f"{cell(context)}; {cell(bare)}; {cell(desktop_move)}",
             ratio=f"{context['p50_ms'] / bare['p50_ms']:.2f}x of without"),
    ]


def main() -> None:
    print_rows(rows())


if __name__ == "__main__":
    main()
