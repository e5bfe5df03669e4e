"""Compose grounded Chinese answers from rows. Every fact printed comes from a cited row.

The phrasing lives here, as templates; the logic picks rows and fills them in.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from ingest.records import Indicator, Project, Record
from ingest.taxonomy import BY_CODE, LEVEL1

UNIT = "万元"
MAX_LIST = 20  # lines a list answer shows (and cites); the 指标浏览 tab has the rest
T_MORE = "(共{total}项,以上列出前{shown}项;完整清单请在“指标浏览”中按条件筛选或导出。)"
T_REFUSE = ("抱歉,这个问题不在我能回答的范围内。我只回答已导入的项目支出绩效目标表里的内容:"
            "各项目的预算金额、资金来源、绩效目标,以及产出、效益、满意度等绩效指标和指标值。")
T_OUTSIDE = "数据中没有关于“{places}”的表格。目前已导入的部门:{departments}。"
T_NOT_FOUND = "在已导入的数据中没有找到能回答这个问题的内容。"
T_UNKNOWN_PROJECT = "已导入的数据中没有“{name}”这个项目。名称最接近的项目有:{closest}。可以换用这些名称再问。"
T_NO_YEAR = "{who}没有{year}年的表格;已导入的年份:{years}。"
T_SEVERAL = "有{n}个项目与问题相符,分别回答:"
T_TOO_MANY = "下面只列出前{k}个;请说明部门或年度以缩小范围。"
T_ROWS = "{what}共{n}条:"
T_NO_ROWS = "没有{what}。"
T_EMPTY_VALUE = "未填写"
COLUMN_LABELS = {"total": "总计", "fiscal": "财政拨款", "special": "财政专户拨款", "other": "其他资金"}


def money(value: float | None) -> str:
    return f"{value:.2f}{UNIT}" if value is not None else T_EMPTY_VALUE


@dataclass
class Draft:
    """An answer being written: text parts and the rows cited, numbered in order of first use."""

    parts: list[str] = field(default_factory=list)
    cited: list[Record] = field(default_factory=list)
    found: bool = True
    refused: bool = False
    _numbers: dict[str, int] = field(default_factory=dict)

    def ref(self, record: Record) -> str:
        if record.id not in self._numbers:
            self.cited.append(record)
            self._numbers[record.id] = len(self.cited)
        return f"[{self._numbers[record.id]}]"

    def listing(self, lines: list[str] | Any, total: int) -> None:
        """Numbered lines, at most MAX_LIST of them (a generator is only drawn that far)."""
        for n, line in enumerate(lines, 1):
            if n > MAX_LIST:
                break
            self.parts.append(f"{n}. {line}")
        if total > MAX_LIST:
            self.parts.append(T_MORE.format(shown=MAX_LIST, total=total))

    def say(self, text: str) -> None:
        self.parts.append(text)

    @property
    def text(self) -> str:
        return "\n".join(p for p in self.parts if p)


def category_path(ind: Indicator) -> str:
    return f"{ind.level1}/{ind.level2}" if ind.level2 else ind.level1


def values_text(ind: Indicator, field_name: str = "") -> str:
    period = ind.period_value or T_EMPTY_VALUE
    annual = ind.annual_value or T_EMPTY_VALUE
    if field_name == "annual":
        return f"年度指标值 {annual}" + (f"(实施周期指标值 {period})" if not ind.annual_value else "")
    if field_name == "period":
        return f"实施周期指标值 {period}"
    if ind.annual_value == ind.period_value:
        return f"实施周期指标值与年度指标值均为 {period}"
    return f"实施周期指标值 {period};年度指标值 {annual}"


def indicator_line(d: Draft, ind: Indicator, with_project: bool = False, field_name: str = "") -> str:
    who = f"{ind.project}的" if with_project else ""
    return f"{who}“{ind.indicator}”({category_path(ind)}):{values_text(ind, field_name)}{d.ref(ind)}"


def categories_summary(indicators: list[Indicator]) -> str:
    """产出指标(数量指标、时效指标)、效益指标(可持续影响指标)"""
    tree: dict[str, list[str]] = defaultdict(list)
    for ind in indicators:
        if ind.level2 and ind.level2 not in tree[ind.level1]:
            tree[ind.level1].append(ind.level2)
        tree.setdefault(ind.level1, [])
    order = [c.name for c in LEVEL1]
    return "、".join(f"{l1}({'、'.join(l2s)})" if l2s else l1
                    for l1, l2s in sorted(tree.items(), key=lambda t: order.index(t[0]) if t[0] in order else 9))


def category_names(level1: tuple[str, ...], level2: tuple[str, ...]) -> str:
    return "、".join(BY_CODE[c].name for c in (*level2, *level1))


def in_category(ind: Indicator, level1: tuple[str, ...], level2: tuple[str, ...]) -> bool:
    if not level1 and not level2:
        return True
    return ind.level2_code in level2 or ind.level1_code in level1


def label(p: Project, many_departments: bool) -> str:
    return f"{p.department}{p.year or ''}年的{p.project}" if many_departments else p.project


def write_indicators(d: Draft, project: Project, rows: list[Indicator], level1: tuple[str, ...],
                     level2: tuple[str, ...], name: str) -> None:
    """A project's indicators in the asked categories, or an honest "none" with what it has."""
    chosen = [i for i in rows if in_category(i, level1, level2)]
    asked = category_names(level1, level2) or "绩效指标"
    if not chosen:
        d.found = False
        if rows:
            d.say(f"{name}没有设置{asked}。它设置的指标有:{categories_summary(rows)}{d.ref(project)}。")
        else:
            d.say(f"{name}在表中没有可识别的绩效指标{d.ref(project)}。")
        return
    if len(chosen) == 1:
        d.say(f"{name}的{asked}是{indicator_line(d, chosen[0])}。")
        return
    d.say(f"{name}的{asked}共{len(chosen)}条:")
    d.listing((indicator_line(d, ind) for ind in chosen), len(chosen))


