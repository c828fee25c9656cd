"""Operations: /metrics (also on its own listener), JSON logs with request ids, `--help`, `--version`, `xhands check`."""

import json
import os
import re
import subprocess
import sys
import time
from importlib.metadata import version
from pathlib import Path

import httpx
import pytest

from xhands.daemon.client import Action, ApiError
from xhands.daemon.client.testing import LocalServer
from xhands.daemon.ops.xvfb import Xvfb
from tests.ports import free_port

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def server():
    with LocalServer("1024x768x24") as local:
        yield local


def xhands(*args: str, env: dict | None = None, timeout: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "xhands", *args], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=timeout)


def samples(text: str) -> dict[str, float]:
    """Prometheus text format -> {'name{labels}': value}."""
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.rpartition(" ")
            out[key] = float(value)
    return out


def test_metrics_count_requests_time_actions_and_show_the_display(server):
    with server.client() as client:
        client.batch([Action.move_mouse(5, 5, smooth=False), Action.sleep(30), Action.get_mouse_position()])
        client.click_mouse(10, 10)
        with pytest.raises(ApiError):
            client.press_key("NoSuchKey")
        text = client.metrics()
    metrics = samples(text)
    assert metrics['xhands_requests_total{route="/computer/batch",status="200"}'] >= 1
    assert metrics['xhands_requests_total{route="/computer/press_key",status="400"}'] >= 1
    assert metrics['xhands_action_seconds_count{type="sleep"}'] == 1
    assert metrics['xhands_action_seconds_sum{type="sleep"}'] >= 0.03
    assert metrics['xhands_action_seconds_count{type="click_mouse"}'] == 1
    assert metrics['xhands_actions_total{outcome="ok",type="move_mouse"}'] == 1
    assert 'xhands_action_seconds_bucket{le="0.001",type="click_mouse"}' in metrics
    assert metrics['xhands_action_seconds_count{type="drag_mouse"}'] == 0, "every action type is there from the start"
    assert metrics["xhands_queue_depth"] == 0
    assert metrics["xhands_display_up"] == 1
    assert metrics[f'xhands_build_info{{version="{version("xhands")}"}}'] == 1
    assert "# TYPE xhands_action_seconds histogram" in text


def test_metrics_port_serves_metrics_and_health_without_the_token_and_nothing_else():
    port = free_port()
    with LocalServer(display=os.environ["DISPLAY"], token="only-for-the-api", args=("--metrics-port", str(port))) as daemon:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as scraper:
            scraped = scraper.get("/metrics")
            assert scraped.status_code == 200 and scraped.headers["Content-Type"].startswith("text/plain")
            assert samples(scraped.text)["xhands_display_up"] == 1
            assert scraper.get("/health").json()["status"] == "ok"
            bearer = {"Authorization": "Bearer only-for-the-api"}
            for method, path in [("POST", "/computer/click_mouse"), ("POST", "/browsers/x/computer/screenshot"),
                                 ("GET", "/openapi.json"), ("POST", "/metrics"), ("GET", "/")]:
                answer = scraper.request(method, path, json={"x": 1, "y": 1}, headers=bearer)
                assert answer.status_code == 404, (method, path, answer.text)
                assert answer.json()["code"] == "not_found" and answer.json()["message"], answer.text
        with httpx.Client(base_url=daemon.url, timeout=10) as api:
            assert api.get("/metrics").status_code == 401, "the API's own /metrics still needs the token"
            assert api.post("/computer/click_mouse", json={"x": 1, "y": 1}).status_code == 401
            assert api.get("/metrics", headers={"Authorization": "Bearer only-for-the-api"}).status_code == 200
        assert daemon.stop() == 0, daemon.log()


def log_entries(server) -> list[dict]:
    return [json.loads(line) for line in server.log().splitlines() if line.startswith("{")]


