"""The typed client (blocking and asyncio), the shell commands built on it, and the pytest plugin."""

import asyncio
import io
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from PIL import Image

from xhands.daemon.client import Action, ApiError, AsyncClient, Client, Health, Position, Region, Size, Unreachable
from xhands.daemon.cli import connection_after_command
from xhands.daemon.client.commands import CommandError, image_format
from xhands.daemon.client.testing import LocalServer

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def server():
    with LocalServer("1024x768x24", token="client-token") as local:
        yield local


def png_size(data: bytes) -> tuple[int, int]:
    return Image.open(io.BytesIO(data)).size


def test_every_call_of_the_blocking_client(server):
    with server.client() as xh:
        assert xh.health() == Health(True, "ok", server.display, (1024, 768))
        assert xh.move_mouse(100, 120, smooth=False) is None
        assert xh.get_mouse_position() == Position(100, 120)
        xh.move_mouse(200, 220, duration_ms=60)
        assert xh.get_mouse_position() == Position(200, 220)
        xh.click_mouse(50, 60, button="right", num_clicks=2)
        assert xh.get_mouse_position() == Position(50, 60)
        xh.click_mouse(51, 61, click_type="down")
        xh.click_mouse(51, 61, click_type="up", hold_keys=["shift"])
        xh.drag_mouse([(10, 10), (40, 40)], smooth=False, steps_per_segment=2, step_delay_ms=1)
        assert xh.get_mouse_position() == Position(40, 40)
        xh.scroll(300, 300, delta_y=2, delta_x=-1)
        xh.type_text("hé\n", delay=0)
        xh.press_key("Ctrl+a", "Escape", duration=5)
        xh.set_cursor(True)
        xh.set_cursor(False)
        xh.write_clipboard("from the client ✓")
        assert xh.read_clipboard() == "from the client ✓"
        assert png_size(xh.screenshot()) == (1024, 768)
        assert png_size(xh.screenshot(Region(10, 20, 30, 40))) == (30, 40)
        results = xh.batch([Action.move_mouse(7, 8, smooth=False), Action.write_clipboard("b"), Action.sleep(1),
                            Action.set_cursor(False), Action.read_clipboard()])
        assert results == [None, None, None, None, "b"]
        [image] = xh.batch([Action.screenshot(Region(0, 0, 8, 8))])
        assert png_size(image) == (8, 8)
        assert xh.batch([Action.get_mouse_position()]) == [Position(7, 8)]
        assert "xhands_requests_total" in xh.metrics()


def test_errors_carry_the_daemons_code_target_and_request_id(server):
    with server.client() as xh:
        with pytest.raises(ApiError) as bad:
            xh.batch([Action.click_mouse(1, 1), Action.click_mouse(10**6, 1)])
        assert bad.value.status == 400 and bad.value.code == "bad_request"
        assert bad.value.target == "actions[1].click_mouse.x"
        assert bad.value.request_id
        with pytest.raises(ApiError) as unknown:
            xh.press_key("NoSuchKey")
        assert unknown.value.status == 400
    with Client(server.url) as anonymous, pytest.raises(ApiError) as unauthorized:
        anonymous.get_mouse_position()
    assert unauthorized.value.status == 401 and unauthorized.value.code == "unauthorized"
    with Client(server.url, token="wrong") as wrong, pytest.raises(ApiError):
        wrong.get_mouse_position()
    with Client("http://127.0.0.1:9", timeout=2) as nobody, pytest.raises(Unreachable):
        nobody.health()
    with pytest.raises(ValueError):
        Client("ftp://example")


def established_to(port: int) -> int:
    """TCP connections this process has open to the port (from /proc/net/tcp: state 01 is ESTABLISHED)."""
    own = {os.readlink(f"/proc/self/fd/{fd}") for fd in os.listdir("/proc/self/fd") if os.path.exists(f"/proc/self/fd/{fd}")}
    count = 0
    with open("/proc/net/tcp") as table:
        for line in table.readlines()[1:]:
            fields = line.split()
            if int(fields[2].split(":")[1], 16) == port and fields[3] == "01" and f"socket:[{fields[9]}]" in own:
                count += 1
    return count