def write_value(d: Draft, ind: Indicator, field_name: str, with_project: bool = True) -> None:
    """The value first: 信创工作经费的“购置数”实施周期指标值与年度指标值均为 2台。"""
    who = f"{ind.project}的" if with_project else ""
    d.say(f"{who}“{ind.indicator}”{values_text(ind, field_name)}{d.ref(ind)}(属于{category_path(ind)})。")


def write_amount(d: Draft, p: Project, name: str) -> None:
    parts = [f"{COLUMN_LABELS[k]} {money(getattr(p, k))}" for k in ("fiscal", "special", "other") if getattr(p, k)]
    detail = f",其中{'、'.join(parts)}" if parts else ""
    d.say(f"{name}的预算总计 {money(p.total)}{detail}{d.ref(p)}。")


def write_funding(d: Draft, p: Project, name: str) -> None:
    present = [f"{COLUMN_LABELS[k]} {money(getattr(p, k))}" for k in ("fiscal", "special", "other") if getattr(p, k)]
    absent = [COLUMN_LABELS[k] for k in ("fiscal", "special", "other") if not getattr(p, k)]
    if len(present) == 1:
        head = f"{name}的资金全部来自{present[0]}"
    elif present:
        head = f"{name}的资金来源:{'、'.join(present)}"
    else:
        head = f"{name}的资金来源在表中未填写"
    tail = f"({'、'.join(absent)}为空)" if absent and present else ""
    d.say(f"{head}{tail},总计 {money(p.total)}{d.ref(p)}。")


def write_goal(d: Draft, p: Project, name: str) -> None:
    if p.goal:
        d.say(f"{name}的绩效目标:{p.goal}{d.ref(p)}")
    else:
        d.found = False
        d.say(f"{name}在表中没有填写绩效目标{d.ref(p)}。")


def citation(ref: int, r: Record) -> dict[str, Any]:
    """One citation in the JSON contract of DESIGN.md section 5."""
    base: dict[str, Any] = {"ref": ref, "id": r.id, "kind": r.kind, "department": r.department, "year": r.year,
                            "project": r.project, "source": r.source, "line": r.line,
                            "repaired": r.repaired, "repairs": [f"{x.field}: {x.original} → {x.repaired}({x.reason})"
                                                                for x in r.repairs]}
    if isinstance(r, Indicator):
        base.update(level1=r.level1, level2=r.level2, indicator=r.indicator, period_value=r.period_value,
                    annual_value=r.annual_value, amount=None, text=r.text)
    else:
        base.update(level1=None, level2=None, indicator=None, period_value=None, annual_value=None, amount=r.total,
                    total=r.total, fiscal=r.fiscal, special=r.special, other=r.other, text=r.goal)
    return base