def test_request_id_is_echoed_and_logged(server):
    with httpx.Client(base_url=server.url) as client:
        assert re.fullmatch(r"[0-9a-f]{32}", client.post("/computer/move_mouse", json={"x": 1, "y": 1}).headers["X-Request-Id"]), \
            "a request with no id gets one"
        response = client.post("/computer/get_mouse_position", headers={"X-Request-Id": "agent-42.step-7"})
        assert response.headers["X-Request-Id"] == "agent-42.step-7"
        response = client.post("/computer/press_key", content=b'{"keys":["Nope"]}', headers={"X-Request-Id": "bad key"})
        generated = response.headers["X-Request-Id"]
        assert response.status_code == 400 and re.fullmatch(r"[0-9a-f]{32}", generated), "an unsafe id is replaced"
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        entries = log_entries(server)
        access = {e.get("request_id"): e for e in entries if e["logger"] == "xhands.access"}
        if "agent-42.step-7" in access and generated in access:
            break
        time.sleep(0.05)
    entry = access["agent-42.step-7"]
    assert entry["method"] == "POST" and entry["path"] == "/computer/get_mouse_position" and entry["status"] == 200
    assert entry["duration_ms"] >= 0 and entry["level"] == "info" and entry["time"].endswith("Z")
    assert access[generated]["status"] == 400
    assert all({"time", "level", "logger", "message"} <= e.keys() for e in entries), "every line is one JSON object"


def test_request_id_reaches_logs_written_by_the_worker(server):
    """The worker runs actions in its own task; what it logs still carries the request's id."""
    import socket
    from urllib.parse import urlsplit

    body = json.dumps({"actions": [{"type": "sleep", "sleep": {"duration_ms": 300}},
                                   {"type": "move_mouse", "move_mouse": {"x": 3, "y": 3}}]}).encode()
    url = urlsplit(server.url)
    with socket.create_connection((url.hostname, url.port)) as sock:
        sock.sendall(b"POST /computer/batch HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                     b"X-Request-Id: leaves-early\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
        time.sleep(0.1)  # gone while the batch sleeps
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        worker_lines = [e for e in log_entries(server) if e.get("request_id") == "leaves-early" and e["logger"] == "xhands.daemon.worker"]
        if worker_lines:
            break
        time.sleep(0.05)
    assert worker_lines, "the worker's note that the client left carries the request id"


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
    result = xhands("serve", "--help", env={"XHANDS_TOKEN": "do-not-print-me"})
    assert result.returncode == 0 and "do-not-print-me" not in result.stdout


def test_version():
    result = xhands("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"xhands {version('xhands')}"


def test_check_passes_on_a_working_display():
    result = xhands("check", "--display", os.environ["DISPLAY"])
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    for name in ("install", "display", "XTest", "XFixes", "clipboard", "capture"):
        assert any(line.startswith("ok") and f" {name} " in line for line in lines), f"{name}: {result.stdout}"
    assert "All 6 checks passed" in result.stdout


def test_check_without_a_display_checks_a_private_xvfb():
    env = {k: v for k, v in os.environ.items() if k != "DISPLAY"}
    result = subprocess.run([sys.executable, "-m", "xhands", "check", "--screen", "800x600x24"], cwd=ROOT,
                            capture_output=True, text=True, env=env, timeout=30)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "started a private Xvfb" in result.stdout and "800x600" in result.stdout


def test_check_notices_a_broken_installation(tmp_path):
    """A dependency that cannot be imported (here a numpy that raises) fails the check, before any display."""
    (tmp_path / "numpy").mkdir()
    (tmp_path / "numpy" / "__init__.py").write_text('raise ImportError("this numpy is broken")\n')
    result = xhands("check", "--display", os.environ["DISPLAY"], env={"PYTHONPATH": f"{tmp_path}:{ROOT}"})
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert re.search(r"^FAIL\s+install\s+xhands\.\S+ cannot be imported.*this numpy is broken", result.stdout, re.M), result.stdout
    assert result.stdout.splitlines()[-1] == "1 of 1 checks failed (install)."


def test_check_says_what_is_missing_in_plain_words(tmp_path):
    without_xtest = Xvfb("640x480x24", args=("-extension", "XTEST"))
    try:
        result = xhands("check", "--display", without_xtest.start(), env={"PATH": str(tmp_path)})  # no xclip on this PATH
    finally:
        without_xtest.stop()
    assert result.returncode == 1
    assert re.search(r"^FAIL\s+XTest\s+the X server lacks the XTEST extension", result.stdout, re.M), result.stdout
    assert re.search(r"^FAIL\s+clipboard\s+xclip is not installed", result.stdout, re.M), result.stdout
    assert re.search(r"^ok\s+capture", result.stdout, re.M)
    assert "2 of 6 checks failed (XTest, clipboard)" in result.stdout

    result = xhands("check", "--display", ":399")
    assert result.returncode == 1 and "cannot open display :399" in result.stdout
