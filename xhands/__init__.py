"""xhands: hands and eyes on an X11 display over HTTP.

The repository keeps its three parts at its top (daemon/, input/, bezier/);
installed, they live here, as xhands.daemon, xhands.input and xhands.bezier,
so they never clash with other distributions' top-level packages (PyPI's
`python-daemon` and `bezier`) or with a user's own `daemon.py` or `input.py`.

The public client:

    from xhands import Client

    with Client("http://127.0.0.1:10001") as xh:
        xh.click_mouse(100, 200)
"""

__version__ = "0.1.0"

_CLIENT = {"Action", "ApiError", "AsyncClient", "BatchResult", "Client", "DEFAULT_URL", "Health", "Image", "Position",
           "Region", "Size", "Unreachable"}


def __getattr__(name: str):
    # The client is imported on first use: `import xhands` stays cheap for the daemon and the CLI.
    if name in _CLIENT:
        from .daemon import client

        return getattr(client, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = sorted(_CLIENT)
