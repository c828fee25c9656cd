"""`xhands serve`: attach to a display (or start a private Xvfb) and serve the API."""

import argparse
import asyncio
import contextlib
import ipaddress
import logging
import os
import signal
import socket
import urllib.parse

from aiohttp import web

from xhands.daemon.app import Settings, create_app
from xhands.daemon.origin import allowed_origin
from xhands.input import Desktop

from . import logs, memory, systemd
from .metrics_site import create_metrics_app
from .attach import NoDisplay, wait_for_display
from .xvfb import SERVERS, Xvfb, XvfbError, screen_geometry

log = logging.getLogger("xhands")


def add_serve_command(commands) -> None:
    """Add `serve` and its flags to `xhands`'s subparsers (cli.py)."""
    serve = commands.add_parser("serve", help="run the daemon", description=__doc__)
    serve.set_defaults(run=run)
    add = serve.add_argument
    # Each help says its default itself: those taken from the environment name the variable, never its value,
    # so `--help` cannot print a token.
    add("--host", metavar="ADDRESS", default="127.0.0.1", help="address to listen on; beyond loopback a token is required (default: %(default)s)")
    add("--port", type=port_number, metavar="PORT", default=10001, help="TCP port to listen on (default: %(default)s)")
    add("--unix-socket", metavar="PATH", help="listen on this Unix socket (mode 0600) instead of --host and --port (default: none)")
    add("--display", metavar=":N", default=os.environ.get("DISPLAY") or None,
        help="attach to this display (default: $DISPLAY; without either, start a private Xvfb)")
    add("--wait-for-display", type=seconds, metavar="SECONDS", default=0.0,
        help="wait this long for the display given to accept connections before refusing to start (default: %(default)s)")
    add("--screen", type=screen_geometry, metavar="WxHxD", default="1920x1080x24", help="size of the private X server, WxHxD (default: %(default)s)")
    add("--xserver", choices=list(SERVERS), default="xvfb",
        help="the private X servers (the daemon's without --display, and --max-computers'): xvfb, or xvnc (TigerVNC, no VNC "
        "port open) whose screen can be resized (default: %(default)s)")
    add("--token", default=os.environ.get("XHANDS_TOKEN") or None,
        help="bearer token required on every route but /health (default: $XHANDS_TOKEN; without either, none)")
    add("--metrics-port", type=port_number, metavar="PORT",
        help="also serve GET /metrics and GET /health, and nothing else, on this port without a token, "
        "for Prometheus and probes (default: none)")
    add("--metrics-host", metavar="ADDRESS", default="127.0.0.1",
        help="address of the --metrics-port listener; it may be beyond loopback without a token (default: %(default)s)")
    add("--allow-host", action="append", default=[], metavar="NAME",
        help="accept this Host header without a token, repeatable (default: only loopback names and --host)")
    add("--allow-origin", action="append", default=[], type=origin_argument, metavar="ORIGIN",
        help="let pages of this web origin (scheme://host[:port]) call, e.g. a dashboard's; they still need the token "
        "if there is one; repeatable (default: only the daemon's own, for /view)")
    add("--max-body", type=int, metavar="BYTES", default=Settings.max_body, help="largest request body in bytes (default: %(default)s)")
    add("--max-queue", type=int, metavar="N", default=Settings.max_queue, help="requests waiting for the worker before 429 (default: %(default)s)")
    add("--batch-timeout", type=float, metavar="SECONDS", default=Settings.batch_timeout_s, help="seconds one request may run (default: %(default)s)")
    add("--hold-timeout", type=float, metavar="SECONDS", default=Settings.hold_timeout_s,
        help="seconds a key or button held across requests (key-down, mouse-down) stays down with no action (default: %(default)s)")
    add("--max-text", type=int, metavar="CHARS", default=Settings.max_text,
        help="most characters of a type_text or write_clipboard text (default: %(default)s)")
    add("--max-path", type=int, metavar="POINTS", default=Settings.max_path, help="most points of a drag_mouse path (default: %(default)s)")
    add("--public-url", metavar="BASE",
        help="the daemon's URL as a model or client elsewhere reaches it (https://host/prefix): the base of the URLs "
        "it hands out, such as Lightcone's screenshot_url (default: the URL each request came to)")
    add("--recordings-dir", metavar="PATH",
        help="where recordings (POST /recording/start) are written (default: a private directory under "
        "$XDG_STATE_HOME/xhands, removed at shutdown)")
    add("--max-recordings-mb", type=int, metavar="MB", default=Settings.max_recordings_mb,
        help="disk all recordings together may take; reaching it ends those running (default: %(default)s)")
    add("--keep-recordings", action="store_true", help="leave the recordings' files at shutdown (default: deleted)")
    add("--clipboard-timeout", type=float, metavar="SECONDS", default=3.0,
        help="seconds before a hung clipboard helper is killed (default: %(default)s)")
    add("--max-computers", type=int, metavar="N", default=Settings.max_computers,
        help="computers Lightcone's POST /computers may start, each on a private X server (--xserver) of its own; "
        "0 answers the daemon's own display instead (default: %(default)s)")
    add("--computer-command", metavar="CMD",
        help="shell command started on every computer POST /computers starts, with its DISPLAY, stopped with it (default: none)")
    add("--allow-exec", action="store_true",
        help="let token holders and local processes run shell commands on a computer (Lightcone's exec, debug): "
        "the daemon becomes a remote shell (default: off)")
    add("--max-exec", type=int, metavar="N", default=Settings.max_exec,
        help="commands exec runs at once, in the whole daemon (default: %(default)s)")
    add("--cdp", metavar="URL", type=devtools_url,
        help="the DevTools endpoint (http://127.0.0.1:PORT) of a Chromium on the daemon's display, started with "
        "--remote-debugging-port=PORT: Lightcone's navigate, html, tabs and page_context on it (default: none)")
    add("--browser", metavar="PATH",
        help='the Chromium that kind "browser" computers start (default: chromium on PATH)')
    add("--log-level", metavar="LEVEL", default="info", type=str.lower, choices=["debug", "info", "warning", "error", "critical"],
        help="least important log lines written: debug, info, warning, error or critical (default: %(default)s)")
    add("--log-format", choices=["text", "json"], default="text",
        help="text lines, or one JSON object per line (default: %(default)s)")


