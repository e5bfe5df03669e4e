"""Conditions on rows, defined once: the audit rules and the plan's row conditions both use these.

"Missing value" means one thing everywhere: `empty_annual` is an indicator whose 年度指标值 is not
filled (whatever its 实施周期指标值 says), `empty_value` one where neither value is filled. A value
is vague when it holds no number, comparison or checkable criterion (`vague_reason`).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from assistant.plan import Cond, Condition
from ingest.normalize import for_matching
from ingest.records import Indicator, Project

# A value is verifiable when it holds a number, a comparison, or a criterion one can check.
_NUMBER = re.compile(r"\d|[一二两三四五六七八九十百千万]\s*[个次人名台套家项件户场册篇期批%]")
_COMPARATOR = re.compile(
    r"[≥≤<>≦≧≪≫=]|不低于|不少于|不高于|不超过|不大于|不小于|低于|高于|少于|多于|以内|之内|以前|之前|前完成"
    r"|(?:\d|[一二两三四五六七八九十百千万]|称职|合格|良好|优秀|达标)\s*(?:及|或|以)?\s*(?:以上|以下)"
)
CRITERIA: tuple[str, ...] = (
    "合格", "达标", "称职", "优秀", "通过验收", "验收通过", "全部", "全覆盖", "按时", "按期", "如期", "零", "无重大",
    "无投诉", "不得分", "得满分", "是否", "有则", "完成",
)
# Scoring left to the assessor's judgement: not verifiable even next to a number.
DISCRETIONARY: tuple[str, ...] = ("酌情", "视情况", "适当扣分", "适当加分")


def vague_reason(value: str) -> str:
    """Why a value cannot be verified, or "" when it can (or is empty)."""
    text = for_matching(value)
    if not text:
        return ""
    for word in DISCRETIONARY:
        if word in text:
            return f"评分含“{word}”,由评价人自行判断"
    if _NUMBER.search(text) or _COMPARATOR.search(text) or any(w in text for w in CRITERIA):
        return ""
    return "没有数字、比较条件或可核验的标准"


def empty_annual(i: Indicator) -> bool:
    """The 年度指标值 is not filled."""
    return not i.annual_value.strip()


def empty_value(i: Indicator) -> bool:
    """Neither value is filled."""
    return not i.period_value.strip() and not i.annual_value.strip()


def vague_value(i: Indicator) -> bool:
    """Either value is filled with something that cannot be verified."""
    return bool(vague_reason(i.period_value) or vague_reason(i.annual_value))


def no_number(i: Indicator) -> bool:
    """Filled, and neither value holds a number: the target is described in words only."""
    values = [for_matching(v) for v in (i.period_value, i.annual_value) if v.strip()]
    return bool(values) and not any(_NUMBER.search(v) or re.search(r"\d", v) for v in values)


def mentions(text: str, word: str) -> bool:
    return bool(word) and for_matching(word) in for_matching(text)


def values_differ(i: Indicator) -> bool:
    """Both values are filled and say different things."""
    return bool(i.annual_value and i.period_value and for_matching(i.annual_value) != for_matching(i.period_value))


def value_contains(i: Indicator, text: str) -> bool:
    return for_matching(text) in for_matching(f"{i.period_value} {i.annual_value}")


RowTest = Callable[[Indicator, Condition], bool]
ProjectTest = Callable[[Project, list[Indicator], Condition], bool]

# What each condition keeps, and how an answer names the rows kept ({arg} filled in).
ROW_CONDITIONS: dict[Cond, tuple[RowTest, str]] = {
    Cond.EMPTY_ANNUAL: (lambda i, c: empty_annual(i), "年度指标值未填写的指标"),
    Cond.EMPTY_VALUE: (lambda i, c: empty_value(i), "实施周期指标值和年度指标值都未填写的指标"),
    Cond.VAGUE_VALUE: (lambda i, c: vague_value(i), "指标值无法量化核验的指标"),
    Cond.NO_NUMBER: (lambda i, c: no_number(i), "指标值没有具体数字(定性描述)的指标"),
    Cond.ROW_MENTIONS: (lambda i, c: mentions(f"{i.indicator} {i.reading} {i.period_value} {i.annual_value}", str(c.arg)),
                        "名称或指标值提到“{arg}”的指标"),
    Cond.VALUES_DIFFER: (lambda i, c: values_differ(i), "年度指标值与实施周期指标值不同的指标"),
    Cond.VALUE_CONTAINS: (lambda i, c: value_contains(i, str(c.arg)), "指标值含“{arg}”的指标"),
}


def _amount(p: Project) -> float:
    return p.total if p.total is not None else 0.0


def _has(rows: list[Indicator], code: str) -> bool:
    return any(i.level1_code == code or i.level2_code == code for i in rows)


PROJECT_CONDITIONS: dict[Cond, tuple[ProjectTest, str]] = {
    Cond.AMOUNT_GT: (lambda p, rows, c: p.total is not None and _amount(p) > float(c.arg), "预算超过{arg}万元的项目"),
    Cond.AMOUNT_LT: (lambda p, rows, c: p.total is not None and _amount(p) < float(c.arg), "预算低于{arg}万元的项目"),
    Cond.HAS_CATEGORY: (lambda p, rows, c: _has(rows, str(c.arg)), "设置了{name}的项目"),
    Cond.LACKS_CATEGORY: (lambda p, rows, c: not _has(rows, str(c.arg)), "没有设置{name}的项目"),
    Cond.USES_COLUMN: (lambda p, rows, c: bool(getattr(p, str(c.arg), None)), "使用{name}的项目"),
    Cond.COUNT_GT: (lambda p, rows, c: len(rows) > float(c.arg), "绩效指标多于{arg}条的项目"),
    Cond.COUNT_LT: (lambda p, rows, c: len(rows) < float(c.arg), "绩效指标少于{arg}条的项目"),
    Cond.EXCLUDES: (lambda p, rows, c: for_matching(p.project) != for_matching(str(c.arg)), "{arg}以外的项目"),
    Cond.PROJECT_MENTIONS: (lambda p, rows, c: mentions(f"{p.project} {p.goal}", str(c.arg)), "名称或绩效目标提到“{arg}”的项目"),
}
