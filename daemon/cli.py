"""`xhands`, the console script: one parser over the client commands (client/commands.py) and `serve`
(ops/serve.py), which know nothing of each other.

The client commands start fast, without the server's imports: `serve` and its flags are loaded only when the
command line asks for something else (serve, --help, --version, a typo), so that help lists every command.
"""

import argparse
import os
import sys

from .client.commands import add_commands


class Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line, not the whole usage before it (its subparsers too)."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser(with_serve: bool = True) -> tuple[Parser, argparse._SubParsersAction]:
    """The parser and its commands; without serve, only the commands that start fast."""
    parser = Parser(prog="xhands", description="Hands and eyes on an X11 display over HTTP: `serve` runs the daemon, "
                    "the other commands talk to a running one or check this machine.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    if with_serve:
        from importlib.metadata import version

        from .ops.serve import add_serve_command

        parser.add_argument("--version", action="version", version=f"xhands {version('xhands')}")
        add_serve_command(commands)
    add_commands(commands)  # the client, `check` and the other tools beside `serve`
    return parser, commands


CONNECTION_OPTIONS = ("--url", "--token")


def connection_after_command(argv: list[str]) -> list[str]:
    """`xhands --url U click 1 2` read as `xhands click --url U 1 2`: --url and --token belong to the commands
    that connect, but a person may well give them first."""
    moved, rest = [], list(argv)
    while rest and rest[0].split("=", 1)[0] in CONNECTION_OPTIONS:
        option = rest.pop(0)
        moved.append(option)
        if "=" not in option and rest:
            moved.append(rest.pop(0))
    if not moved or not rest:
        return list(argv)
    return [rest[0], *moved, *rest[1:]]


def main(argv=None) -> int:
    """Run one command; its exit status."""
    argv = connection_after_command(sys.argv[1:] if argv is None else list(argv))
    try:
        status = run(argv)
        sys.stdout.flush()  # here, not at exit: a reader gone away is a BrokenPipeError below, not a traceback then
        return status
    except BrokenPipeError:  # `xhands batch - | head -c150`: the reader has all it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # nothing left to flush at exit
        return 1


def run(argv: list[str]) -> int:
    parser, commands = build_parser(with_serve=False)
    command = next((arg for arg in argv if not arg.startswith("-")), None)
    if command not in commands.choices:
        parser, _ = build_parser()
    args = parser.parse_args(argv)
    return args.run(args)
