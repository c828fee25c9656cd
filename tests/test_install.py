"""Installing xhands as a user would: built from a checkout, into a fresh virtual environment that already holds
PyPI's `bezier` and `python-daemon`, whose top-level packages share names with xhands' parts.

The wheel is built from a copy of this checkout by pip, with setuptools in an isolated build environment,
exactly as `pip install .` builds it. The venv has no system site-packages; to keep the test fast and
independent of the package index for xhands' own dependencies, a path file appends this test run's
site-packages after the venv's own, so numpy, aiohttp and pytest are found there while anything installed in
the venv (bezier, python-daemon, xhands) comes first. The path is appended as a plain directory, so the
editable install of this checkout it holds stays inactive: `xhands` is only what the wheel installed.
"""

import asyncio
import os
import shutil
import subprocess
import sys
import sysconfig
import time
import zipfile
from pathlib import Path

import httpx
import pytest
from mcp import Client as McpClient
from mcp.client.stdio import StdioServerParameters

from tests.ports import free_port

ROOT = Path(__file__).resolve().parent.parent
OTHERS = ["bezier", "python-daemon"]  # their top-level packages are `bezier` and `daemon`
# Programs and modules a user's own project might well have, which xhands must never import in their place.
USERS_OWN = ("input.py", "daemon.py", "bezier.py")
NOT_SOURCE = shutil.ignore_patterns(".git", ".venv", "node_modules", "__pycache__", "*.egg-info", "build", "dist",
                                    ".pytest_cache", ".hypothesis")

pytestmark = pytest.mark.timeout(600)


def run(*command, cwd=None, env=None, timeout=300) -> subprocess.CompletedProcess:
    result = subprocess.run([str(part) for part in command], cwd=cwd, env=env, capture_output=True, text=True,
                            timeout=timeout)
    assert result.returncode == 0, f"{command}:\n{result.stdout}\n{result.stderr}"
    return result


def files_under(directory: Path) -> set[str]:
    return {str(path.relative_to(directory)) for path in directory.rglob("*")}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """(the checkout's copy, its files before the build, the wheel)."""
    checkout = tmp_path_factory.mktemp("clone") / "xhands"
    shutil.copytree(ROOT, checkout, ignore=NOT_SOURCE)
    before = files_under(checkout)
    wheels = tmp_path_factory.mktemp("wheels")
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", wheels, checkout)
    [wheel] = wheels.glob("xhands-*.whl")
    return checkout, before, wheel


@pytest.fixture(scope="module")
def venv(tmp_path_factory, built):
    """A fresh venv holding bezier and python-daemon, then xhands installed after them."""
    home = tmp_path_factory.mktemp("venv")
    run(sys.executable, "-m", "venv", home)
    python = home / "bin" / "python"
    inner = run(python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))").stdout.strip()
    Path(inner, "xhands-test-dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    pip = [python, "-m", "pip", "--quiet", "--disable-pip-version-check"]
    run(*pip, "install", *OTHERS)
    run(*pip, "install", "--no-deps", built[2])
    return home


def the_others_work(venv: Path) -> None:
    """bezier's curves and python-daemon's DaemonContext, used, not only imported."""
    run(venv / "bin" / "python", "-c", "import bezier, daemon, numpy\n"
        "curve = bezier.Curve(numpy.asfortranarray([[0.0, 0.5, 1.0], [0.0, 1.0, 0.0]]), degree=2)\n"
        "assert curve.evaluate(0.5).ravel().tolist() == [0.5, 0.5]\n"
        "context = daemon.DaemonContext(detach_process=False)\n"
        "assert not context.is_open\n", cwd="/")


@pytest.fixture(scope="module")
def users_project(tmp_path_factory):
    """A directory with its own input.py, daemon.py and bezier.py, which fail loudly if anything imports them."""
    project = tmp_path_factory.mktemp("project")
    for name in USERS_OWN:
        (project / name).write_text(f'raise ImportError("the user\'s own {name} was imported")\n')
    return project


def user_env(**extra) -> dict:
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "DISPLAY", "XHANDS_TOKEN")}
    return {**env, **extra}


