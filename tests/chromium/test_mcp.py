"""Kernel's "Search from the page" example of computer_action, sent over MCP to a real Chromium page."""

import asyncio
import base64
import io

from mcp import Client
from PIL import Image

from tests.chromium.conftest import keep_screenshot
from tests.test_mcp import SEARCH_EXAMPLE


def dark_pixels(image: Image.Image, box: dict) -> int:
    """Pixels of text inside a field (its border left out)."""
    inner = (box["left"] + 4, box["top"] + 4, box["left"] + box["width"] - 4, box["top"] + box["height"] - 4)
    histogram = image.convert("L").crop(inner).histogram()
    return sum(histogram[:100])


def test_search_example_types_into_the_field_and_shows_it(page, client, daemon):
    # Kernel's example as given, but for the point of the click (the page's text field) and the screenshot's
    # settle_ms, which the tool's description tells an agent to add: its fixed 1 s sleep shows the typed text
    # on an idle machine, but not under load, where Chromium may draw it later still.
    x, y = page.at("in1")
    arguments = {**SEARCH_EXAMPLE, "actions": [{"type": "click_mouse", "click_mouse": {"x": x, "y": y}},
                                               *SEARCH_EXAMPLE["actions"][1:-1],
                                               {"type": "screenshot", "screenshot": {"settle_ms": 100}}]}

    async def call():
        async with Client(f"{daemon.url}/mcp") as mcp:
            return await mcp.call_tool("computer_action", arguments)

    result = asyncio.run(call())
    assert not result.is_error, result.content
    assert [block.type for block in result.content] == ["text", "text", "image"]
    assert result.content[0].text == "Executed 4 action(s), then captured screenshot."
    assert result.content[1].text.startswith("Viewport: 1280x800.")
    png = base64.b64decode(result.content[2].data)
    keep_screenshot("mcp_search_example", png)
    assert page.js("document.getElementById('in1').value") == "kernel browsers"
    assert [e["key"] for e in page.events("keydown")][-1] == "Enter"

    # The same field emptied by keys, and shown settled likewise: the picture to compare with.
    field = page.rect("in1")
    shown = dark_pixels(Image.open(io.BytesIO(png)), field)
    assert client.post("/computer/press_key", json={"keys": ["Ctrl+a"]}).status_code == 200
    assert client.post("/computer/press_key", json={"keys": ["BackSpace"]}).status_code == 200
    emptied = client.post("/computer/screenshot", json={"settle_ms": 100})
    assert page.js("document.getElementById('in1').value") == ""
    empty = dark_pixels(Image.open(io.BytesIO(emptied.content)), field)
    print(f"dark pixels in the field: {shown} with the text, {empty} without")
    assert shown > empty + 100, f"the typed text is in the picture ({shown} dark pixels, {empty} without it)"
