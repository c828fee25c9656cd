"""The Dockerfile and the Kubernetes example, run on this machine.

No container engine is needed: the image's install step (the RUN that calls
scripts/setup.sh, with its settings) and its start command (ENTRYPOINT + CMD,
with the image's ENV) are taken from the Dockerfile and run here, with the
image's /opt/xhands mapped to this checkout. The Kubernetes pod's two
containers are run the same way, side by side, sharing the X socket directory
as the pod's volume does. So the recipes cannot rot without a test failing.
"""

import os
import re
import shlex
import shutil
import secrets
import signal
import subprocess
import time
from pathlib import Path

import pytest
import yaml
from tzafon import Lightcone
from Xlib import X, display as xdisplay

from xhands.daemon.client import ApiError, Client, Unreachable
from tests.ports import free_port

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = ROOT / "Dockerfile"
MANIFEST = ROOT / "examples" / "kubernetes.yaml"


# --- reading the recipes -------------------------------------------------------------------------


def dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order; continuation lines joined, comments dropped."""
    steps, pending = [], ""
    for line in DOCKERFILE.read_text().splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        pending += line.rstrip()
        if pending.endswith("\\"):
            pending = pending[:-1] + " "
            continue
        instruction, _, arguments = pending.strip().partition(" ")
        steps.append((instruction.upper(), arguments.strip()))
        pending = ""
    return steps


def one(instruction: str) -> str:
    found = [args for name, args in dockerfile() if name == instruction]
    assert len(found) == 1, f"expected one {instruction} in the Dockerfile, found {found}"
    return found[0]


def exec_form(arguments: str) -> list[str]:
    assert arguments.startswith("["), f"use the exec form: {arguments}"
    return yaml.safe_load(arguments)  # a JSON array is YAML too


def workdir() -> str:
    return one("WORKDIR")


def on_this_machine(text: str) -> str:
    """The image's paths under WORKDIR are this checkout's."""
    return text.replace(workdir(), str(ROOT))


def image_env() -> dict[str, str]:
    """The ENV of the image, as this machine's paths, expanded against this environment."""
    env = {**os.environ, "TINI_SUBREAPER": "1"}  # tini is not PID 1 here; as a subreaper it still reaps orphans
    for arguments in (args for name, args in dockerfile() if name == "ENV"):
        for pair in shlex.split(arguments):
            key, _, value = pair.partition("=")
            env[key] = on_this_machine(re.sub(r"\$\{?(\w+)\}?", lambda m: env.get(m.group(1), ""), value))
    return env


def install_step() -> str:
    runs = [args for name, args in dockerfile() if name == "RUN" and "scripts/setup.sh" in args]
    assert len(runs) == 1, "the image must be set up by scripts/setup.sh, once"
    words = runs[0].split()
    return " ".join(word for word in words if not word.startswith("--mount="))


def manifest() -> dict[str, dict]:
    return {doc["kind"]: doc for doc in manifest_documents()}


def manifest_documents() -> list[dict]:
    return list(yaml.safe_load_all(MANIFEST.read_text()))


def serve_flags(sidecar: dict) -> list[str]:
    """The `xhands serve` flags the sidecar adds through XHANDS_ARGS (container-start.sh passes them on)."""
    return shlex.split(next((e["value"] for e in sidecar["env"] if e["name"] == "XHANDS_ARGS"), ""))


def flag(flags: list[str], name: str) -> str:
    return flags[flags.index(name) + 1]


# --- running them here ---------------------------------------------------------------------------


def free_display() -> str:
    for number in range(150, 400):
        if not Path(f"/tmp/.X11-unix/X{number}").exists() and not Path(f"/tmp/.X{number}-lock").exists():
            return f":{number}"
    raise RuntimeError("no free display number")


