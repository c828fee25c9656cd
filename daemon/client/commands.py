"""The `xhands` subcommands beside `serve`: a client for people at a shell, `health` and `check`.

    xhands click 100 200            xhands type "text"         xhands key Ctrl+t
    xhands screenshot out.png       xhands batch file.json     xhands position
    xhands move 10 10               xhands scroll 500 400 --dy 3
    xhands clipboard [TEXT]         xhands cursor hide|show    xhands health
    xhands check [--display :N]     xhands mcp (MCP on stdio)

The client commands talk to a running daemon at --url (XHANDS_URL, default
http://127.0.0.1:10001, or unix:/path) with --token (XHANDS_TOKEN); both may
also come before the command. They print nothing on success unless they read
something. A mistake is one line on stderr, never a traceback: the daemon's
error or no daemon, exit 1; a bad argument or input file, exit 2.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import sys
from typing import TYPE_CHECKING

from xhands.daemon.ops.xvfb import screen_geometry

from .api import ApiError, Image, Region, Size, Unreachable, check_url

if TYPE_CHECKING:
    from .transport import Client


class CommandError(Exception):
    """A mistake in a command's input (a file that cannot be read, actions that are not JSON): one line, exit 2."""


def add_commands(commands) -> None:
    """Add the subcommands to `xhands`'s subparsers; each sets `run(args) -> exit status`."""
    connection = argparse.ArgumentParser(add_help=False)
    # argparse checks a string default with `type` too, so a bad XHANDS_URL is a one-line usage error as well
    connection.add_argument("--url", type=_url, default=os.environ.get("XHANDS_URL") or "http://127.0.0.1:10001",
                            help="the daemon: http://HOST:PORT or unix:/path [XHANDS_URL]")
    connection.add_argument("--token", default=os.environ.get("XHANDS_TOKEN") or None, help="bearer token [XHANDS_TOKEN]")

    def client_command(name, run, help_):
        parser = commands.add_parser(name, parents=[connection], help=help_, description=help_)
        parser.set_defaults(run=lambda args: _call(args, run))
        return parser

    def hold(parser):
        parser.add_argument("--hold", action="append", metavar="KEY", help="hold this key around the action (repeatable)")

    p = client_command("click", _click, "click the mouse at X Y")
    p.add_argument("x", type=int)
    p.add_argument("y", type=int)
    p.add_argument("--button", choices=["left", "right", "middle", "back", "forward"])
    p.add_argument("--count", type=int, metavar="N", help="number of clicks (2: a double click)")
    p.add_argument("--down", dest="click_type", action="store_const", const="down", help="only press the button")
    p.add_argument("--up", dest="click_type", action="store_const", const="up", help="only release the button")
    p.add_argument("--smooth", action="store_true", default=None, help="glide there along a human-like path first")
    hold(p)

    p = client_command("move", _move, "move the mouse to X Y (smoothly, unless --instant)")
    p.add_argument("x", type=int)
    p.add_argument("y", type=int)
    p.add_argument("--duration", type=int, metavar="MS", help="how long the move takes")
    p.add_argument("--instant", dest="smooth", action="store_false", default=None, help="jump straight there")
    hold(p)

    p = client_command("type", _type, "type TEXT (- reads it from stdin); \\n is Return, \\t is Tab")
    p.add_argument("text")
    p.add_argument("--delay", type=int, metavar="MS", help="pause between keystrokes")
    p.add_argument("--smooth", action="store_true", default=None, help="type like a person")

    p = client_command("key", _key, "press KEY or combos like Ctrl+t, one after another")
    p.add_argument("keys", nargs="+", metavar="KEY")
    p.add_argument("--duration", type=int, metavar="MS", help="how long each is held")
    hold(p)

    p = client_command("scroll", _scroll, "scroll the wheel at X Y by notches (positive: down / right)")
    p.add_argument("x", type=int)
    p.add_argument("y", type=int)
    p.add_argument("--dy", type=int, default=None, help="vertical notches")
    p.add_argument("--dx", type=int, default=None, help="horizontal notches")
    hold(p)

    p = client_command("drag", _drag, "drag along X1 Y1 X2 Y2 [X3 Y3 ...] with a button held")
    p.add_argument("coords", nargs="+", type=int, metavar="N")
    p.add_argument("--button", choices=["left", "right", "middle"])
    p.add_argument("--instant", dest="smooth", action="store_false", default=None, help="straight steps, no human-like path")
    hold(p)

    p = client_command("screenshot", _screenshot,
                       "save a picture of the screen to FILE (- for stdout), in the format its extension names "
                       "(.png, .jpg, .webp) unless --format says; PNG without one")
    p.add_argument("file")
    p.add_argument("--region", type=_region, metavar="X,Y,W,H", help="only this rectangle")
    p.add_argument("--format", choices=["png", "jpeg", "webp"], help="image format (default: FILE's extension, else png)")
    p.add_argument("--quality", type=int, metavar="1-100", help="jpeg/webp quality")
    p.add_argument("--scale", type=_size, metavar="WxH", help="scale down to fit W x H, aspect kept (W or H may be left out: 1280x, x720)")
    p.add_argument("--cursor", dest="include_cursor", action="store_true", default=None, help="draw the pointer into the picture")

    client_command("position", _position, "print the mouse position as X Y")

    p = client_command("clipboard", _clipboard, "print the clipboard text, or set it to TEXT")
    p.add_argument("text", nargs="?")

    p = client_command("cursor", _cursor, "hide or show the mouse cursor")
    p.add_argument("state", choices=["hide", "show"])

    p = client_command("batch", _batch, "run the actions in FILE (- for stdin) and print the results as JSON")
    p.add_argument("file")
    p.add_argument("--screenshot", metavar="FILE", help="write a screenshot result to this file instead of printing it")

    client_command("health", _health, "print the daemon's /health; exit 0 only when it is healthy")

    p = commands.add_parser("mcp", parents=[connection], help="speak MCP on stdin/stdout: the computer_action tool",
                            description="Serve the computer_action MCP tool on stdin/stdout for desktop agents, relayed "
                            "to the daemon at --url; when nothing answers there, start a daemon on a private Xvfb "
                            "and stop both on exit.")
    p.add_argument("--screen", type=screen_geometry, metavar="WxHxD", default="1920x1080x24",
                   help="size of the private Xvfb, when one is started (default: %(default)s)")
    p.set_defaults(run=_mcp)

    p = commands.add_parser("check", help="tell whether this machine's display can be driven",
                            description="Check the display, XTest, XFixes, the clipboard tool and screen capture, "
                            "in plain words. Without --display and DISPLAY, checks a private Xvfb as `xhands serve` would.")
    p.add_argument("--display", metavar=":N", default=os.environ.get("DISPLAY") or None,
                   help="the display to check (default: $DISPLAY; without either, a private Xvfb)")
    p.add_argument("--screen", type=screen_geometry, metavar="WxHxD", default="1920x1080x24",
                   help="size of the private Xvfb (default: %(default)s)")
    p.set_defaults(run=_check)


