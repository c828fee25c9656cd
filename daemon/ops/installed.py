"""Whether this installation of xhands is whole: every module of the package imports, and so finds what it
needs (numpy, mss, the MCP SDK, ...). A module that cannot be imported would otherwise surface only as a 500
the first time an action needs it, with the ImportError in the log."""

import importlib
import pkgutil
import sys

# The import package and its three parts; in an editable install the parts live outside xhands/ (package-dir),
# so each is walked from its own path.
PACKAGES = ("xhands", "xhands.daemon", "xhands.input", "xhands.bezier")
# Not imported here: the CLI's entry (importing it runs the CLI) and the pytest plugin (pytest loads it, with
# pytest, which serving does not need).
SKIPPED = frozenset({"xhands.__main__", "xhands.daemon.client.pytest_plugin"})


def modules() -> list[str]:
    """Every module of xhands; a part that cannot be imported is listed itself, without what is in it."""
    names = set(PACKAGES)
    for package in PACKAGES:
        try:
            path = importlib.import_module(package).__path__
        except Exception:
            continue  # import_failures says why
        names.update(module.name for module in pkgutil.walk_packages(path, f"{package}.", onerror=lambda name: None))
    return sorted(names - SKIPPED)


def import_failures(names: list[str]) -> dict[str, str]:
    """Each module that cannot be imported, with why."""
    failures = {}
    for name in names:
        if name in sys.modules:
            continue
        try:
            importlib.import_module(name)
        except Exception as exc:  # ImportError mostly, but a module may fail in any way while it is run
            failures[name] = f"{type(exc).__name__}: {exc}"
    return failures
