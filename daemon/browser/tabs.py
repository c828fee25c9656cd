"""A browser's tabs as Lightcone sees them, through its DevTools (cdp.py): which there are, the main one (where
actions go: the one on screen), navigation that waits for the load, a page's HTML and its page context.

Tab ids are DevTools target ids. Pages of devtools:// and chrome:// are not tabs here (a browser's own UI).
The main tab is the one last created or switched to; when it closes (or at first) it is the first tab the browser
lists. Switching activates the tab, so the screen, and with it the X input, shows it.

A proxy is a browser context's, fixed when the context is made (DevTools' Target.createBrowserContext), so
use_proxy moves the tabs to a new context: each is reopened there at its URL and the old ones closed. A context
has windows of its own, which Chromium opens as plain windows (a kiosk's too, with tab strip and toolbar), so
the new window is given the old one's place and state (a kiosk's is fullscreen): the page stays where it was on
the screen. The new context starts without the cookies and storage of the one before, as an incognito window.
"""

import asyncio
import contextlib

from .cdp import CALL_TIMEOUT_S, CdpError, Endpoint, Session

HIDDEN_SCHEMES = ("devtools://", "chrome://", "chrome-extension://")
NAVIGATE_TIMEOUT_S = 30.0
CONTEXT_TIMEOUT_S = 2.0  # a page busy in a script or an alert() leaves its page context out rather than wait
PLACEMENT_TIMEOUT_S = 5.0  # how long a new context's window may take to reach the old one's place
BLANK = "about:blank"
# Resolves once the page has produced a frame (the second animation frame begins after the first was drawn).
TWO_FRAMES_JS = "new Promise(done => requestAnimationFrame(() => requestAnimationFrame(() => done(true))))"
# What Lightcone's PageContext says of a page, read in one evaluation.
CONTEXT_JS = """({url: location.href, title: document.title,
  viewport_width: innerWidth, viewport_height: innerHeight, scroll_x: scrollX, scroll_y: scrollY,
  page_width: document.documentElement ? document.documentElement.scrollWidth : 0,
  page_height: document.documentElement ? document.documentElement.scrollHeight : 0,
  device_scale_factor: devicePixelRatio})"""
HTML_JS = """(document.doctype ? new XMLSerializer().serializeToString(document.doctype) + "\\n" : "")
  + (document.documentElement ? document.documentElement.outerHTML : "")"""


class NoSuchTab(CdpError):
    pass


class NavigationFailed(CdpError):
    pass


class NavigationTimeout(CdpError):
    pass


def is_tab(target: dict) -> bool:
    return target.get("type") == "page" and not target.get("url", "").startswith(HIDDEN_SCHEMES)


def tab_list(targets: list[dict], main_id: str | None) -> list[dict]:
    """Lightcone's tabs (id, url, title, is_main) of the browser's DevTools targets, in the browser's order."""
    return [{"id": target["id"], "url": target.get("url", ""), "title": target.get("title", ""),
             "is_main": target["id"] == main_id} for target in targets if is_tab(target)]