def _url(text: str) -> str:
    try:
        return check_url(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{exc} (from --url or XHANDS_URL)") from None


def _region(text: str) -> Region:
    try:
        x, y, width, height = (int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError("expected X,Y,WIDTH,HEIGHT") from None
    return Region(x, y, width, height)


def _size(text: str) -> Size:
    """'1280x720', '1280x' or 'x720'."""
    try:
        width, height = (int(part) if part else None for part in text.split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError("expected WIDTHxHEIGHT, either side may be left out (1280x, x720)") from None
    return Size(width, height)


def _call(args, run) -> int:
    try:
        from .transport import Client  # httpx only for the commands that talk to a daemon, not for serve

        with Client(args.url, token=args.token) as client:
            return run(client, args) or 0
    except ApiError as exc:
        where = f" ({exc.target})" if exc.target else ""
        print(f"xhands: {exc.code}: {exc.message}{where}", file=sys.stderr)
        return 1
    except Unreachable as exc:
        print(f"xhands: {exc} (is `xhands serve` running there?)", file=sys.stderr)
        return 1
    except CommandError as exc:
        print(f"xhands {args.command}: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        raise  # main's to handle: nothing more can be said to a reader that has gone
    except OSError as exc:  # a file to write the answer to
        print(f"xhands {args.command}: {exc.filename}: {exc.strerror}", file=sys.stderr)
        return 1


def _click(client: Client, args):
    client.click_mouse(args.x, args.y, button=args.button, num_clicks=args.count, click_type=args.click_type,
                       hold_keys=args.hold, smooth=args.smooth)


def _move(client: Client, args):
    client.move_mouse(args.x, args.y, smooth=args.smooth, duration_ms=args.duration, hold_keys=args.hold)


def _type(client: Client, args):
    text = sys.stdin.read() if args.text == "-" else args.text
    client.type_text(text, delay=args.delay, smooth=args.smooth)


def _key(client: Client, args):
    client.press_key(*args.keys, duration=args.duration, hold_keys=args.hold)


def _scroll(client: Client, args):
    client.scroll(args.x, args.y, delta_x=args.dx, delta_y=args.dy, hold_keys=args.hold)


def _drag(client: Client, args):
    if len(args.coords) < 4 or len(args.coords) % 2:
        print("xhands: drag needs pairs of coordinates, at least two points", file=sys.stderr)
        return 2
    path = list(zip(args.coords[::2], args.coords[1::2], strict=True))
    client.drag_mouse(path, button=args.button, smooth=args.smooth, hold_keys=args.hold)


FORMATS_BY_EXTENSION = {".png": "png", ".jpg": "jpeg", ".jpeg": "jpeg", ".webp": "webp"}


def image_format(file: str, given: str | None) -> str | None:
    """The format to ask for: --format, else the file's extension (none, or stdout: the daemon's PNG)."""
    if given or file == "-":
        return given
    extension = os.path.splitext(file)[1].lower()
    if not extension:
        return None
    if extension not in FORMATS_BY_EXTENSION:
        raise CommandError(f"cannot tell an image format from {extension!r}: name the file .png, .jpg or .webp, "
                           "or give --format")
    return FORMATS_BY_EXTENSION[extension]


def _screenshot(client: Client, args):
    image = client.screenshot(args.region, format=image_format(args.file, args.format), quality=args.quality,
                              scale_to=args.scale, include_cursor=args.include_cursor)
    _write(args.file, image)


def _write(file: str, data: bytes) -> None:
    if file == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        with open(file, "wb") as out:
            out.write(data)


def _position(client: Client, args):
    position = client.get_mouse_position()
    print(position.x, position.y)


def _clipboard(client: Client, args):
    if args.text is None:
        sys.stdout.write(client.read_clipboard())
    else:
        client.write_clipboard(args.text)


def _cursor(client: Client, args):
    client.set_cursor(args.state == "hide")


def read_actions(file: str) -> list:
    """The actions in FILE (- for stdin): {"actions": [...]} as /computer/batch takes it, or the bare list."""
    name = "standard input" if file == "-" else file
    try:
        if file == "-":
            document = json.load(sys.stdin)
        else:
            with open(file, encoding="utf-8") as source:
                document = json.load(source)
    except OSError as exc:
        raise CommandError(f"cannot read {name}: {exc.strerror}") from None
    except ValueError as exc:  # not JSON, or not UTF-8
        raise CommandError(f"{name} is not JSON: {exc}") from None
    actions = document.get("actions") if isinstance(document, dict) else document
    if not isinstance(actions, list):
        raise CommandError(f'{name} holds no actions: expected {{"actions": [...]}} or a list of actions')
    return actions


def _batch(client: Client, args):
    results = []
    for result in client.batch(read_actions(args.file)):
        if isinstance(result, Image):
            if args.screenshot:
                _write(args.screenshot, result)
                results.append({"mime_type": result.mime_type, "file": args.screenshot})
            else:
                results.append({"mime_type": result.mime_type, "data": base64.b64encode(result).decode()})
        elif result is None:
            results.append({})
        elif isinstance(result, str):
            results.append({"text": result})
        else:
            results.append({"x": result.x, "y": result.y})
    print(json.dumps({"results": results}, ensure_ascii=False))


def _health(client: Client, args):
    health = client.health()
    screen = f", screen {health.screen[0]}x{health.screen[1]}" if health.screen else ""
    print(f"{health.status}: display {health.display}{screen}")
    return 0 if health.ok else 1


def _mcp(args) -> int:
    from xhands.daemon.client.mcp_stdio import main  # the MCP SDK is loaded only for this command

    return main(args.url, args.token, args.screen)


def _check(args) -> int:
    from xhands.daemon.ops.check import report  # imports the X side only for this command

    return report(args.display, args.screen, sys.stdout)