def devtools_url(text: str) -> str:
    """--cdp's URL: the DevTools HTTP endpoint, http://HOST:PORT (its WebSocket URLs come from there)."""
    parts = urllib.parse.urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path.strip("/"):
        raise argparse.ArgumentTypeError(f"{text!r} is not a DevTools endpoint: give http://127.0.0.1:PORT, the port "
                                         "of Chromium's --remote-debugging-port")
    return text.rstrip("/")


def origin_argument(text: str) -> str:
    try:
        return allowed_origin(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def port_number(text: str) -> int:
    """argparse type of a TCP port: refused at once, before an Xvfb is started for nothing."""
    if not text.isdigit() or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"expected a TCP port, 0 (any free one) to 65535, not {text!r}")
    return int(text)


def seconds(text: str) -> float:
    """argparse type of a time to wait: a number of seconds, 0 or more."""
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value < float("inf"):
        raise argparse.ArgumentTypeError(f"expected a number of seconds, 0 or more, not {text!r}")
    return value


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def exposed_without_token(args, inherited) -> list[str]:
    """The listening addresses beyond loopback, when there is no token to guard them."""
    if args.token:
        return []
    exposed = [systemd.describe(s) for s in inherited if s.family != socket.AF_UNIX and not is_loopback(s.getsockname()[0])]
    if not inherited and not args.unix_socket and not is_loopback(args.host):
        exposed.append(args.host)
    return exposed


class StartupError(RuntimeError):
    """Why the daemon cannot start, said in one line on stderr (exit status 2) instead of a traceback."""


def settings_from(args) -> Settings:
    return Settings(
        token=args.token,
        max_body=args.max_body,
        max_queue=args.max_queue,
        batch_timeout_s=args.batch_timeout,
        hold_timeout_s=args.hold_timeout,
        max_text=args.max_text,
        max_path=args.max_path,
        allowed_hosts=frozenset(name.lower() for name in [*args.allow_host, args.host]),
        check_host=not args.unix_socket,  # a Unix socket is out of a web page's reach
        allowed_origins=frozenset(args.allow_origin),
        public_url=args.public_url,
        recordings_dir=args.recordings_dir,
        max_recordings_mb=args.max_recordings_mb,
        keep_recordings=args.keep_recordings,
        clipboard_timeout_s=args.clipboard_timeout,
        max_computers=args.max_computers,
        xserver=args.xserver,
        computer_command=args.computer_command,
        allow_exec=args.allow_exec,
        max_exec=args.max_exec,
        cdp_url=args.cdp,
        browser=args.browser,
    )


