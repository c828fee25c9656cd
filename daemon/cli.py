"""`xhands serve`: attach to a display (or start a private Xvfb) and serve the API."""

import argparse
import asyncio
import ipaddress
import logging
import os
import signal
import socket
from importlib.metadata import version

from aiohttp import web

from input import Desktop

from . import logs, memory, systemd
from .protocol import AppRunner
from .commands import add_commands
from .app import Settings, create_app
from .xvfb import Xvfb

log = logging.getLogger("xhands")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="xhands", description=__doc__)
    parser.add_argument("--version", action="version", version=f"xhands {version('xhands')}")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the daemon")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=10001)
    serve.add_argument("--unix-socket", metavar="PATH")
    serve.add_argument("--display", default=os.environ.get("DISPLAY") or None, help="attach to this display (default $DISPLAY; none: start a private Xvfb)")
    serve.add_argument("--screen", default="1920x1080x24", help="size of a private Xvfb, WxHxD")
    serve.add_argument("--token", default=os.environ.get("XHANDS_TOKEN") or None, help="bearer token [XHANDS_TOKEN]")
    serve.add_argument("--max-body", type=int, default=Settings.max_body, help="largest request body in bytes")
    serve.add_argument("--max-queue", type=int, default=Settings.max_queue, help="requests waiting before 429")
    serve.add_argument("--batch-timeout", type=float, default=Settings.batch_timeout_s, help="seconds a request may run")
    serve.add_argument("--clipboard-timeout", type=float, default=3.0, help="seconds before a hung clipboard helper is killed")
    serve.add_argument("--max-text", type=int, default=Settings.max_text, help="longest type_text / clipboard text")
    serve.add_argument("--max-path", type=int, default=Settings.max_path, help="most drag_mouse path points")
    serve.add_argument("--allow-host", action="append", default=[], metavar="NAME", help="accept this Host header without a token (repeatable)")
    serve.add_argument("--log-level", default="info")
    serve.add_argument("--log-format", choices=["text", "json"], default="text")
    add_commands(commands)  # the client, `check` and the other tools beside `serve`
    return parser


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def setup_logging(level: str, fmt: str) -> None:
    logs.setup(level, fmt)


async def serve(args, inherited=()) -> None:
    memory.tune()
    xvfb = None
    display = args.display
    if not display:
        xvfb = Xvfb(args.screen)
        display = xvfb.start()
        log.info("started a private Xvfb on %s (%s)", display, args.screen)
    desktop = Desktop(display, clipboard_timeout_s=args.clipboard_timeout)
    app = create_app(
        desktop,
        Settings(
            token=args.token,
            max_body=args.max_body,
            max_queue=args.max_queue,
            batch_timeout_s=args.batch_timeout,
            max_text=args.max_text,
            max_path=args.max_path,
            allowed_hosts=frozenset(name.lower() for name in [*args.allow_host, args.host]),
            check_host=not args.unix_socket,  # a Unix socket is out of a web page's reach
        ),
    )
    # Requests get 1 s to answer after SIGTERM: the running action is aborted, not awaited.
    runner = AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=1.0)
    try:
        await runner.setup()
        if inherited:  # socket activation: listen where the service manager says, not on our own
            sites = [web.SockSite(runner, sock) for sock in inherited]
        elif args.unix_socket:
            sites = [web.UnixSite(runner, args.unix_socket)]
        else:
            sites = [web.TCPSite(runner, args.host, args.port)]
        for site in sites:
            await site.start()
        if args.unix_socket and not inherited:
            os.chmod(args.unix_socket, 0o600)
        where = ", ".join(systemd.describe(s) for s in inherited) or args.unix_socket or f"http://{args.host}:{args.port}"
        log.info("xhands listening on %s, display %s", where, display)
        systemd.notify(f"READY=1\nSTATUS=listening on {where}, display {display}")
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        log.info("shutting down")
        systemd.notify("STOPPING=1")
    finally:
        await runner.cleanup()
        if xvfb:
            xvfb.stop()


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    setup_logging(getattr(args, "log_level", "warning"), getattr(args, "log_format", "text"))
    if args.command == "serve":
        try:
            inherited = systemd.listen_fds()
        except systemd.ActivationError as exc:
            log.error("%s", exc)
            return 2
        exposed = [systemd.describe(s) for s in inherited if s.family != socket.AF_UNIX and not is_loopback(s.getsockname()[0])]
        if not inherited and not args.unix_socket and not is_loopback(args.host):
            exposed.append(args.host)
        if exposed and not args.token:
            log.error("refusing to listen on %s without a token (--token or XHANDS_TOKEN)", ", ".join(exposed))
            return 2
        asyncio.run(serve(args, inherited))
        return 0
    return args.run(args)
