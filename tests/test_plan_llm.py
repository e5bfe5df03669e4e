"""An LLM may propose the plan: a real OpenAI-compatible server on 127.0.0.1 answering with a valid,
an invalid and an unsafe plan. The executor computes the numbers either way."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace

import pytest
from openai_standin import Completions, serving

from assistant import Assistant, service
from assistant.llm_plan import make_planner
from assistant.plan import Measure, Op

PLANS = {
    "信创工作经费": '好的:\n```json\n{"op": "lookup", "measure": "amount", "scope": {"projects": ["信创工作经费"]}}\n```',
    "扶贫工作经费": '{"op": "delete_everything", "measure": "amount"}',
    "民营经济服务工作经费": '{"op": "lookup", "measure": "amount", "scope": {"projects": ["不存在的项目经费"]}}',
    "办公场地项目经费": "我不知道",
}


def _reply(system: str, prompt: str) -> str:
    """Plans for prompts that ask for one (by the project in the question); echoes drafts otherwise."""
    if "查询计划" in system:
        question = re.search(r"问题:(.*)", prompt).group(1)  # type: ignore[union-attr]
        return next((plan for name, plan in PLANS.items() if name in question), "{}")
    return prompt.split("草稿答案:\n", 1)[-1]


@pytest.fixture
def planned(index, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Assistant, type[Completions]]]:
    with serving(_reply) as (url, handler):
        settings = replace(index.settings, llm_base_url=url, llm_model="local-test", llm_api_key="none")
        assistant = Assistant(index)
        assistant.planner = make_planner(settings)
        monkeypatch.setattr(service, "SECOND_OPINION_BELOW", 1.01)  # ask the LLM for every question
        yield assistant, handler


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