def test_connection_is_kept_alive(server):
    port = int(server.url.rsplit(":", 1)[1])
    with server.client() as xh:
        for _ in range(5):
            xh.get_mouse_position()
        assert established_to(port) == 1, "one connection for many calls"


def test_screenshot_formats_and_their_mime_types(server):
    with server.client() as xh:
        jpeg = xh.screenshot(Region(0, 0, 64, 32), format="jpeg", quality=50)
        assert jpeg.mime_type == "image/jpeg" and jpeg.startswith(b"\xff\xd8")
        scaled = xh.screenshot(format="webp", scale_to=Size(width=256))
        assert scaled.mime_type == "image/webp" and Image.open(io.BytesIO(scaled)).size == (256, 192)
        [png] = xh.batch([Action.screenshot(Region(0, 0, 8, 8), include_cursor=True)])
        assert png.mime_type == "image/png" and png_size(png) == (8, 8)


def test_from_env(server, monkeypatch):
    monkeypatch.setenv("XHANDS_URL", server.url)
    monkeypatch.setenv("XHANDS_TOKEN", server.token)
    with Client.from_env() as xh:
        assert xh.get_mouse_position()


def test_async_client(server):
    async def session():
        async with server.async_client() as xh:
            await xh.move_mouse(33, 44, smooth=False)
            position = await xh.get_mouse_position()
            results = await asyncio.gather(*(xh.get_mouse_position() for _ in range(5)))  # queued, in order
            shot = await xh.screenshot(Region(0, 0, 16, 16))
            await xh.write_clipboard("async")
            batch = await xh.batch([Action.read_clipboard()])
            health = await xh.health()
        unentered = AsyncClient(server.url, token=server.token)  # used without `async with`
        again = await unentered.get_mouse_position()
        with pytest.raises(ApiError) as error:
            await unentered.press_key("NoSuchKey")
        with pytest.raises(Unreachable):
            await AsyncClient("http://127.0.0.1:9", timeout=2).health()
        return position, results, shot, batch, health, again, error.value

    position, results, shot, batch, health, again, error = asyncio.run(session())
    assert position == again == Position(33, 44) and set(results) == {position}
    assert png_size(shot) == (16, 16)
    assert batch == ["async"] and health.ok
    assert error.status == 400


# --- the shell commands --------------------------------------------------------------------------


def shell(server, *args: str, stdin: str | bytes | None = None, **env) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "xhands", *args], cwd=ROOT, input=stdin, capture_output=True,
                          env={**os.environ, "XHANDS_URL": server.url, "XHANDS_TOKEN": server.token, **env}, timeout=30)


