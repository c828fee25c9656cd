"""pytest plugin: a private Xvfb and xhands daemon for the test session, and a client for each test.

Installed with xhands (entry point `xhands` in the `pytest11` group), so its
fixtures are simply there; `-p no:xhands` turns it off. Where plugins are not
auto-loaded (PYTEST_DISABLE_PLUGIN_AUTOLOAD), `-p xhands` turns it on, or
`-p daemon.client.pytest_plugin` from a source tree that is not installed.

    def test_double_click(xhands, xhands_server):
        # start the program under test on xhands_server.display, then:
        xhands.click_mouse(100, 200, num_clicks=2)
        assert xhands.get_mouse_position() == Position(100, 200)

Fixtures:
    xhands_server   (session) the LocalServer: .url, .display, .token, .log_path
    xhands          a blocking daemon.client.Client to it
    xhands_async    a daemon.client.AsyncClient to it (for async tests)

Options: --xhands-screen WxHxD (ini xhands_screen; default 1280x800x24) and
--xhands-url URL to test against a daemon that is already running (with
XHANDS_TOKEN), e.g. in a container, instead of starting one.
"""

import os
from collections.abc import Iterator

import pytest

from . import AsyncClient, Client
from .testing import DaemonAt, LocalServer


def pytest_addoption(parser):
    group = parser.getgroup("xhands", "xhands: a private Xvfb and daemon")
    group.addoption("--xhands-screen", default=None, help="screen of the private Xvfb, WxHxD (default 1280x800x24)")
    group.addoption("--xhands-url", default=None, help="use the xhands daemon at this URL instead of starting one")
    parser.addini("xhands_screen", "screen of the private Xvfb, WxHxD", default="1280x800x24")


class RunningServer(DaemonAt):
    """A daemon someone else runs: only its URL and token are known."""

    display = None
    log_path = None


@pytest.fixture(scope="session")
def xhands_server(pytestconfig):
    url = pytestconfig.getoption("xhands_url")
    if url:
        yield RunningServer(url, os.environ.get("XHANDS_TOKEN") or None)
        return
    screen = pytestconfig.getoption("xhands_screen") or pytestconfig.getini("xhands_screen")
    with LocalServer(screen) as server:
        yield server


@pytest.fixture
def xhands(xhands_server) -> Iterator[Client]:
    with xhands_server.client() as client:
        yield client


@pytest.fixture
def xhands_async(xhands_server) -> AsyncClient:
    """Not entered: each call opens its own session, so it works in any event loop the test runs."""
    return xhands_server.async_client()
