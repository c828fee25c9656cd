"""The examples of the README and docs/, run: each block after a `<!-- tested: NAME -->` marker is checked here.

Shell and Python examples run against a private daemon of the size `make serve` starts (the documents'
http://127.0.0.1:10001 becomes its URL), and what they say they print is what they print. The deployment
examples are checked against the files they name.
"""

import asyncio
import json
import os
import re
import shlex
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from mcp.client.stdio import StdioServerParameters
from PIL import Image

from xhands.daemon.client.testing import LocalServer
from tests.ports import free_port

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = [ROOT / "README.md", ROOT / "CONTRIBUTING.md", *sorted((ROOT / "docs").glob("*.md"))]
README = "\n".join(path.read_text() for path in DOCUMENTS)  # every document, as one text
MARKED = re.compile(r"<!-- tested: (\S+) -->\n```(\w*)\n(.*?)\n```", re.S)
DEFAULT_URL = "http://127.0.0.1:10001"


def blocks() -> dict[str, str]:
    found = {}
    for name, _, text in MARKED.findall(README):
        assert name not in found, f"two blocks are marked {name}"
        found[name] = text
    return found


def block(name: str) -> str:
    return blocks()[name]


@pytest.fixture(scope="module")
def server():
    with LocalServer("1920x1080x24") as local:  # what `make serve` starts, so the printed sizes are a user's
        yield local


@pytest.fixture(scope="module")
def shell_env(server, tmp_path_factory):
    """`xhands` on PATH is this checkout's CLI; the daemon is the private one."""
    bin_dir = tmp_path_factory.mktemp("bin")
    shim = bin_dir / "xhands"
    shim.write_text(f"#!/bin/sh\nexec {shlex.quote(sys.executable)} -m xhands \"$@\"\n")
    shim.chmod(shim.stat().st_mode | stat.S_IXUSR)
    return {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "PYTHONPATH": str(ROOT),
            "XHANDS_URL": server.url, "XHANDS_TOKEN": ""}


def test_every_marked_block_has_its_test():
    assert set(blocks()) == {"docker", "systemd", "kubernetes", "log-line", "check", "python", "async", "pytest", "cli",
                             "first-curl", "first-session", "mcp-config", "mcp-remote-config", "mcp-url", "mcp-transcript", "lightcone", "events", "screencast"}


def first_words(command: list[str], env: dict) -> str:
    """Start `xhands serve`, return the line that says where it listens and what it drives, stop it."""
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    try:
        for line in process.stderr:
            if "listening on" in line:
                return line.strip()
        raise AssertionError(f"xhands serve exited with status {process.wait()} before listening")
    finally:
        process.terminate()
        process.wait(15)


def test_first_session_says_which_private_display_it_drives():
    """Without DISPLAY, `xhands serve` starts a private Xvfb and says what the README says it says."""
    port = free_port()
    env = {key: value for key, value in os.environ.items() if key != "DISPLAY"}
    said = first_words([sys.executable, "-m", "xhands", "serve", "--port", str(port)], env)
    display = re.search(r"private Xvfb on (:\d+) ", said).group(1)
    assert f"`DISPLAY={display} chromium &`" in said
    shown = block("first-session")
    normalise = lambda line: re.sub(r":\d+", ":N", line.split(" INFO ", 1)[1])  # noqa: E731  (ports, displays)
    assert normalise(said) == normalise(shown)


def make_serve_command(args: str) -> list[str]:
    """The command `make serve ARGS=...` runs once set-up is done (make -n prints it without running anything),
    with this test run's interpreter in place of .venv's, which the test run may not have."""
    printed = subprocess.run(["make", "-n", "--no-print-directory", "serve", f"ARGS={args}"], cwd=ROOT,
                             capture_output=True, text=True, check=True).stdout.splitlines()
    command = shlex.split(printed[-1])
    at = command.index(".venv/bin/xhands")
    return [*command[:at], sys.executable, "-m", "xhands", *command[at + 1:]]


