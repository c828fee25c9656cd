"""A proxy URL as Chromium's proxyServer takes it: scheme://host:port, the schemes Chromium speaks to a proxy.

Chromium takes no credentials in proxyServer (a proxy that wants them asks, and the browser would ask the
user), so a URL that carries them is refused rather than silently sent without them.
"""

from urllib.parse import urlsplit

SCHEMES = ("http", "https", "socks4", "socks5")
DEFAULT_PORTS = {"http": 80, "https": 443, "socks4": 1080, "socks5": 1080}


def proxy_server(url: str) -> str:
    """Chromium's proxyServer for a proxy URL (`host:port` alone is an HTTP proxy); ValueError saying what is wrong."""
    parts = urlsplit(url if "://" in url else f"http://{url}")
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise ValueError(f"proxy_url's scheme must be one of {', '.join(SCHEMES)}, not {parts.scheme!r}")
    if parts.username is not None or parts.password is not None:
        raise ValueError("proxy_url cannot carry a user or password: Chromium does not send credentials given "
                         "this way; use a proxy that admits the computer without them")
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"proxy_url's port is not a port: {url!r}") from None
    if not parts.hostname or parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError(f"proxy_url must be scheme://host:port and nothing more, not {url!r}")
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{scheme}://{host}:{port or DEFAULT_PORTS[scheme]}"