def test_shell_commands(server, tmp_path):
    ok = lambda *args, **kw: shell(server, *args, **kw).returncode == 0  # noqa: E731
    assert ok("click", "100", "200")
    assert shell(server, "position").stdout.decode().split() == ["100", "200"]
    assert ok("click", "10", "20", "--button", "middle", "--count", "2", "--hold", "shift")
    assert ok("move", "300", "310", "--duration", "50")
    assert ok("move", "301", "311", "--instant")
    assert shell(server, "position").stdout.decode().split() == ["301", "311"]
    assert ok("type", "text")
    assert ok("type", "-", stdin=b"from stdin")
    assert ok("key", "Ctrl+t", "Escape")
    assert ok("scroll", "100", "100", "--dy", "3")
    assert ok("drag", "10", "10", "50", "60", "--instant")
    assert ok("cursor", "hide") and ok("cursor", "show")
    assert ok("clipboard", "copied text")
    assert shell(server, "clipboard").stdout.decode() == "copied text"
    assert ok("screenshot", str(tmp_path / "out.png"))
    assert png_size((tmp_path / "out.png").read_bytes()) == (1024, 768)
    assert png_size(shell(server, "screenshot", "-", "--region", "0,0,5,6").stdout) == (5, 6)
    assert ok("screenshot", str(tmp_path / "small.jpg"), "--format", "jpeg", "--quality", "40", "--scale", "512x", "--cursor")
    small = Image.open(tmp_path / "small.jpg")
    assert small.format == "JPEG" and small.size == (512, 384)
    (tmp_path / "actions.json").write_text(json.dumps({"actions": [
        Action.move_mouse(5, 6, smooth=False), Action.get_mouse_position()]}))
    result = shell(server, "batch", str(tmp_path / "actions.json"))
    assert json.loads(result.stdout) == {"results": [{}, {"x": 5, "y": 6}]}
    result = shell(server, "batch", "-", "--screenshot", str(tmp_path / "b.png"),
                   stdin=json.dumps([Action.screenshot(Region(0, 0, 9, 9))]).encode())
    assert json.loads(result.stdout) == {"results": [{"mime_type": "image/png", "file": str(tmp_path / "b.png")}]}
    assert png_size((tmp_path / "b.png").read_bytes()) == (9, 9)
    result = shell(server, "batch", "-", stdin=json.dumps([Action.screenshot(Region(0, 0, 9, 9), format="webp")]).encode())
    assert json.loads(result.stdout)["results"][0]["mime_type"] == "image/webp"
    health = shell(server, "health")
    assert health.returncode == 0 and health.stdout.decode().startswith("ok: display")


def test_shell_commands_fail_in_plain_words(server):
    bad = shell(server, "key", "NoSuchKey")
    assert bad.returncode == 1 and b"bad_request" in bad.stderr and b"NoSuchKey" in bad.stderr
    outside = shell(server, "click", "5000", "5")
    assert outside.returncode == 1 and b"x" in outside.stderr
    nobody = shell(server, "position", XHANDS_URL="http://127.0.0.1:9")
    assert nobody.returncode == 1 and b"is `xhands serve` running" in nobody.stderr
    refused = shell(server, "position", XHANDS_TOKEN="")
    assert refused.returncode == 1 and b"unauthorized" in refused.stderr
    assert shell(server, "health", XHANDS_URL="http://127.0.0.1:9").returncode == 1


def one_line_mistake(result: subprocess.CompletedProcess, status: int, words: bytes) -> None:
    assert result.returncode == status, result.stderr
    assert b"Traceback" not in result.stderr and result.stderr.count(b"\n") == 1 and words in result.stderr, result.stderr


def test_shell_mistakes_are_one_line_never_a_traceback(server, tmp_path):
    one_line_mistake(shell(server, "batch", str(tmp_path / "nofile.json")), 2, b"cannot read")
    one_line_mistake(shell(server, "batch", "-", stdin=b"{bad"), 2, b"standard input is not JSON")
    one_line_mistake(shell(server, "batch", "-", stdin=b'{"action": []}'), 2, b"holds no actions")
    one_line_mistake(shell(server, "position", XHANDS_URL="127.0.0.1:18001"), 2, b"XHANDS_URL")
    one_line_mistake(shell(server, "mcp", XHANDS_URL="127.0.0.1:18001"), 2, b"XHANDS_URL")
    one_line_mistake(shell(server, "screenshot", str(tmp_path / "x.gif")), 2, b".png, .jpg or .webp")
    one_line_mistake(shell(server, "screenshot", str(tmp_path / "missing" / "x.png")), 1, b"No such file")


@pytest.mark.parametrize("given, read", [
    (["--url", "U", "click", "1", "2"], ["click", "--url", "U", "1", "2"]),
    (["--url=U", "--token", "T", "position"], ["position", "--url=U", "--token", "T"]),
    (["click", "--url", "U", "1", "2"], ["click", "--url", "U", "1", "2"]),
    (["--url", "U"], ["--url", "U"]),  # no command: argparse says so
    (["--version"], ["--version"]),
])
def test_connection_options_are_read_after_the_command(given, read):
    assert connection_after_command(given) == read


