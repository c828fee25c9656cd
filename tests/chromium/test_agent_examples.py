"""The agent examples, run as a user runs them with the official SDKs, against a fake model that replays a
conversation (a screenshot, a click into the page's text field, typing, a key, an answer): the text arrives
in Chromium, and every tool result the SDK sent back is well-formed."""

import base64
import io
import os
import subprocess
import sys
from pathlib import Path

from PIL import Image

from tests.fake_models import FakeModel, anthropic_message, computer_call, computer_use, openai_answer, toolset_use

EXAMPLES = Path(__file__).parents[2] / "examples"
TEXT = "héllo wörld 日本語"


def run_example(name: str, daemon, env: dict) -> str:
    done = subprocess.run([sys.executable, str(EXAMPLES / name), "Write in the first field"], capture_output=True,
                          text=True, timeout=60, env={**os.environ, "XHANDS_URL": daemon.url, **env})
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def png_size(data: str) -> tuple[int, int]:
    return Image.open(io.BytesIO(base64.b64decode(data))).size


def test_anthropic_agent_example(page, daemon):
    x, y = page.at("in1")
    script = [computer_use(1, action="screenshot"), computer_use(2, action="left_click", coordinate=[x, y]),
              computer_use(3, action="type", text=TEXT), computer_use(4, action="key", text="End"),
              anthropic_message(5, {"type": "text", "text": "Done."})]
    with FakeModel(script) as fake:
        said = run_example("anthropic_agent.py", daemon, {"ANTHROPIC_BASE_URL": fake.url, "ANTHROPIC_API_KEY": "test"})
    assert said == "Done."
    assert page.js("document.getElementById('in1').value") == TEXT
    assert [e["key"] for e in page.events("keydown")][-1] == "End"
    tool = fake.requests[0][2]["tools"][0]
    assert tool["name"] == "computer" and (tool["display_width_px"], tool["display_height_px"]) == (1280, 800)
    for number, (path, headers, body) in enumerate(fake.requests[1:], start=1):
        assert path.startswith("/v1/messages") and "computer-use-2025-01-24" in headers["anthropic-beta"]
        [result] = body["messages"][-1]["content"]
        assert result["type"] == "tool_result" and result["tool_use_id"] == f"toolu_{number}"
        assert result["is_error"] is False
        [image] = result["content"]
        assert image["source"]["media_type"] == "image/png" and png_size(image["source"]["data"]) == (1280, 800)


def test_anthropic_agent_example_with_the_computer_toolset(page, daemon):
    x, y = page.at("in1")
    script = [toolset_use(1, "screenshot"), toolset_use(2, "left_click", coordinate=[x, y]),
              toolset_use(3, "type", text=TEXT), toolset_use(4, "key", text="BackSpace", repeat=2),
              anthropic_message(5, {"type": "text", "text": "Done."})]
    with FakeModel(script) as fake:
        said = run_example("anthropic_agent.py", daemon, {"ANTHROPIC_BASE_URL": fake.url, "ANTHROPIC_API_KEY": "test",
                                                          "ANTHROPIC_COMPUTER_TOOL": "computer_toolset_20260801"})
    assert said == "Done."
    assert page.js("document.getElementById('in1').value") == TEXT[:-2]
    assert fake.requests[0][2]["tools"] == [{"type": "computer_toolset_20260801"}]
    for number, (path, headers, body) in enumerate(fake.requests[1:], start=1):
        assert "anthropic-beta" not in headers
        [result] = body["messages"][-1]["content"]
        assert result["type"] == "tool_result" and result["tool_use_id"] == f"toolu_{number}"
        assert result["is_error"] is False and png_size(result["content"][0]["source"]["data"]) == (1280, 800)


def test_openai_agent_example(page, daemon):
    x, y = page.at("in1")
    script = [computer_call(1, {"type": "screenshot"}), computer_call(2, {"type": "click", "button": "left", "x": x, "y": y}),
              computer_call(3, {"type": "type", "text": TEXT}), computer_call(4, {"type": "keypress", "keys": ["END"]}),
              openai_answer(5, "Done.")]
    with FakeModel(script) as fake:
        said = run_example("openai_agent.py", daemon, {"OPENAI_BASE_URL": f"{fake.url}/v1", "OPENAI_API_KEY": "test"})
    assert said == "Done."
    assert page.js("document.getElementById('in1').value") == TEXT
    assert [e["key"] for e in page.events("keydown")][-1] == "End"
    assert fake.requests[0][2]["tools"][0]["display_width"] == 1280
    for number, (path, _, body) in enumerate(fake.requests[1:], start=1):
        assert path == "/v1/responses" and body["previous_response_id"] == f"resp_{number}"
        [output] = body["input"]
        assert output["type"] == "computer_call_output" and output["call_id"] == f"call_{number}"
        prefix, data = output["output"]["image_url"].split(",", 1)
        assert prefix == "data:image/png;base64" and png_size(data) == (1280, 800)