class Browser:
    """One browser's tabs. Connects when first used, so the daemon may start before the browser does."""

    def __init__(self, devtools_url: str):
        self.endpoint = Endpoint(devtools_url)
        self.main_id: str | None = None
        self._sessions: dict[str, Session] = {}
        self._connecting = asyncio.Lock()
        self._browser_session: Session | None = None  # the browser's own, made when first needed
        self.context_id: str | None = None  # the browser context tabs open in (None: the browser's first)

    async def _targets(self) -> list[dict]:
        """The tabs, in the browser's order; a main tab that has gone is replaced by the first."""
        targets = await self.endpoint.targets()
        tabs = [target for target in targets if is_tab(target)]
        if tabs and self.main_id not in {tab["id"] for tab in tabs}:
            self.main_id = tabs[0]["id"]
        return tabs

    async def tabs(self) -> list[dict]:
        return tab_list(await self._targets(), self.main_id)

    async def main(self) -> str:
        """The main tab's id (looked up when not yet known)."""
        if self.main_id is None:
            await self._targets()
        if self.main_id is None:
            raise NoSuchTab("the browser has no tab open: create one (tabs.create, or a new_tab action)")
        return self.main_id

    async def tab(self, tab_id: str | None) -> str:
        """The id of the tab asked for (the main one when None); NoSuchTab when there is none such."""
        if tab_id is None:
            return await self.main()
        if tab_id not in {target["id"] for target in await self._targets()}:
            raise NoSuchTab(f"no tab {tab_id!r}: list the open ones with GET /computers/{{id}}/tabs")
        return tab_id

    async def session(self, tab_id: str) -> Session:
        async with self._connecting:
            session = self._sessions.get(tab_id)
            if session is None or session.closed:
                target = next((t for t in await self._targets() if t["id"] == tab_id), None)
                if target is None:  # closed from the page or the screen (a main one is replaced: _targets)
                    raise NoSuchTab(f"no tab {tab_id!r}: it was closed")
                session = self._sessions[tab_id] = await self.endpoint.connect(target["webSocketDebuggerUrl"])
                await session.call("Page.enable")
            return session

    async def evaluate(self, tab_id: str, expression: str, timeout: float):
        """The JSON value of an expression in the tab's page."""
        session = await self.session(tab_id)
        reply = await session.call("Runtime.evaluate", timeout=timeout, expression=expression, returnByValue=True)
        if "exceptionDetails" in reply:
            raise CdpError(f"the page's script failed: {reply['exceptionDetails'].get('text', '')}")
        return reply["result"].get("value")

    async def navigate(self, url: str, tab_id: str | None = None, timeout: float = NAVIGATE_TIMEOUT_S) -> str:
        """Load `url` in the tab and wait for its load event; the tab's id."""
        tab_id = await self.tab(tab_id)
        session = await self.session(tab_id)
        with session.expecting("Page.loadEventFired") as loaded:
            reply = await session.call("Page.navigate", url=url)
            if reply.get("errorText"):
                raise NavigationFailed(f"navigating to {url} failed: {reply['errorText']}")
            if reply.get("loaderId"):  # else the same document (a #fragment): nothing loads
                try:
                    await asyncio.wait_for(loaded, timeout)
                except TimeoutError:
                    raise NavigationTimeout(f"{url} did not finish loading within {timeout:g} s") from None
                await self._drawn(session)
        return tab_id

    async def _drawn(self, session: Session) -> None:
        """Wait until the page just loaded has drawn a frame. Until then Chromium keeps showing the page before it
        and drops input meant for the new one (paint holding): an X click sent right after a navigation was lost
        now and then on a loaded machine. A page that draws nothing (hidden, or stuck in a script) is not waited
        for longer than CONTEXT_TIMEOUT_S."""
        with contextlib.suppress(CdpError):
            await session.call("Runtime.evaluate", timeout=CONTEXT_TIMEOUT_S, expression=TWO_FRAMES_JS,
                               awaitPromise=True, returnByValue=True)

    async def html(self, tab_id: str | None = None) -> tuple[str, str]:
        tab_id = await self.tab(tab_id)
        return tab_id, await self.evaluate(tab_id, HTML_JS, timeout=CALL_TIMEOUT_S)

    async def context(self, tab_id: str) -> dict:
        """Lightcone's PageContext of the tab."""
        page = await self.evaluate(tab_id, CONTEXT_JS, timeout=CONTEXT_TIMEOUT_S)
        return {**page, "tab_id": tab_id, "is_main_tab": tab_id == self.main_id}

    async def browser_session(self) -> Session:
        async with self._connecting:
            if self._browser_session is None or self._browser_session.closed:
                self._browser_session = await self.endpoint.connect_browser()
            return self._browser_session

    async def _open(self, url: str) -> str:
        """A new tab in the current context at url (not waited for); its id."""
        if self.context_id is None:
            return (await self.endpoint.new_target(url))["id"]
        reply = await (await self.browser_session()).call("Target.createTarget", url=url, browserContextId=self.context_id)
        return reply["targetId"]

    async def create(self, url: str | None = None) -> str:
        """A new tab, which becomes the main one and comes to the screen; loaded when a url is given."""
        tab_id = await self._open(BLANK)
        self.main_id = tab_id
        await self.endpoint.activate(tab_id)
        if url:
            await self.navigate(url, tab_id)
        return tab_id

    async def use_proxy(self, proxy_server: str | None) -> str:
        """From now on the tabs' traffic goes through proxy_server (Chromium's form, browser/proxy.py), or directly
        when None: the open tabs are reopened in that order at their URLs in a new context that does so, the main
        one brought to the screen and loaded (the others not waited for), and the old tabs closed. The main tab's
        new id."""
        if proxy_server is None and self.context_id is None:
            return await self.main()  # direct already
        old_tabs, old_main, old_context = await self._targets(), self.main_id, self.context_id
        browser = await self.browser_session()
        window = (await browser.call("Browser.getWindowForTarget", targetId=old_main))["bounds"] if old_main else None
        new_context = None  # the browser's first, which goes directly
        if proxy_server is not None:
            new_context = (await browser.call("Target.createBrowserContext", proxyServer=proxy_server))["browserContextId"]
        self.context_id = new_context
        urls = {tab["id"]: tab.get("url") or BLANK for tab in old_tabs}
        main_url = urls.get(old_main, BLANK)
        reopened = {tab_id: await self._open(BLANK if tab_id == old_main else url) for tab_id, url in urls.items()}
        self.main_id = reopened.get(old_main) or await self._open(BLANK)
        if window is not None:
            await self._place_window(self.main_id, window)
        await self.endpoint.activate(self.main_id)
        if main_url != BLANK:
            # Loaded and drawn before the answer, as after navigate: input sent while Chromium still holds the
            # new page's first paint is dropped. A proxy that fails the page leaves it on Chromium's error page.
            with contextlib.suppress(NavigationFailed, NavigationTimeout):
                await self.navigate(main_url, self.main_id)
        for tab_id in reopened:
            session = self._sessions.pop(tab_id, None)
            if session is not None:
                await session.close()
        if old_context is not None:  # closes its tabs
            await browser.call("Target.disposeBrowserContext", browserContextId=old_context)
        else:
            for tab_id in reopened:
                await self.endpoint.close_target(tab_id)
        await self._tabs_without(set(reopened))
        return self.main_id

    async def _place_window(self, tab_id: str, bounds: dict) -> None:
        """Give the tab's window these bounds (DevTools' Browser.getWindowForTarget's: a fullscreen, maximized or
        minimized window's state alone, as DevTools takes it), then wait (boundedly) until the browser says the
        window has them: input sent before could land where it no longer is."""
        browser = await self.browser_session()
        window_id = (await browser.call("Browser.getWindowForTarget", targetId=tab_id))["windowId"]
        state = bounds.get("windowState", "normal")
        await browser.call("Browser.setWindowBounds", windowId=window_id,
                           bounds={key: bounds[key] for key in ("left", "top", "width", "height") if key in bounds}
                           if state == "normal" else {"windowState": state})
        deadline = asyncio.get_running_loop().time() + PLACEMENT_TIMEOUT_S
        while (await browser.call("Browser.getWindowBounds", windowId=window_id))["bounds"] != bounds:
            if asyncio.get_running_loop().time() > deadline:
                break  # not quite there (a window manager's say?): input goes where it now is
            await asyncio.sleep(0.05)

    async def switch(self, tab_id: str) -> str:
        tab_id = await self.tab(tab_id)
        await self.endpoint.activate(tab_id)
        self.main_id = tab_id
        return tab_id

    async def close_tab(self, tab_id: str) -> str:
        """Close a tab; when it was the main one, the first tab left becomes main and comes to the screen."""
        tab_id = await self.tab(tab_id)
        session = self._sessions.pop(tab_id, None)
        if session is not None:
            await session.close()
        await self.endpoint.close_target(tab_id)
        left = await self._tabs_without({tab_id})
        if tab_id == self.main_id:
            self.main_id = left[0]["id"] if left else None
            if self.main_id is not None:
                await self.endpoint.activate(self.main_id)
        return tab_id

    async def _tabs_without(self, closed: set[str]) -> list[dict]:
        """The tabs once closed ones have left the browser's list, where they linger for a moment."""
        for _ in range(40):
            tabs = [target for target in await self.endpoint.targets() if is_tab(target)]
            if not closed & {tab["id"] for tab in tabs}:
                break
            await asyncio.sleep(0.05)
        return [tab for tab in tabs if tab["id"] not in closed]

    async def close(self) -> None:
        for session in [*self._sessions.values(), *filter(None, [self._browser_session])]:
            with contextlib.suppress(Exception):
                await session.close()
        self._sessions.clear()
        self._browser_session = None
        await self.endpoint.close()
