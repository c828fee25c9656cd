"""An agent loop with Anthropic's computer tool, its actions run by xhands.

    ANTHROPIC_API_KEY=... python examples/anthropic_agent.py "Open the settings page"

The tool definition comes from xhands (the screen's size in the coordinate space the model sees); each
tool_use input goes to xhands as it is, and its answer is the tool_result as it is. XHANDS_URL (default
http://127.0.0.1:10001) and XHANDS_TOKEN reach the daemon; ANTHROPIC_BASE_URL another model server.
"""

import os
import sys

import anthropic
import httpx

MODEL = os.environ.get("ANTHROPIC_MODEL", "claude-sonnet-4-5")
BETA = "computer-use-2025-01-24"  # goes with the tool version below


def run(task: str) -> str:
    token = os.environ.get("XHANDS_TOKEN")
    xhands = httpx.Client(base_url=os.environ.get("XHANDS_URL", "http://127.0.0.1:10001"), timeout=120,
                          headers={"Authorization": f"Bearer {token}"} if token else {})
    tool = xhands.get("/agents/anthropic/tool", params={"version": "computer_20250124"}).raise_for_status().json()
    model = anthropic.Anthropic()
    messages = [{"role": "user", "content": task}]
    while True:
        reply = model.beta.messages.create(model=MODEL, max_tokens=4096, tools=[tool], messages=messages, betas=[BETA])
        messages.append({"role": "assistant", "content": reply.content})
        calls = [block for block in reply.content if block.type == "tool_use"]
        if not calls:
            return "".join(block.text for block in reply.content if block.type == "text")
        results = []
        for call in calls:
            answer = xhands.post("/agents/anthropic/computer", json=call.input).raise_for_status().json()
            results.append({"type": "tool_result", "tool_use_id": call.id, **answer})
        messages.append({"role": "user", "content": results})


if __name__ == "__main__":
    print(run(" ".join(sys.argv[1:]) or "Take a screenshot and describe the screen."))