@contextlib.contextmanager
def display_of(args):
    """The display to drive, and what to tell a person about it: the one given, or a private X server
    stopped on exit."""
    if args.display:
        yield args.display, f"driving display {args.display} (--display or $DISPLAY): its programs get the input"
        return
    xvfb = Xvfb(args.screen, server=args.xserver)
    display = xvfb.start()
    try:
        # A new private display is black: say how to put something on it.
        yield display, (f"driving a private {SERVERS[args.xserver][0]} on {display} ({args.screen}); "
                        f"start an application there with `DISPLAY={display} chromium &`")
    finally:
        xvfb.stop()


async def listen(site: web.BaseSite, flags: str) -> None:
    """Start a site; a bind failure names the address and the flags that choose it."""
    try:
        await site.start()
    except OSError as exc:
        # asyncio's message repeats the address at length; the errno's own words are enough.
        reason = os.strerror(exc.errno) if exc.errno and exc.errno > 0 else str(exc)
        raise StartupError(f"cannot listen on {site.name}: {reason} (change {flags})") from None


@contextlib.asynccontextmanager
async def api_listener(app: web.Application, args, inherited):
    """Serve the API where the service manager says (socket activation), on a Unix socket, or on host:port;
    yields where. Requests get 1 s to answer after SIGTERM: the running action is aborted, not awaited."""
    runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=1.0)
    await runner.setup()
    try:
        if inherited:
            for sock in inherited:
                await web.SockSite(runner, sock).start()  # bound already: nothing here can be in use
            yield ", ".join(systemd.describe(sock) for sock in inherited)
        elif args.unix_socket:
            await listen(web.UnixSite(runner, args.unix_socket), "--unix-socket")
            os.chmod(args.unix_socket, 0o600)
            yield args.unix_socket
        else:
            await listen(web.TCPSite(runner, args.host, args.port), "--port or --host")
            yield f"http://{args.host}:{args.port}"
    finally:
        await runner.cleanup()


@contextlib.asynccontextmanager
async def metrics_listener(app: web.Application, host: str, port: int):
    """/metrics and /health without a token, beside the API."""
    runner = web.AppRunner(create_metrics_app(app), access_log=None, handle_signals=False)
    await runner.setup()
    try:
        await listen(web.TCPSite(runner, host, port), "--metrics-port or --metrics-host")
        log.info("metrics and health without a token on http://%s:%s", host, port)
        yield
    finally:
        await runner.cleanup()


def stop_on_signals() -> asyncio.Event:
    """An event set by SIGTERM or SIGINT. Installed before anything starts: a signal that comes as soon as the
    daemon says it listens must still stop the private Xvfb, not kill the process around it."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    return stop


async def serve(args, inherited=()) -> None:
    memory.tune()
    if args.display:  # refused at once when absent, rather than listening while every action answers 503
        await wait_for_display(args.display, args.wait_for_display)
    stopped = stop_on_signals()
    async with contextlib.AsyncExitStack() as running:  # undone in reverse: metrics, the API, then the Xvfb
        display, driving = running.enter_context(display_of(args))
        app = create_app(Desktop(display, clipboard_timeout_s=args.clipboard_timeout), settings_from(args))
        where = await running.enter_async_context(api_listener(app, args, inherited))
        if args.metrics_port is not None:  # closed first: its handlers use the display the API's cleanup closes
            await running.enter_async_context(metrics_listener(app, args.metrics_host, args.metrics_port))
        log.info("xhands listening on %s, %s", where, driving)
        systemd.notify(f"READY=1\nSTATUS=listening on {where}, display {display}")
        await stopped.wait()
        log.info("shutting down")
        systemd.notify("STOPPING=1")


def run(args) -> int:
    """`xhands serve`: serve until SIGTERM or SIGINT; its exit status."""
    logs.setup(args.log_level, args.log_format)
    try:
        inherited = systemd.listen_fds()
    except systemd.ActivationError as exc:
        log.error("%s", exc)
        return 2
    if exposed := exposed_without_token(args, inherited):
        log.error("refusing to listen on %s without a token (--token or XHANDS_TOKEN)", ", ".join(exposed))
        return 2
    try:
        asyncio.run(serve(args, inherited))
    except (StartupError, XvfbError, NoDisplay) as exc:
        log.error("%s", exc)
        return 2
    return 0