class Started:
    """A start command run in its own session, so every process it starts can be found and ended."""

    def __init__(self, command: list[str], env: dict, log: Path):
        self.log = log
        with open(log, "wb") as out:
            self.process = subprocess.Popen(command, env=env, cwd=env.get("HOME"), stdin=subprocess.DEVNULL,
                                            stdout=out, stderr=subprocess.STDOUT, start_new_session=True)

    def alive_in_group(self) -> bool:
        try:
            os.killpg(self.process.pid, 0)
            return True
        except ProcessLookupError:
            return False

    def terminate(self, timeout: float = 20.0) -> int:
        """SIGTERM to the start command, as `docker stop` and the kubelet send it; its exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        finally:
            deadline = time.monotonic() + 5
            while self.alive_in_group() and time.monotonic() < deadline:
                time.sleep(0.05)

    def kill_group(self) -> None:
        if self.alive_in_group():
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def wait_until(condition, timeout: float, what: str, started: Started | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        if started and started.process.poll() is not None:
            break
        time.sleep(0.1)
    raise AssertionError(f"{what} within {timeout:g} s" + (f"; output:\n{started.output()[-4000:]}" if started else ""))


def healthy(url: str) -> bool:
    try:
        with Client(url, timeout=2) as client:
            return client.health().ok
    except Unreachable:
        return False


def chromium_window(display_name: str) -> bool:
    """A mapped top-level window whose WM_CLASS says Chromium."""
    try:
        conn = xdisplay.Display(display_name)
    except Exception:
        return False
    try:
        for window in conn.screen().root.query_tree().children:
            wm_class = window.get_wm_class() or ()
            if any("chromium" in name.lower() for name in wm_class) and window.get_attributes().map_state == X.IsViewable:
                return True
        return False
    finally:
        conn.close()


def shows_something(png: bytes) -> bool:
    """Chromium's page is light; an empty Xvfb screen is black."""
    import io

    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("L")
    return image.getextrema()[1] > 200


# --- the Dockerfile ------------------------------------------------------------------------------


def test_dockerfile_recipe_is_complete():
    steps = dockerfile()
    names = [name for name, _ in steps]
    base = one("FROM")
    assert re.match(r"python:3\.(1[1-9])", base), f"the base image must have the Python pyproject asks for: {base}"
    for name, arguments in steps:
        if name == "COPY":
            *sources, _ = arguments.split()
            for source in sources:
                assert (ROOT / source).exists(), f"COPY {source}: no such file here"
    copied = {args.split()[0].rstrip("/") for name, args in steps if name == "COPY"}
    for package in ("xhands", "daemon", "input", "bezier"):
        assert package in copied, f"the image lacks the package {package}"
    user = one("USER")
    assert user not in ("root", "0"), "the browser and xhands must not run as root"
    assert names.index("USER") < names.index("CMD")
    assert one("EXPOSE") == "10001"
    assert "xhands health" in one("HEALTHCHECK"), "the health check asks the daemon's /health"
    entrypoint, command = exec_form(one("ENTRYPOINT")), exec_form(one("CMD"))
    assert entrypoint[0] == "tini", "an init reaps the browser's and clipboard helper's orphans"
    script = Path(on_this_machine(command[0]))
    assert script.is_file() and os.access(script, os.X_OK), f"{command[0]} is not an executable in this checkout"
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert ".venv" in ignored and ".git" in ignored


