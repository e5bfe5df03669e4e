"""With an LLM configured, the LLM may propose the plan; the executor still computes every number.

The LLM sees the plan schema, the names the rules linked in the question and the rules' own plan,
and answers with one JSON plan. The proposal is used only when it parses (`Plan.from_json`
validates every key and value) and is safe: every project, department, indicator and record id
it names exists in the catalog, and it does not refuse a question the rules found names in.
Anything else falls back to the rules' plan, with the reason kept. Nothing here runs, and
nothing touches the network, without JIXIAO_LLM_BASE_URL and JIXIAO_LLM_MODEL.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from typing import Any

from assistant.parse import Parsed
from assistant.plan import Op, Plan, PlanError
from assistant.vocabulary import Vocabulary
from ingest.normalize import for_matching
from settings import Settings

log = logging.getLogger(__name__)

SYSTEM = (
    "你把关于项目支出绩效目标表的问题翻译成查询计划 JSON。只输出一个 JSON 对象,不要解释。\n"
    "键: op(lookup|list|count|sum|average|median|max|min|sort|top|share|difference|ratio|all_have|exists|reverse|per_unit|"
    "search|refuse), measure(amount|funding|goal|indicator_value|indicators|indicator_count|projects|weight), "
    "column(total|fiscal|special|other), "
    "scope{projects:[项目名], departments:[部门名], years:[年份], level1:[一级代码 1产出 2效益 3满意度], "
    "level2:[二级代码 11数量 12质量 13时效 14成本 21经济效益 22社会效益 23生态效益 24可持续影响], indicators:[指标名], "
    "conditions:[{kind: empty_annual|empty_value|vague_value|no_number|values_differ|value_contains|row_mentions|"
    "amount_gt|amount_lt|lacks_category|has_category|uses_column|excludes|project_mentions, arg}], previous:false}, k, "
    "order(desc|asc), unit(万元|元|%|空), value_field(period|annual|actual 实际完成值|score 得分|空), "
    "per(per_unit 的计数单位,如 台/人/行政村), "
    "versus(difference/ratio 的第二个对象:另一个计划,如某部门的 sum)。\n只能使用给出的名称;与表格无关的问题用 op=refuse。"
)
_JSON = re.compile(r"\{.*\}", re.S)


@dataclass
class Proposal:
    plan: Plan | None
    reason: str = ""  # why no plan was taken from the LLM


def prompt(question: str, parsed: Parsed) -> str:
    links = parsed.links
    names = {
        "projects": [n for m in links.matches for n in m.names],
        "departments": links.departments,
        "indicators": list(dict.fromkeys(i.indicator for i in links.mentions)),
        "level1": list(links.level1),
        "level2": list(links.level2),
    }
    rules = parsed.plan.to_json()
    return (f"问题:{question}\n问题中识别出的名称:{json.dumps(names, ensure_ascii=False)}\n"
            f"规则给出的计划(可能有误):{json.dumps(rules, ensure_ascii=False)}\n请输出查询计划 JSON。")


def unsafe(plan: Plan, parsed: Parsed, vocab: Vocabulary) -> str:
    """Why a validated plan cannot be run as it is, or "" when it can."""
    s = plan.scope
    known_projects = {for_matching(p.project) for p in vocab.projects}
    for name in s.projects:
        if for_matching(name) not in known_projects:
            return f"计划中的项目“{name}”不在数据中"
    for d in s.departments:
        if d not in vocab.departments:
            return f"计划中的部门“{d}”不在数据中"
    for name in s.indicators:
        if for_matching(name) not in vocab.by_name:
            return f"计划中的指标“{name}”不在数据中"
    by_id = vocab.catalog.by_id
    for rid in (*s.project_ids, *s.indicator_ids):
        if rid not in by_id:
            return f"计划中的记录 {rid} 不在数据中"
    if plan.op is Op.REFUSE and (parsed.links.matches or parsed.links.mentions or parsed.links.departments):
        return "计划拒答了一个提到数据中名称的问题"
    if plan.scope.previous:
        return "计划引用了上一轮结果(只能由对话状态决定)"
    if plan.versus is not None and (unsafe_versus := unsafe(plan.versus, parsed, vocab)):
        return unsafe_versus
    step = plan.then
    while step is not None:
        if unsafe_step := unsafe(step.with_scope(previous=False), parsed, vocab):
            return unsafe_step
        step = step.then
    return ""


def read_plan(text: str, parsed: Parsed, vocab: Vocabulary) -> Proposal:
    """The plan in an LLM reply when it is valid and safe."""
    m = _JSON.search(text or "")
    if not m:
        return Proposal(None, "LLM 没有返回 JSON 计划")
    try:
        data: Any = json.loads(m.group(0))
        plan = Plan.from_json(data)
    except (json.JSONDecodeError, PlanError) as exc:
        return Proposal(None, f"LLM 计划无效: {exc}")
    reason = unsafe(plan, parsed, vocab)
    if reason:
        return Proposal(None, f"LLM 计划不安全: {reason}")
    plan.source = "llm"
    return Proposal(plan)


class Planner:
    """Asks an OpenAI-compatible endpoint (llama-index OpenAILike) for a plan."""

    def __init__(self, settings: Settings) -> None:
        from llama_index.llms.openai_like import OpenAILike

        self.llm: Any = OpenAILike(model=settings.llm_model, api_base=settings.llm_base_url, api_key=settings.llm_api_key,
                                   is_chat_model=True, context_window=8192, max_tokens=600, timeout=30.0, max_retries=0,
                                   temperature=0.0)

    def propose(self, question: str, parsed: Parsed, vocab: Vocabulary) -> Proposal:
        """The LLM's plan when it is valid and safe, else no plan and the reason."""
        from llama_index.core.llms import ChatMessage

        try:
            reply = self.llm.chat([ChatMessage(role="system", content=SYSTEM),
                                   ChatMessage(role="user", content=prompt(question, parsed))])
            text = reply.message.content or ""
        except Exception as exc:  # any transport or API failure: the rules' plan stands
            log.warning("LLM planning failed, using the rules' plan: %s", exc)
            return Proposal(None, f"LLM 调用失败: {exc}")
        proposal = read_plan(text, parsed, vocab)
        if proposal.plan is None:
            log.warning("LLM plan rejected: %s", proposal.reason)
        return proposal


def make_planner(settings: Settings) -> Planner | None:
    """A Planner when an endpoint is configured, else None."""
    if settings.llm_base_url and settings.llm_model:
        return Planner(settings)
    return None