def test_connection_options_may_come_before_the_command(server):
    for before in (["--url", server.url], [f"--url={server.url}"]):
        moved = shell(server, *before, "move", "7", "8", "--instant", XHANDS_URL="http://127.0.0.1:9")
        assert moved.returncode == 0, moved.stderr
    assert shell(server, "--url", server.url, "position", XHANDS_URL="bad").stdout.split() == [b"7", b"8"]


def test_a_reader_that_goes_away_ends_the_command_quietly(server):
    """`xhands batch - | head -c150`: the pipe closes before the answer is written."""
    process = subprocess.Popen([sys.executable, "-m", "xhands", "batch", "-"], cwd=ROOT, stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               env={**os.environ, "XHANDS_URL": server.url, "XHANDS_TOKEN": server.token})
    process.stdout.close()  # before the command can have written anything: it is still starting
    _, stderr = process.communicate(json.dumps([Action.screenshot()]).encode(), timeout=30)
    assert process.returncode == 1 and stderr == b""


def test_image_format_by_extension():
    assert [image_format(name, None) for name in ("a.png", "a.JPG", "a.jpeg", "a.webp", "a", "-")] == [
        "png", "jpeg", "jpeg", "webp", None, None]
    assert image_format("a.gif", "png") == "png"
    with pytest.raises(CommandError, match="'.gif'"):
        image_format("a.gif", None)


def test_screenshot_format_follows_the_file_name(server, tmp_path):
    for name, format_ in (("s.jpg", "JPEG"), ("s.JPEG", "JPEG"), ("s.webp", "WEBP"), ("s.png", "PNG"), ("s", "PNG")):
        assert shell(server, "screenshot", str(tmp_path / name)).returncode == 0
        assert Image.open(tmp_path / name).format == format_, name
    assert shell(server, "screenshot", str(tmp_path / "t.jpg"), "--format", "png").returncode == 0
    assert Image.open(tmp_path / "t.jpg").format == "PNG", "--format says otherwise on purpose"


# --- the pytest plugin ---------------------------------------------------------------------------


def test_pytest_plugin_gives_a_private_display_daemon_and_clients(tmp_path):
    (tmp_path / "test_with_xhands.py").write_text(textwrap.dedent('''
        import asyncio, os
        from xhands.daemon.client import Client, AsyncClient, Position

        def test_sync(xhands, xhands_server):
            assert isinstance(xhands, Client)
            assert xhands_server.display != os.environ.get("DISPLAY")  # its own Xvfb
            xhands.move_mouse(12, 34, smooth=False)
            assert xhands.get_mouse_position() == Position(12, 34)
            assert xhands.health().screen == (800, 600)

        def test_async(xhands_async):
            assert isinstance(xhands_async, AsyncClient)
            assert asyncio.run(xhands_async.get_mouse_position()) == Position(12, 34)  # same session server
    '''))
    env = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-m", "pytest", "-p", "xhands.daemon.client.pytest_plugin", "--xhands-screen", "800x600x24",
                             "-q", "-p", "no:cacheprovider", str(tmp_path)], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout


def test_pytest_plugin_can_use_a_running_daemon(server, tmp_path):
    (tmp_path / "test_remote.py").write_text(textwrap.dedent(f'''
        def test_remote(xhands, xhands_server):
            assert xhands_server.url == "{server.url}" and xhands_server.display is None
            assert xhands.health().display == "{server.display}"
            xhands.get_mouse_position()  # the token came from XHANDS_TOKEN
    '''))
    env = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", "PYTHONPATH": str(ROOT), "XHANDS_TOKEN": server.token}
    result = subprocess.run([sys.executable, "-m", "pytest", "-p", "xhands.daemon.client.pytest_plugin", "--xhands-url", server.url,
                             "-q", "-p", "no:cacheprovider", str(tmp_path)], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_pytest_plugin_is_registered_as_an_entry_point():
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert project["project"]["entry-points"]["pytest11"] == {"xhands": "xhands.daemon.client.pytest_plugin"}
