"""Lightcone's browser calls on a computer that has a browser: navigate, html, tabs (routes and the execute/batch
actions go_to_url, get_html_content, list_tabs, new_tab, switch_tab, close_tab), and the `page_context` and
`executed_tab_id` of every ActionResult. What only the browser knows comes from its DevTools (browser/tabs.py);
input stays X11's, through the worker, like on any computer; an input action that names a tab_id brings that
tab to the screen first (bring_to_screen).

A computer has a browser when `--cdp URL` names the DevTools of a Chromium on the daemon's display (the computer
`local`), or when POST /computers {"kind": "browser"} started one for it (starter). Elsewhere each browser
call answers 409 saying how to get one, with x-should-retry: false. change-proxy (and the change_proxy action)
sends the browser's traffic through `proxy_url` from then on, or directly again without one: its tabs are
reopened at their URLs in a new browser context that uses the proxy (browser/tabs.py, use_proxy), without the
cookies and storage of the one before; a proxy_url Chromium cannot use is a 400 before anything changes.

page_context comes on every ActionResult unless its action says include_context: false. It costs one evaluation
in the page after the action: about 1.6 ms (measured p50, benchmarks/browser.py: an instant move's round trip
goes from 1.3 to 2.9 ms), small beside a screenshot or a model's turn; a tight loop of small actions may opt
out. A page too busy to answer within browser/tabs.py's CONTEXT_TIMEOUT_S (a running script, an alert) leaves
it out. In a batch, input actions run back to back on the worker, and those between two browser actions share
the page context measured after the last of them.
"""

import contextlib
import logging

from aiohttp import web

from ..browser.cdp import CdpError
from ..browser.chromium import BrowserStartError, find_browser, start_chromium
from ..browser.proxy import proxy_server
from ..browser.tabs import Browser, NavigationFailed, NavigationTimeout, NoSuchTab
from ..computer import Computer
from ..errors import ApiError
from ..http.app_keys import COMPUTERS, SETTINGS
from ..http.handling import computer_of

log = logging.getLogger(__name__)

BROWSER = "browser"  # the computer's Browser, in Computer.extras
ACTIONS = {"go_to_url", "navigate", "get_html_content", "html", "list_tabs", "new_tab", "switch_tab", "close_tab",
           "change_proxy"}
NEEDS = {"go_to_url": ("url",), "navigate": ("url",), "switch_tab": ("tab_id",), "close_tab": ("tab_id",)}
NO_RETRY = {"x-should-retry": "false"}


def browser_of(computer: Computer) -> Browser | None:
    return computer.extras.get(BROWSER)


def needs_browser(request: web.Request) -> Browser:
    """The browser of the request's computer; a 409 saying how to have one when it has none."""
    computer = computer_of(request)
    browser = browser_of(computer)
    if browser is None:
        raise ApiError(409, f"computer {computer.id} has no browser: start the daemon with --cdp http://127.0.0.1:PORT "
                       "naming the DevTools of a Chromium on its display (started with --remote-debugging-port=PORT), "
                       'or create a browser computer with POST /computers {"kind": "browser"} (needs --max-computers)',
                       code="no_browser", headers=NO_RETRY)
    return browser


def attach(computer: Computer, browser: Browser) -> None:
    computer.extras[BROWSER] = browser
    computer.on_close.append(browser.close)


def check(action) -> None:
    """A browser action's fields, checked with the rest of its batch before anything runs (None: no core action)."""
    action.needs(*NEEDS.get(action.type, ()))
    if action.type == "change_proxy":
        proxy_of(action)


def proxy_of(action) -> str | None:
    """change_proxy's proxy as Chromium takes it; None (directly) without a proxy_url or with an empty one."""
    if not action.proxy_url:
        return None
    try:
        return proxy_server(action.proxy_url)
    except ValueError as exc:
        raise ApiError(400, str(exc), code="invalid_proxy", headers=NO_RETRY) from None