@pytest.fixture(scope="module")
def served(venv, users_project):
    """`xhands serve` of the installed wheel, started in the user's project, on a private Xvfb."""
    url = f"http://127.0.0.1:{free_port()}"
    process = subprocess.Popen([venv / "bin" / "xhands", "serve", "--port", url.rsplit(":", 1)[1]], cwd=users_project,
                               env=user_env(), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and process.poll() is None:
            try:
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        assert process.poll() is None, process.stderr.read()
        yield url
    finally:
        process.terminate()
        process.wait(15)


def test_building_leaves_the_checkout_as_it_was(built):
    checkout, before, _ = built
    assert files_under(checkout) == before, "no build/, no xhands.egg-info/"


def test_the_wheel_installs_only_the_xhands_package(built):
    with zipfile.ZipFile(built[2]) as wheel:
        tops = {name.split("/", 1)[0] for name in wheel.namelist()}
    assert tops == {"xhands", f"{built[2].name.split('-')[0]}-{built[2].name.split('-')[1]}.dist-info"}
    with zipfile.ZipFile(built[2]) as wheel:
        assert {"xhands/daemon/__init__.py", "xhands/input/__init__.py", "xhands/bezier/__init__.py",
                "xhands/daemon/streams/view.html", "xhands/daemon/streams/page.css",
                "xhands/daemon/streams/token_form.html", "xhands/daemon/recording/replay.html"} <= set(wheel.namelist())


def test_installing_after_bezier_and_python_daemon_leaves_both_working(venv):
    the_others_work(venv)


def test_serve_drives_smooth_moves_and_drags_from_a_users_project(venv, users_project, served):
    xhands = [venv / "bin" / "xhands", "--url", served]
    run(*xhands, "move", "300", "200", "--duration", "200", cwd=users_project, env=user_env())  # along a Bezier path
    run(*xhands, "drag", "300", "200", "420", "260", cwd=users_project, env=user_env())
    assert run(*xhands, "position", cwd=users_project, env=user_env()).stdout.split() == ["420", "260"]


def test_mcp_relays_from_a_users_project(venv, users_project, served):
    server = StdioServerParameters(command=str(venv / "bin" / "xhands"), args=["mcp", "--url", served],
                                   cwd=str(users_project), env=user_env())

    async def call():
        async with McpClient(server) as mcp:
            return await mcp.call_tool("computer_action", {"session_id": "s", "actions": [
                {"type": "move_mouse", "move_mouse": {"x": 40, "y": 50, "duration_ms": 100}},
                {"type": "get_mouse_position"}]})

    result = asyncio.run(call())
    assert not result.is_error and result.structured_content == {"x": 40, "y": 50}, result


def test_the_pytest_plugin_works_in_a_users_project(venv, users_project):
    (users_project / "test_mine.py").write_text(
        "def test_pointer(xhands):\n"
        "    xhands.move_mouse(12, 34, duration_ms=100)\n"
        "    assert (xhands.get_mouse_position().x, xhands.get_mouse_position().y) == (12, 34)\n")
    result = subprocess.run([venv / "bin" / "python", "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xvfb",
                             "test_mine.py"], cwd=users_project, env=user_env(), capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0 and "1 passed" in result.stdout, result.stdout + result.stderr


def test_uninstalling_leaves_the_others_and_the_other_order_works(venv, built, users_project):
    """Last: it changes the venv. Uninstalling xhands removes none of their files; installed after xhands, they
    take none of its."""
    pip = [venv / "bin" / "python", "-m", "pip", "--quiet", "--disable-pip-version-check"]
    run(*pip, "uninstall", "--yes", "xhands")
    the_others_work(venv)
    run(*pip, "install", "--no-deps", built[2])
    run(*pip, "install", "--no-deps", "--force-reinstall", *OTHERS)
    the_others_work(venv)
    check = run(venv / "bin" / "xhands", "check", "--display", os.environ["DISPLAY"], cwd=users_project,
                env=user_env())
    assert check.stdout.startswith("ok    install"), check.stdout
    plan = ("from xhands.bezier import plan_move\n"
            "print(*plan_move((0, 0), (300, 200), 200, seed=1).points[-1])")
    assert run(venv / "bin" / "python", "-c", plan, cwd=users_project, env=user_env()).stdout.split() == ["300", "200"]
