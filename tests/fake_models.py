"""A model server that replays a scripted conversation, for running the agent examples with the official SDKs
where no model can be reached: each POST gets the next scripted reply, and what the SDK sent is recorded."""

import http.server
import json
import threading


class FakeModel:
    """    with FakeModel([reply, ...]) as fake:  # point the SDK's base_url at fake.url
            ...
        fake.requests: [(path, headers, body), ...] in order"""

    def __init__(self, replies: list[dict]):
        self.replies = list(replies)
        self.requests: list[tuple[str, dict, dict]] = []
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.requests.append((self.path, dict(self.headers), body))
                reply = fake.replies.pop(0) if fake.replies else {"error": {"message": "the script has ended"}}
                data = json.dumps(reply).encode()
                self.send_response(200 if "error" not in reply else 500)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> "FakeModel":
        threading.Thread(target=self.server.serve_forever, name="fake-model", daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def anthropic_message(number: int, *content: dict) -> dict:
    """A Messages API reply; it asks for tools when it has tool_use blocks."""
    asks = any(block["type"] == "tool_use" for block in content)
    return {"id": f"msg_{number}", "type": "message", "role": "assistant", "model": "fake", "content": list(content),
            "stop_reason": "tool_use" if asks else "end_turn", "stop_sequence": None,
            "usage": {"input_tokens": 1, "output_tokens": 1}}


def computer_use(number: int, **tool_input) -> dict:
    return anthropic_message(number, {"type": "tool_use", "id": f"toolu_{number}", "name": "computer", "input": tool_input})


def toolset_use(number: int, name: str, **tool_input) -> dict:
    """A reply asking for one member of Anthropic's computer toolset, as the model sends it."""
    return anthropic_message(number, {"type": "tool_use", "id": f"toolu_{number}", "name": name,
                                      "toolset_name": "computer", "input": tool_input})


def openai_response(number: int, *output: dict) -> dict:
    return {"id": f"resp_{number}", "object": "response", "created_at": 0, "model": "fake", "status": "completed",
            "output": list(output), "parallel_tool_calls": True, "tool_choice": "auto", "tools": []}


def computer_call(number: int, action: dict) -> dict:
    return openai_response(number, {"type": "computer_call", "id": f"cu_{number}", "call_id": f"call_{number}",
                                    "action": action, "pending_safety_checks": [], "status": "completed"})


def openai_answer(number: int, text: str) -> dict:
    return openai_response(number, {"type": "message", "id": f"msg_{number}", "role": "assistant", "status": "completed",
                                    "content": [{"type": "output_text", "text": text, "annotations": []}]})