def test_make_serve_drives_a_private_display_even_with_display_set():
    display = os.environ["DISPLAY"]  # pytest-xvfb's, standing for the user's desktop
    said = first_words(make_serve_command(f"--port {free_port()}"), dict(os.environ))
    assert "driving a private Xvfb" in said and f"on {display} " not in said, said
    said = first_words(make_serve_command(f"--display {display} --port {free_port()}"), dict(os.environ))
    assert f"driving display {display} " in said, said


@pytest.mark.parametrize("target, extras", [("serve", "[]"), ("test", "[unset]")])
def test_make_serve_sets_up_only_the_runtime_and_make_test_the_test_extras(tmp_path, target, extras):
    """What scripts/setup.sh is given: XHANDS_EXTRAS empty installs no extras, unset installs the test extras."""
    spy = tmp_path / "spy.mk"  # a later recipe for `setup` replaces the Makefile's: it says what it was given
    spy.write_text('setup:\n\t@echo "extras=[$${XHANDS_EXTRAS-unset}]"; exit 3\n')
    env = {key: value for key, value in os.environ.items() if key != "XHANDS_EXTRAS"}
    result = subprocess.run(["make", "-s", "--no-print-directory", "-f", "Makefile", "-f", str(spy), target], cwd=ROOT,
                            env=env, capture_output=True, text=True, timeout=30)
    assert result.returncode != 0 and result.stdout.strip() == f"extras={extras}", result.stdout + result.stderr


