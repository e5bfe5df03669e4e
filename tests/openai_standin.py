"""A real OpenAI-compatible chat-completions server on 127.0.0.1 for the LLM tests: each test says what it
replies (`reply(system, prompt)`), the server records every prompt it was sent."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Reply = Callable[[str, str], str]


class Completions(BaseHTTPRequestHandler):
    """Answers POST /v1/chat/completions with `reply(system, last user message)`."""

    prompts: list[str]
    reply: Reply
    fixed = ""  # when set, the reply to every request

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        system, prompt = body["messages"][0]["content"], body["messages"][-1]["content"]
        type(self).prompts.append(prompt)
        text = type(self).fixed or type(self).reply(system, prompt)
        payload = json.dumps({"id": "x", "object": "chat.completion", "created": 0, "model": body["model"],
                              "choices": [{"index": 0, "finish_reason": "stop",
                                           "message": {"role": "assistant", "content": text}}],
                              "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def serving(reply: Reply) -> Iterator[tuple[str, type[Completions]]]:
    """(base URL, handler class) of a server answering with `reply` (or the class's `fixed` text)."""
    handler = type("Handler", (Completions,), {"prompts": [], "reply": staticmethod(reply)})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1", handler
    finally:
        server.shutdown()
