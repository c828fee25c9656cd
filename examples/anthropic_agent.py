"""An agent loop with Anthropic's computer tool or computer toolset, its actions run by xhands.

    ANTHROPIC_API_KEY=... python examples/anthropic_agent.py "Open the settings page"

The tool definition comes from xhands: ANTHROPIC_COMPUTER_TOOL names its version, the single `computer` tool
(computer_20250124 by default, or computer_20251124) whose definition gives the screen's size in the
coordinate space the model sees, or the toolset computer_toolset_20260801, each action a tool of its own, whose
coordinates are those of the screenshots it gets. Each tool_use block goes to xhands whole, and its answer is
the tool_result as it is. XHANDS_URL (default http://127.0.0.1:10001) and XHANDS_TOKEN reach the daemon;
ANTHROPIC_BASE_URL another model server.
"""

import os
import sys

import anthropic
import httpx

MODEL = os.environ.get("ANTHROPIC_MODEL", "claude-sonnet-4-5")
VERSION = os.environ.get("ANTHROPIC_COMPUTER_TOOL", "computer_20250124")
# The beta header each version of the single tool goes with; the toolset needs none.
BETAS = {"computer_20250124": ["computer-use-2025-01-24"], "computer_20251124": ["computer-use-2025-11-24"]}


def run(task: str) -> str:
    token = os.environ.get("XHANDS_TOKEN")
    xhands = httpx.Client(base_url=os.environ.get("XHANDS_URL", "http://127.0.0.1:10001"), timeout=120,
                          headers={"Authorization": f"Bearer {token}"} if token else {})
    tool = xhands.get("/agents/anthropic/tool", params={"version": VERSION}).raise_for_status().json()
    model = anthropic.Anthropic()
    messages = [{"role": "user", "content": task}]
    while True:
        reply = model.beta.messages.create(model=MODEL, max_tokens=4096, tools=[tool], messages=messages,
                                           betas=BETAS.get(VERSION, anthropic.omit))
        messages.append({"role": "assistant", "content": reply.content})
        calls = [block for block in reply.content if block.type == "tool_use"]
        if not calls:
            return "".join(block.text for block in reply.content if block.type == "text")
        results = [xhands.post("/agents/anthropic/computer", json=call.model_dump()).raise_for_status().json()
                   for call in calls]  # each the tool_result of its block
        messages.append({"role": "user", "content": results})


if __name__ == "__main__":
    print(run(" ".join(sys.argv[1:]) or "Take a screenshot and describe the screen."))