@pytest.fixture(scope="module")
def installed():
    """The image's install step, run here: the same script with the same settings."""
    env = image_env()
    result = subprocess.run(["bash", "-c", install_step()], cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, f"the Dockerfile's install step failed here:\n{result.stdout}\n{result.stderr}"
    return env


@pytest.mark.timeout(900)  # a fresh machine apt-installs what the image has
def test_dockerfile_install_step_runs_here(installed):
    for program in ("Xvfb", "xclip", "chromium", "tini"):
        assert shutil.which(program, path=installed["PATH"]), f"{program} missing after the install step"
    assert (ROOT / ".venv" / "bin" / "xhands").exists()


@pytest.mark.timeout(120)
def test_dockerfile_start_command_runs_the_browser_and_daemon(installed, tmp_path):
    env = {**installed, "DISPLAY": free_display(), "XHANDS_PORT": str(free_port()), "XHANDS_TOKEN": "container-secret",
           "HOME": str(tmp_path), "XHANDS_SCREEN": "1280x800x24", "CHROMIUM_DEVTOOLS_PORT": str(free_port())}
    command = [on_this_machine(word) for word in exec_form(one("ENTRYPOINT")) + exec_form(one("CMD"))]
    healthcheck = one("HEALTHCHECK").split(" CMD ", 1)[1]
    url = f"http://127.0.0.1:{env['XHANDS_PORT']}"
    started = Started(command, env, tmp_path / "container.log")
    try:
        # the image's own HEALTHCHECK command, as Docker would run it
        wait_until(lambda: subprocess.run(["sh", "-c", healthcheck], env=env, capture_output=True).returncode == 0,
                   30, "the HEALTHCHECK did not pass", started)
        wait_until(lambda: chromium_window(env["DISPLAY"]), 30, "no Chromium window on the display", started)
        with Client(url, token="container-secret") as client:
            assert client.health().display == env["DISPLAY"]
            wait_until(lambda: shows_something(client.screenshot()), 20, "the screenshot stayed black", started)
            client.move_mouse(640, 400, smooth=False)
            assert client.get_mouse_position().x == 640
        # Its Chromium's DevTools, reached through --cdp: Lightcone's browser calls work out of the box.
        browser = Lightcone(api_key="container-secret", base_url=url, max_retries=0).computers
        loaded = browser.navigate("local", url="data:text/html,<title>through-cdp</title>")
        assert loaded.page_context.title == "through-cdp"
        with Client(url) as anonymous, pytest.raises(ApiError) as refused:
            anonymous.screenshot()
        assert refused.value.status == 401, "listening on 0.0.0.0 must require the token"
        assert started.terminate() == 0, started.output()[-4000:]
        assert not started.alive_in_group(), "a process outlived the container's stop"
        assert not Path(f"/tmp/.X11-unix/X{env['DISPLAY'][1:]}").exists()
    finally:
        started.kill_group()


def test_container_refuses_to_expose_the_daemon_without_a_token(installed, tmp_path):
    env = {**installed, "DISPLAY": free_display(), "XHANDS_PORT": str(free_port()), "HOME": str(tmp_path)}
    env.pop("XHANDS_TOKEN", None)
    command = [on_this_machine(word) for word in exec_form(one("CMD"))] + ["xhands"]
    started = Started(command, env, tmp_path / "container.log")
    try:
        assert started.process.wait(20) == 2
        assert "without a token" in started.output()
    finally:
        started.kill_group()


# --- the Kubernetes example ----------------------------------------------------------------------


def pod():
    docs = manifest()
    return docs, docs["StatefulSet"]["spec"]["template"]


def container(template, name):
    return next(c for c in template["spec"]["containers"] if c["name"] == name)


def test_kubernetes_example_wires_the_sidecar():
    docs, template = pod()
    service, statefulset = docs["Service"], docs["StatefulSet"]
    assert service["spec"]["clusterIP"] == "None", "each browser is addressed on its own, never load-balanced"
    assert statefulset["spec"]["serviceName"] == service["metadata"]["name"]
    labels = template["metadata"]["labels"]
    assert all(labels.get(k) == v for k, v in service["spec"]["selector"].items())
    assert all(labels.get(k) == v for k, v in statefulset["spec"]["selector"]["matchLabels"].items())

    annotations = template["metadata"]["annotations"]
    assert annotations["prometheus.io/scrape"] == "true"
    assert annotations["prometheus.io/path"] == "/metrics"
    assert template["spec"]["securityContext"]["runAsNonRoot"] is True

    chromium, sidecar = container(template, "chromium"), container(template, "xhands")
    volumes = {v["name"]: v for v in template["spec"]["volumes"]}
    x11_mounts = [next(m for m in c["volumeMounts"] if m["mountPath"] == "/tmp/.X11-unix") for c in (chromium, sidecar)]
    assert x11_mounts[0]["name"] == x11_mounts[1]["name"] and x11_mounts[0]["name"] in volumes

    env = {e["name"]: e for e in sidecar["env"]}
    assert "secretKeyRef" in env["XHANDS_TOKEN"]["valueFrom"], "the token comes from a Secret the README has you create"
    assert {e["name"]: e["value"] for e in chromium["env"]}["DISPLAY"] == env["DISPLAY"]["value"]

    port = next(p for p in sidecar["ports"] if p["name"] == "http")
    assert port["containerPort"] == 10001 == int(env["XHANDS_PORT"]["value"])
    for probe in ("readinessProbe", "livenessProbe"):
        assert sidecar[probe]["httpGet"] == {"path": "/health", "port": "http"}

    # Prometheus sends no token: it scrapes the tokenless metrics listener, which the sidecar opens to the pod network.
    flags = serve_flags(sidecar)
    metrics = next(p for p in sidecar["ports"] if p["name"] == "metrics")
    assert annotations["prometheus.io/port"] == str(metrics["containerPort"]) == flag(flags, "--metrics-port")
    assert flag(flags, "--metrics-host") == "0.0.0.0"
    for c in (chromium, sidecar):
        assert c["image"].split(":")[0].endswith("xhands-browser"), "both containers run the image of this Dockerfile"
        assert c["args"][0] == exec_form(one("CMD"))[0]


def test_kubernetes_example_ships_no_secret_value():
    """Applying the manifest must not replace the random token made with `kubectl create secret` by a known one."""
    for doc in manifest_documents():
        assert not (doc["kind"] == "Secret" and (doc.get("data") or doc.get("stringData"))), doc["metadata"]["name"]


@pytest.mark.timeout(120)
def test_kubernetes_pod_runs_here(installed, tmp_path):
    """The pod's two containers, side by side on this machine, with the manifest's settings."""
    docs, template = pod()
    display, port, metrics_port, devtools = free_display(), free_port(), free_port(), free_port()
    token = secrets.token_hex(32)  # as the README's `kubectl create secret` makes it
    processes = []
    try:
        for name in ("xhands", "chromium"):  # the sidecar first: it must wait for the display by itself
            spec = container(template, name)
            env = {**installed, "HOME": str(tmp_path / name), "XHANDS_SCREEN": "1280x800x24"}
            for item in spec["env"]:
                env[item["name"]] = token if "valueFrom" in item else str(item["value"])
            env.update(DISPLAY=display, XHANDS_PORT=str(port), CHROMIUM_DEVTOOLS_PORT=str(devtools))  # free ones here
            if "XHANDS_ARGS" in env:
                env["XHANDS_ARGS"] = env["XHANDS_ARGS"].replace(flag(serve_flags(spec), "--metrics-port"), str(metrics_port))
            (tmp_path / name).mkdir()
            command = [on_this_machine(word) for word in exec_form(one("ENTRYPOINT")) + spec["args"]]
            processes.append(Started(command, env, tmp_path / f"{name}.log"))
        sidecar, browser = processes
        url = f"http://127.0.0.1:{port}"
        wait_until(lambda: healthy(url), 30, "the sidecar's readiness probe did not pass", sidecar)
        wait_until(lambda: chromium_window(display), 30, "no Chromium window", browser)
        with Client(f"http://127.0.0.1:{metrics_port}") as scraper:  # as Prometheus would, without the token
            assert "xhands_display_up 1.0" in scraper.metrics()
        with Client(url, token=token) as client:
            wait_until(lambda: shows_something(client.screenshot()), 20, "the screenshot stayed black", browser)
        # The sidecar reaches the browser container's DevTools over the pod's shared loopback.
        loaded = Lightcone(api_key=token, base_url=url, max_retries=0).computers.navigate(
            "local", url="data:text/html,<title>across-containers</title>")
        assert loaded.page_context.title == "across-containers"
        for started in processes:
            assert started.terminate() == 0, started.output()[-4000:]
    finally:
        for started in processes:
            started.kill_group()
