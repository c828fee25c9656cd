"""An agent loop with OpenAI's computer-use tool, its actions run by xhands.

    OPENAI_API_KEY=... python examples/openai_agent.py "Open the settings page"

The tool definition comes from xhands (the screen's size); each computer_call item goes to xhands as it is,
and its answer is the computer_call_output to send back. XHANDS_URL (default http://127.0.0.1:10001) and
XHANDS_TOKEN reach the daemon; OPENAI_BASE_URL another model server.
"""

import os
import sys

import httpx
import openai

MODEL = os.environ.get("OPENAI_MODEL", "computer-use-preview")


def run(task: str) -> str:
    token = os.environ.get("XHANDS_TOKEN")
    xhands = httpx.Client(base_url=os.environ.get("XHANDS_URL", "http://127.0.0.1:10001"), timeout=120,
                          headers={"Authorization": f"Bearer {token}"} if token else {})
    tool = xhands.get("/agents/openai/tool").raise_for_status().json()
    model = openai.OpenAI()
    reply = model.responses.create(model=MODEL, tools=[tool], input=task, truncation="auto")
    while True:
        calls = [item for item in reply.output if item.type == "computer_call"]
        if not calls:
            return reply.output_text
        outputs = [xhands.post("/agents/openai/computer", json=call.model_dump(exclude_none=True)).raise_for_status().json()
                   for call in calls]
        reply = model.responses.create(model=MODEL, tools=[tool], input=outputs, previous_response_id=reply.id,
                                       truncation="auto")


if __name__ == "__main__":
    print(run(" ".join(sys.argv[1:]) or "Take a screenshot and describe the screen."))