async def run_action(browser: Browser, action) -> tuple[dict, str]:
    """Run one browser action: its result and the tab it ran in."""
    with browser_errors():
        return await _run(browser, action)


async def bring_to_screen(browser: Browser, tab_id: str) -> None:
    """Input actions naming a tab go to it: it becomes the main tab, the one on screen, unless it is already."""
    if tab_id != browser.main_id:
        with browser_errors():
            await browser.switch(tab_id)


@contextlib.contextmanager
def browser_errors():
    """Browser failures as ApiErrors."""
    try:
        yield
    except NoSuchTab as exc:
        raise ApiError(404, str(exc), code="tab_not_found", headers=NO_RETRY) from None
    except NavigationFailed as exc:
        raise ApiError(400, str(exc), code="navigation_failed", headers=NO_RETRY) from None
    except NavigationTimeout as exc:
        raise ApiError(504, str(exc), code="navigation_timeout", headers=NO_RETRY) from None
    except CdpError as exc:
        raise ApiError(502, f"the browser failed: {exc}", code="browser_failed", headers=NO_RETRY) from None


async def _run(browser: Browser, action) -> tuple[dict, str]:
    kind = action.type
    if kind in ("go_to_url", "navigate"):
        [url] = action.needs("url")
        return {}, await browser.navigate(url, action.tab_id)
    if kind in ("get_html_content", "html"):
        tab_id, html = await browser.html(action.tab_id)
        return {"html_content": html}, tab_id
    if kind == "list_tabs":
        return {"tabs": await browser.tabs()}, await browser.main()
    if kind == "change_proxy":
        tab_id = await browser.use_proxy(proxy_of(action))
        return {"tabs": await browser.tabs()}, tab_id
    if kind == "new_tab":
        tab_id = await browser.create(action.url)
    elif kind == "switch_tab":
        tab_id = await browser.switch(action.needs("tab_id")[0])
    else:  # close_tab
        tab_id = await browser.close_tab(action.needs("tab_id")[0])
    return {"tab_id": tab_id, "tabs": await browser.tabs()}, tab_id


async def with_context(browser: Browser, results: list[dict], actions: list, tab_id: str | None) -> list[dict]:
    """ActionResults of actions that ran one after the other, each with the tab it ran in and that tab's page
    context (the main tab's, when they ran in none or in a tab since closed), measured once, now; left out of
    those whose action asked include_context: false."""
    try:
        if tab_id is None or tab_id not in {tab["id"] for tab in await browser.tabs()}:
            tab_id = await browser.main()
        context = None
        if any(action.include_context is not False for action in actions):
            context = await browser.context(tab_id)
    except CdpError as exc:
        log.debug("no page context: %s", exc)
        context = None
    return [{**result, "executed_tab_id": tab_id,
             **({"page_context": context} if context is not None and action.include_context is not False else {})}
            for result, action in zip(results, actions)]


def starter(browser: str | None):
    """What starts a new computer's own Chromium (`browser`, or chromium on PATH), filling its screen, stopped
    with it (one of its programs); a 400 now when there is none to start."""
    executable = find_browser(browser)
    if executable is None:
        raise ApiError(400, 'kind "browser" needs Chromium: install `chromium` on PATH or name it with --browser PATH',
                       code="no_browser", headers=NO_RETRY)

    async def start(computer: Computer) -> None:
        width, height = computer.desktop.screen_size
        try:
            started = await start_chromium(computer.programs, executable, width, height)
        except BrowserStartError as exc:
            raise ApiError(500, f"the browser did not start: {exc}", code="browser_failed", headers=NO_RETRY) from None
        attach(computer, Browser(started.devtools_url))

        async def remove_profile() -> None:
            started.remove_profile()

        computer.on_close.append(remove_profile)
        computer.kind = "browser"

    return start


def add_to(app: web.Application) -> None:
    """--cdp: the daemon's own display has the browser it names."""
    if url := app[SETTINGS].cdp_url:
        attach(app[COMPUTERS].local, Browser(url))
