"""An LLM may propose the plan: a real OpenAI-compatible server on 127.0.0.1 answering with a valid,
an invalid and an unsafe plan. The executor computes the numbers either way."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from assistant import Assistant, service
from assistant.llm_plan import make_planner
from assistant.plan import Measure, Op

PLANS = {
    "信创工作经费": '好的:\n```json\n{"op": "lookup", "measure": "amount", "scope": {"projects": ["信创工作经费"]}}\n```',
    "扶贫工作经费": '{"op": "delete_everything", "measure": "amount"}',
    "民营经济服务工作经费": '{"op": "lookup", "measure": "amount", "scope": {"projects": ["不存在的项目经费"]}}',
    "办公场地项目经费": "我不知道",
}


class _Completions(BaseHTTPRequestHandler):
    """Plans for prompts that ask for one (by the project in the question); echoes drafts otherwise."""

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        system, prompt = body["messages"][0]["content"], body["messages"][-1]["content"]
        type(self).prompts.append(prompt)
        if "查询计划" in system:
            question = re.search(r"问题:(.*)", prompt).group(1)  # type: ignore[union-attr]
            text = next((plan for name, plan in PLANS.items() if name in question), "{}")
        else:
            text = prompt.split("草稿答案:\n", 1)[-1]
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
def planned(index, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Assistant, type[_Completions]]]:
    handler = type("Handler", (_Completions,), {"prompts": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    settings = replace(index.settings, llm_base_url=url, llm_model="local-test", llm_api_key="none")
    assistant = Assistant(index)
    assistant.planner = make_planner(settings)
    monkeypatch.setattr(service, "SECOND_OPINION_BELOW", 1.01)  # ask the LLM for every question
    try:
        yield assistant, handler
    finally:
        server.shutdown()


def test_a_valid_llm_plan_is_executed_over_the_rows(planned) -> None:
    assistant, handler = planned
    answer = assistant.ask("信创工作经费的情况")
    assert answer.plan is not None and answer.plan.source == "llm"
    assert (answer.plan.op, answer.plan.measure) == (Op.LOOKUP, Measure.AMOUNT)
    assert "2.00万元" in answer.answer and answer.citations[0].project == "信创工作经费"
    assert "信创工作经费" in handler.prompts[0]  # the linked names were sent


@pytest.mark.parametrize(("question", "reason"), [
    ("扶贫工作经费的情况", "无效"),  # not a plan of the schema
    ("民营经济服务工作经费的情况", "不安全"),  # a project the data does not have
    ("办公场地项目经费的情况", "JSON"),  # no plan at all
])
def test_an_invalid_or_unsafe_llm_plan_falls_back_to_the_rules(planned, question: str, reason: str) -> None:
    assistant, _ = planned
    rules = service.parse(question, assistant.vocabulary).plan
    answer = assistant.ask(question)
    assert answer.plan is not None and answer.plan.source in ("rules", "bank")
    if answer.plan.source == "rules":
        assert (answer.plan.op, answer.plan.measure) == (rules.op, rules.measure)
    assert reason in answer.llm_note
    assert answer.citations and not answer.refused
