"""Optional LLM phrasing: a real OpenAI-compatible server on 127.0.0.1, one faithful and one invented reply."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from assistant import Assistant
from assistant.llm import make_phraser

FAITHFUL = "扶贫工作经费设置的社会效益指标为“强化社会发动”[1]。"
INVENTED = "扶贫工作经费的社会效益指标是“带动就业人数”,目标为500人[1]。"


class _Completions(BaseHTTPRequestHandler):
    """Answers /v1/chat/completions: invents facts when the prompt is about 民营经济服务工作经费."""

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        prompt = body["messages"][-1]["content"]
        type(self).prompts.append(prompt)
        text = INVENTED if "民营" in prompt else FAITHFUL
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


@pytest.fixture
def llm_server() -> Iterator[tuple[str, type[_Completions]]]:
    handler = type("Handler", (_Completions,), {"prompts": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1", handler
    finally:
        server.shutdown()


def test_faithful_rewrite_is_used_and_invented_one_is_rejected(index, llm_server) -> None:
    url, handler = llm_server
    with_llm = replace(index.settings, llm_base_url=url, llm_model="local-test", llm_api_key="none")
    assistant = Assistant(index)
    assistant.phraser = make_phraser(with_llm)

    good = assistant.ask("扶贫工作经费的社会效益指标是什么")
    assert (good.answer, good.phrased_by) == (FAITHFUL, "llm")
    assert "强化社会发动" in handler.prompts[0]  # the cited rows were sent

    bad = assistant.ask("民营经济服务工作经费的社会效益指标是什么")
    assert bad.phrased_by == "template" and "带动就业人数" not in bad.answer
    assert "发挥企业党员先锋模范作用" in bad.answer and bad.llm_note


def test_without_configuration_no_llm_is_used(assistant) -> None:
    assert assistant.phraser is None
    assert assistant.ask("信创经费买几台电脑").phrased_by == "template"
