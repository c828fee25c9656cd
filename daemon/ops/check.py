"""`xhands check`: can this machine's display be driven? Each part tried for real, told in plain words.

It first imports every module of xhands (a broken installation fails there,
not at the first action), then opens the display, moves the pointer with
XTest (and puts it back), asks XFixes for cursor control, round-trips a text
through the clipboard tool (restoring what was there) and grabs and encodes
the screen. With no display given it does what `xhands serve` would: start a
private Xvfb, and check that.
"""

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import xhands

from . import installed
from .xvfb import Xvfb, XvfbError


@dataclass(frozen=True)
class Finding:
    name: str
    ok: bool
    text: str


def check_installation() -> Finding:
    names = installed.modules()
    failures = installed.import_failures(names)
    where = Path(xhands.__file__).parent
    if failures:
        first, why = next(iter(failures.items()))
        more = f" (and {len(failures) - 1} more)" if len(failures) > 1 else ""
        return Finding("install", False, f"{first} cannot be imported{more}: {why}. This installation of xhands "
                       f"({where}) is broken or lacks a dependency: reinstall it (pip install --force-reinstall)")
    return Finding("install", True, f"xhands {version('xhands')} in {where}: all {len(names)} modules import")


def check(display_name: str | None, screen: str = "1920x1080x24") -> Iterator[Finding]:
    """Findings in order; stops after the installation when it is broken (the other checks import what it
    lacks), and after the display when it cannot be opened."""
    yield (installation := check_installation())
    if not installation.ok:
        return
    from .check_display import check_display  # the X side: importable now that the installation is whole

    xvfb = None
    if not display_name:
        binary = shutil.which("Xvfb")
        if not binary:
            yield Finding("display", False, "no display given (DISPLAY is unset, no --display) and Xvfb is not installed, "
                          "so `xhands serve` could not start its own; install the Debian package xvfb or give --display :N")
            return
        try:
            xvfb = Xvfb(screen)
            display_name = xvfb.start()
        except XvfbError as exc:
            yield Finding("display", False, f"no display given, and the private Xvfb would not start: {exc}")
            return
        yield Finding("Xvfb", True, f"no display given, so like `xhands serve` started a private Xvfb ({binary}) on {display_name} "
                      "for these checks; it is stopped again")
    try:
        yield from check_display(display_name)
    finally:
        if xvfb:
            xvfb.stop()


def report(display_name: str | None, screen: str, out) -> int:
    """Print the findings; 0 when all passed."""
    findings = []
    for finding in check(display_name, screen):
        findings.append(finding)
        print(f"{'ok  ' if finding.ok else 'FAIL'}  {finding.name:<9}  {finding.text}", file=out, flush=True)
    failed = [f.name for f in findings if not f.ok]
    if failed:
        print(f"{len(failed)} of {len(findings)} checks failed ({', '.join(failed)}).", file=out)
        return 1
    print(f"All {len(findings)} checks passed: `xhands serve` can drive this display.", file=out)
    return 0
