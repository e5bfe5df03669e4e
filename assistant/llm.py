"""Optional phrasing by an OpenAI-compatible LLM, behind a grounding guard.

The composed answer is already correct and cited. When JIXIAO_LLM_BASE_URL and
JIXIAO_LLM_MODEL are set, an LLM may rewrite it more naturally, from the cited rows only.
The guard accepts the rewrite only if every number, every quoted name and every [n] in it
occurs in the cited rows (or the composed answer); otherwise the composed answer stands and
the reason is logged. Without configuration nothing here runs and nothing touches the network.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

from ingest.normalize import for_matching
from ingest.records import Indicator, Record
from settings import Settings

log = logging.getLogger(__name__)

SYSTEM = ("你是预算绩效表问答助手。只根据给出的“引用行”改写“草稿答案”,使其通顺简洁。"
          "不得增加引用行中没有的任何数字、指标名称、金额或事实;保留所有引用编号如[1]。只输出改写后的答案。")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_QUOTED = re.compile(r"“([^”]{2,40})”")
_REF = re.compile(r"\[(\d+)\]")


@dataclass
class Phrasing:
    text: str
    by_llm: bool
    reason: str = ""  # why the LLM's text was not used


def _row_text(r: Record) -> str:
    if isinstance(r, Indicator):
        return f"{r.project} {r.level1} {r.level2} {r.indicator} 实施周期指标值:{r.period_value} 年度指标值:{r.annual_value}"
    amounts = " ".join(f"{k}:{v}" for k, v in (("总计", r.total), ("财政拨款", r.fiscal), ("财政专户拨款", r.special),
                                                ("其他资金", r.other)) if v is not None)
    return f"{r.project} {amounts} 万元 绩效目标:{r.goal}"


def prompt(question: str, draft: str, rows: list[Record]) -> str:
    cited = "\n".join(f"[{n}] {_row_text(r)}" for n, r in enumerate(rows, 1))
    return f"问题:{question}\n\n引用行:\n{cited}\n\n草稿答案:\n{draft}"


def check(text: str, draft: str, rows: list[Record]) -> str:
    """Empty when `text` is grounded; otherwise the first reason it is not."""
    if not text.strip():
        return "LLM 返回为空"
    sources = for_matching(" ".join([draft, *(_row_text(r) + " " + r.text for r in rows)]))
    for number in _NUMBER.findall(for_matching(text)):
        if number not in sources and number.rstrip("0").rstrip(".") not in sources:
            return f"数字“{number}”不在引用行中"
    for name in _QUOTED.findall(text):
        if for_matching(name) not in sources:
            return f"名称“{name}”不在引用行中"
    for ref in _REF.findall(text):
        if not 1 <= int(ref) <= len(rows):
            return f"引用编号[{ref}]不存在"
    if rows and not _REF.search(text):
        return "改写丢失了引用编号"
    return ""


class Phraser:
    """Rewrites answers through an OpenAI-compatible endpoint (llama-index OpenAILike)."""

    def __init__(self, settings: Settings) -> None:
        from llama_index.llms.openai_like import OpenAILike

        self.llm: Any = OpenAILike(model=settings.llm_model, api_base=settings.llm_base_url, api_key=settings.llm_api_key,
                                   is_chat_model=True, context_window=8192, max_tokens=800, timeout=30.0, max_retries=0,
                                   temperature=0.0)

    def phrase(self, question: str, draft: str, rows: list[Record]) -> Phrasing:
        """The LLM's rewrite when the guard accepts it, else the draft with the reason."""
        from llama_index.core.llms import ChatMessage

        try:
            reply = self.llm.chat([ChatMessage(role="system", content=SYSTEM),
                                   ChatMessage(role="user", content=prompt(question, draft, rows))])
            text = (reply.message.content or "").strip()
        except Exception as exc:  # any transport or API failure: the composed answer stands
            log.warning("LLM phrasing failed, using the composed answer: %s", exc)
            return Phrasing(draft, False, f"LLM 调用失败: {exc}")
        reason = check(text, draft, rows)
        if reason:
            log.warning("LLM phrasing rejected by the grounding guard: %s", reason)
            return Phrasing(draft, False, reason)
        return Phrasing(text, True)


def make_phraser(settings: Settings) -> Phraser | None:
    """A Phraser when an endpoint is configured, else None."""
    if settings.llm_base_url and settings.llm_model:
        return Phraser(settings)
    return None
