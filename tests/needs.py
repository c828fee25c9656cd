"""What a test needs of the machine. Here a missing tool skips the test and says how to get it; in CI
(XHANDS_REQUIRE_ALL=1, set by .ci/run, whose `make test` installs everything) it fails the test instead,
so nothing the suite should check is quietly left out."""

import os
import shutil

import pytest


def missing(reason: str) -> None:
    if os.environ.get("XHANDS_REQUIRE_ALL"):
        pytest.fail(reason + "; XHANDS_REQUIRE_ALL is set, so this is an error")
    pytest.skip(reason)


def program(name: str, package: str) -> str:
    """The program's path, or the test skips (fails in CI)."""
    path = shutil.which(name)
    if path is None:
        missing(f"{name} is not installed (Debian package {package}; `make test` installs it)")
    return path
