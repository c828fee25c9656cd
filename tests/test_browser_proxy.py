"""A proxy URL as Chromium's proxyServer: what change-proxy takes and what it refuses before anything changes."""

import pytest

from xhands.daemon.browser.proxy import proxy_server


@pytest.mark.parametrize("url, server", [
    ("http://proxy.example:3128", "http://proxy.example:3128"),
    ("proxy.example:3128", "http://proxy.example:3128"),
    ("HTTP://Proxy.Example:8080/", "http://proxy.example:8080"),
    ("https://proxy.example", "https://proxy.example:443"),
    ("socks5://127.0.0.1:1080", "socks5://127.0.0.1:1080"),
    ("socks4://10.0.0.1:9050", "socks4://10.0.0.1:9050"),
    ("http://[::1]:8888", "http://[::1]:8888"),
])
def test_a_proxy_url_becomes_chromiums_proxy_server(url, server):
    assert proxy_server(url) == server


@pytest.mark.parametrize("url, says", [
    ("ftp://proxy.example:21", "scheme"),
    ("http://user:secret@proxy.example:3128", "user or password"),
    ("http://proxy.example:99999", "port"),
    ("http://proxy.example:http", "port"),
    ("http://proxy.example:3128/path", "scheme://host:port"),
    ("http://proxy.example:3128?x=1", "scheme://host:port"),
    ("http://:3128", "scheme://host:port"),
    ("", "scheme://host:port"),
])
def test_a_proxy_url_chromium_cannot_use_is_refused_saying_why(url, says):
    with pytest.raises(ValueError, match=says.replace("?", r"\?")) as refused:
        proxy_server(url)
    assert says in str(refused.value)