def test_first_curl_commands(server, shell_env, tmp_path):
    script = block("first-curl")
    answer = re.search(r"^# => (.*)$", script, re.M).group(1)
    result = subprocess.run(["bash", "-ec", script.replace("localhost:10001", server.url)], cwd=tmp_path, env=shell_env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    # the actions answer nothing, the batch what the comment says, then /health
    assert result.stdout.startswith(answer) and json.loads(result.stdout[len(answer):])["status"] == "ok", result.stdout
    assert Image.open(tmp_path / "screen.png").size == (1920, 1080)


def test_cli_example(shell_env, tmp_path):
    for line in block("cli").splitlines():
        command, _, comment = line.partition("  # prints: ")
        result = subprocess.run(["bash", "-c", command], cwd=tmp_path, env=shell_env, capture_output=True, text=True,
                                timeout=30)
        assert result.returncode == 0, f"{command}: {result.stderr}"
        if comment:
            assert result.stdout.strip() == comment.strip(), command
    assert Image.open(tmp_path / "out.png").size == (1920, 1080)
    assert Image.open(tmp_path / "part.png").size == (320, 200)


def run_python(source: str, env: dict, cwd: Path) -> list[str]:
    """Run the example; check every `print(...)  # expected` line printed what its comment says."""
    result = subprocess.run([sys.executable, "-c", source], cwd=cwd, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    expected = [line.split("  # ", 1)[1].strip() for line in source.splitlines() if "print(" in line and "  # " in line]
    assert result.stdout.splitlines() == expected
    return expected


def run_marked_python(name: str, server, env: dict, cwd: Path) -> list[str]:
    """Run a marked Python block against the test daemon instead of the default address it names."""
    source = block(name)
    assert DEFAULT_URL in source
    return run_python(source.replace(DEFAULT_URL, server.url), env, cwd)


@pytest.mark.parametrize("name", ["python", "async", "lightcone"])
def test_python_example(name, server, shell_env, tmp_path):
    assert run_marked_python(name, server, shell_env, tmp_path)


def test_screencast_example(server, shell_env, tmp_path):
    assert run_marked_python("screencast", server, shell_env, tmp_path)
    assert Image.open(tmp_path / "screen.jpg").size == (640, 360)


def test_pytest_example(shell_env, tmp_path):
    (tmp_path / "test_example.py").write_text(block("pytest") + "\n")
    env = {**shell_env, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    result = subprocess.run([sys.executable, "-m", "pytest", "-p", "xhands.daemon.client.pytest_plugin", "-q", "-p", "no:cacheprovider"],
                            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "1 passed" in result.stdout, result.stdout + result.stderr


def test_log_line_example_matches_the_real_thing(server):
    example = json.loads(block("log-line"))
    with server.client() as client:
        client.click_mouse(5, 5)
    entries = [json.loads(line) for line in server.log().splitlines() if line.startswith("{")]
    real = next(e for e in reversed(entries) if e["logger"] == "xhands.access" and e["path"] == "/computer/click_mouse")
    assert set(real) == set(example)
    assert {k: type(v) for k, v in real.items()} == {k: type(v) for k, v in example.items()}
    assert real["message"].split()[:3] == example["message"].split()[:3]


def test_check_example_matches_the_real_thing(server):
    result = subprocess.run([sys.executable, "-m", "xhands", "check", "--display", server.display], cwd=ROOT,
                            capture_output=True, text=True, timeout=30)
    shape = lambda text: [line.split()[:2] for line in text.splitlines()[:-1]]  # noqa: E731  (status, part)
    assert shape(result.stdout) == shape(block("check"))
    assert result.stdout.splitlines()[-1] == block("check").splitlines()[-1]


def test_docker_example_matches_the_dockerfile():
    commands = block("docker").splitlines()
    build = shlex.split(commands[0])
    assert build[:3] == ["docker", "build", "-t"] and build[-1] == "."
    tag = build[3]
    run = shlex.split(commands[1])
    assert run[:3] == ["docker", "run", "-d"] and run[-1] == tag
    dockerfile = (ROOT / "Dockerfile").read_text()
    exposed = re.search(r"^EXPOSE (\d+)$", dockerfile, re.M).group(1)
    assert f"{exposed}:{exposed}" in run
    token = next(arg.split("=", 1)[1] for arg in run if arg.startswith("XHANDS_TOKEN="))
    assert f"Bearer {token}" in commands[2] and f"localhost:{exposed}/computer/" in commands[2]
    assert f"docker build -t {tag} ." in dockerfile, "the Dockerfile's own usage note says the same"


def test_systemd_example_installs_every_unit():
    text = block("systemd")
    named = set(re.findall(r"(?<![\w/])systemd/[\w@.-]+", text))
    assert named == {f"systemd/{path.name}" for path in (ROOT / "systemd").iterdir()}
    assert "scripts/setup.sh" in text and (ROOT / "scripts" / "setup.sh").exists()
    enabled = re.search(r"systemctl enable --now (\S+)", text).group(1)
    assert (ROOT / "systemd" / enabled).exists()


def kubernetes_manifest() -> list[dict]:
    path = re.search(r"kubectl apply -f (\S+)", block("kubernetes")).group(1)
    return list(yaml.safe_load_all((ROOT / path).read_text()))


def test_kubernetes_example_names_the_manifest_and_its_secret():
    text = block("kubernetes")
    docs = {doc["kind"]: doc for doc in kubernetes_manifest()}
    secret = re.search(r"create secret generic (\S+) --from-literal=(\w+)=", text)
    sidecar = next(c for c in docs["StatefulSet"]["spec"]["template"]["spec"]["containers"] if c["name"] == "xhands")
    ref = next(e for e in sidecar["env"] if e["name"] == "XHANDS_TOKEN")["valueFrom"]["secretKeyRef"]
    assert (ref["name"], ref["key"]) == secret.groups()


def with_tag(image: str) -> str:
    return image if ":" in image.rsplit("/", 1)[-1] else f"{image}:latest"


def test_kubernetes_example_loads_the_image_the_manifest_runs():
    """The image built in the README is the one loaded into the cluster and the one the pods run."""
    text = block("kubernetes")
    built = with_tag(re.search(r"^docker build -t (\S+) \.$", text, re.M).group(1))
    assert built == with_tag(shlex.split(block("docker").splitlines()[0])[3]), "the same image as the Docker example"
    loaded = re.search(r"^kind load docker-image (\S+)", text, re.M).group(1)
    assert with_tag(loaded) == built and f"minikube image load {loaded}" in text
    assert text.index("docker build") < text.index("kind load") < text.index("kubectl apply")
    [statefulset] = [doc for doc in kubernetes_manifest() if doc["kind"] == "StatefulSet"]
    for container in statefulset["spec"]["template"]["spec"]["containers"]:
        assert with_tag(container["image"]) == built, container["name"]
        # a loaded image must not be pulled: with a :latest tag Kubernetes would pull Always by default
        assert container["imagePullPolicy"] == "IfNotPresent", container["name"]
        assert f"imagePullPolicy: {container['imagePullPolicy']}" in README


def anchor(heading: str) -> str:
    """The fragment GitHub gives a heading: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_every_link_between_the_documents_leads_somewhere():
    for document in DOCUMENTS:
        for target in re.findall(r"\]\(([^)#:]*)(?:#([^)]*))?\)", document.read_text()):
            path, fragment = target
            linked = (document.parent / path).resolve() if path else document
            assert linked.exists(), f"{document.name} links to {path}"
            if fragment:
                headings = re.findall(r"(?m)^#+ (.*)$", linked.read_text())
                assert fragment in {anchor(h) for h in headings}, f"{document.name} links to {path}#{fragment}"


def test_readme_names_no_file_that_is_missing():
    for path in re.findall(r"`((?:systemd|scripts|examples|tests|daemon|input|bezier|docs)/[\w@./-]+)`", README):
        assert (ROOT / path).exists(), path




async def mcp_tool_names(server_spec) -> list[str]:
    from mcp import Client

    async with Client(server_spec) as mcp:
        return [tool.name for tool in (await mcp.list_tools()).tools]


def test_mcp_config_starts_the_stdio_server(shell_env, tmp_path):
    config = json.loads(block("mcp-config"))["mcpServers"]["xhands"]
    path = shell_env["PATH"].split(":", 1)[0]  # the `xhands` shim; XHANDS_URL names the private daemon
    command = StdioServerParameters(command=f"{path}/{config['command']}", args=config["args"], env=shell_env, cwd=tmp_path)
    assert asyncio.run(mcp_tool_names(command)) == ["computer_action"]


def test_mcp_remote_config_reaches_the_daemon_it_names(shell_env, tmp_path, server):
    """The macOS/Windows config: `--url` in args, the token in env; run with this checkout's command."""
    config = json.loads(block("mcp-remote-config"))["mcpServers"]["xhands"]
    assert config["command"].endswith("/xhands") and "XHANDS_TOKEN" in config["env"]
    args = [server.url if arg == DEFAULT_URL else arg for arg in config["args"]]
    assert args != config["args"], "the config names the daemon with --url"
    path = shell_env["PATH"].split(":", 1)[0]
    env = {**shell_env, **config["env"], "XHANDS_URL": "http://127.0.0.1:9"}  # only --url can lead to the daemon
    command = StdioServerParameters(command=f"{path}/xhands", args=args, env=env, cwd=tmp_path)
    assert asyncio.run(mcp_tool_names(command)) == ["computer_action"]


def test_mcp_url_serves_the_tool(server):
    url = block("mcp-url")
    assert url == f"{DEFAULT_URL}/mcp"
    assert asyncio.run(mcp_tool_names(url.replace(DEFAULT_URL, server.url))) == ["computer_action"]


def test_mcp_transcript_is_what_the_tool_answers(server):
    from mcp import Client

    transcript = json.loads(block("mcp-transcript"))

    async def call():
        async with Client(f"{server.url}/mcp") as mcp:
            return await mcp.call_tool(transcript["call"]["name"], transcript["call"]["arguments"])

    result = asyncio.run(call()).model_dump(mode="json", by_alias=True, exclude_none=True)
    assert {key: result[key] for key in transcript["result"]} == transcript["result"]
