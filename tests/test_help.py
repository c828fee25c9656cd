"""`xhands --help` lists every command, and `xhands serve --help` explains every option and its default."""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def xhands(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "daemon", *args], cwd=ROOT, capture_output=True, text=True, timeout=30)


def entries(help_text: str, indent: int) -> dict[str, str]:
    """Help lines -> {first word: the rest, wrapped lines joined} for the entries at this indentation."""
    found, name = {}, None
    for line in help_text.splitlines():
        width = len(line) - len(line.lstrip())
        if width == indent and line.strip():
            name, _, rest = line.strip().partition(" ")
            found[name] = rest.strip()
        elif name and width > indent and line.strip():
            found[name] = f"{found[name]} {line.strip()}".strip()
        else:
            name = None
    return found


def test_every_command_is_listed_with_what_it_does():
    refused = xhands("no-such-command")
    assert refused.returncode == 2
    commands = re.findall(r"'([\w-]+)'", refused.stderr.split("choose from", 1)[1])
    assert {"serve", "click", "type", "screenshot", "batch", "health", "check"} <= set(commands)
    listed = entries(xhands("--help").stdout, indent=4)
    for command in commands:
        assert listed.get(command), f"`xhands --help` does not say what {command} does"
    assert not xhands("--help").stdout.split("\n\n")[1].startswith("`xhands serve`"), "the description is the program's"


def test_serve_help_explains_every_option_and_its_default():
    result = xhands("serve", "--help")
    assert result.returncode == 0
    options = entries(result.stdout.split("\noptions:\n", 1)[1], indent=2)
    assert {"--host", "--port", "--screen", "--token", "--log-format"} <= set(options)
    for option, text in options.items():
        if option != "-h,":
            assert re.search(r"\w.*\(default: [^)]+\)$", text), f"{option}: {text!r} lacks a help text or its default"
    assert "(default: 10001)" in options["--port"] and "(default: 1920x1080x24)" in options["--screen"]


def test_serve_help_never_prints_the_token():
    result = subprocess.run([sys.executable, "-m", "daemon", "serve", "--help"], cwd=ROOT, capture_output=True,
                            text=True, timeout=30, env={"XHANDS_TOKEN": "do-not-print-me", "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0 and "do-not-print-me" not in result.stdout
