"""An agent loop in Tzafon's style: a model's computer actions run by xhands through Lightcone's own SDK.

    TZAFON_API_KEY=... python examples/lightcone_agent.py "Find the pricing page" https://example.com

The same `tzafon` client talks to the model (Tzafon's Responses API) and, pointed at xhands, to a browser
computer: the model's computer_call actions are Lightcone actions, passed as they are to computers.batch, and
a screenshot after each turn goes back as the computer_call_output. XHANDS_URL (default http://127.0.0.1:10001)
and XHANDS_TOKEN reach the daemon, which needs --max-computers (a computer of kind "browser") or --cdp (its own
display's browser, the computer `local`); LIGHTCONE_BASE_URL another model server.
"""

import os
import sys

from tzafon import Lightcone

MODEL = os.environ.get("TZAFON_MODEL", "tzafon.northstar-cua-fast")
WIDTH, HEIGHT = 1280, 800


def run(task: str, start_url: str | None = None) -> str:
    xhands = Lightcone(api_key=os.environ.get("XHANDS_TOKEN") or "unused",
                       base_url=os.environ.get("XHANDS_URL", "http://127.0.0.1:10001")).computers
    model = Lightcone()
    computer = xhands.create(kind="browser", display={"width": WIDTH, "height": HEIGHT})
    try:
        if start_url:
            xhands.navigate(computer.id, url=start_url)
        tool = {"type": "computer_use_preview", "display_width": WIDTH, "display_height": HEIGHT, "environment": "browser"}
        reply = model.responses.create(model=MODEL, tools=[tool], input=[
            {"role": "user", "content": [{"type": "input_text", "text": task},
                                         {"type": "input_image", "image_url": screenshot(xhands, computer.id)}]}])
        while True:
            calls = [item for item in reply.output if item.type == "computer_call"]
            if not calls:
                return "".join(part.text for item in reply.output if item.type == "message"
                               for part in item.content if part.type == "output_text")
            xhands.batch(computer.id, actions=[call.action.model_dump(exclude_none=True) for call in calls])
            shot = screenshot(xhands, computer.id)
            reply = model.responses.create(model=MODEL, tools=[tool], previous_response_id=reply.id, input=[
                {"type": "computer_call_output", "call_id": call.call_id,
                 "output": {"type": "computer_screenshot", "image_url": shot}} for call in calls])
    finally:
        xhands.delete(computer.id)


def screenshot(xhands, computer_id: str) -> str:
    return xhands.screenshot(computer_id, base64=True).result["screenshot_url"]


if __name__ == "__main__":
    print(run(sys.argv[1] if len(sys.argv) > 1 else "Describe the page.", sys.argv[2] if len(sys.argv) > 2 else None))
