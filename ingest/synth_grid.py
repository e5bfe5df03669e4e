"""Synthetic tables in the national templates' layouts, with ground truth (see ingest.synth).

Layouts: `rows` (several projects, one indicator a row), `form` (the single-project 申报表),
`overall` (整体支出, department-level), `selfeval` (自评表). Each is written in the forms such
tables arrive in: text copied from a web page (pipe-, tab- or space-separated, one cell per line;
merged cells collapsed), CSV, HTML and DOCX (merged cells kept). The damage is what those copies
do to a table, not OCR: collapsed rowspans, values split over operator / number / unit columns
or joined, `>=` for `≥`, full-width digits, amounts in 元 with thousands separators or written
with words (`250万`, `854万(其中…)`), Excel serial dates, names containing spaces, template
categories left empty, web-page lines around the table — and, rarely, an unreadable amount or a
project row whose name was lost (its indicators must be quarantined, never misattributed).
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ingest.normalize import clean_value
from ingest.synth import (
    GOAL_TEMPLATES,
    INDICATOR_BANK,
    PROJECT_SUFFIXES,
    TOPICS,
    NoiseProfile,
    TruthFile,
    TruthIndicator,
    TruthProject,
    _department_truth,
    _project_plan,
    _value,
)
from ingest.taxonomy import BY_CODE
from ingest.units import join_value, normal_value, value_parts

GRID_LAYOUTS = ("rows", "form", "overall", "selfeval")
# The forms each layout is written in, in turn. Copies that lost their row breaks: `lines` (one
# cell per line, blank lines between, category cells wrapped), `closer` (one cell per line ending
# ` |`, a row closed by one line of pipes), `flat` (the whole form on one line), `stack` (one form
# per project on one page, Chongqing's template without 一级/二级 columns, one cell per line with
# no row markers); `mirror` is a pipe copy in Traditional characters with pinyin readings.
FORMATS: dict[str, tuple[str, ...]] = {
    "rows": ("pipe", "tab", "csv", "html", "space"),
    "form": ("space", "cells", "tab", "docx", "html", "lines", "closer", "flat", "stack"),
    "overall": ("pipe", "html", "tab", "lines", "mirror"),
    "selfeval": ("tab", "csv", "pipe", "flat"),
}
# Forms a layout can be written in besides its rotation, on request (`--formats`): `joined`, a copy
# that ran every row's cells together, loses the boundary between a name and a phrase value.
EXTRA_FORMATS: dict[str, tuple[str, ...]] = {"form": ("joined",)}
# Forms only a single-project table is written in (a multi-project 自评表 takes the others).
FORM_ONLY = frozenset({"lines", "closer", "flat", "stack", "mirror", "joined"})
SUFFIX = {"pipe": ".txt", "tab": ".txt", "space": ".txt", "cells": ".txt", "csv": ".csv", "html": ".html", "docx": ".docx",
          "lines": ".txt", "closer": ".txt", "flat": ".txt", "stack": ".txt", "mirror": ".txt", "joined": ".txt"}
# Characters a mirror site prints with their reading (`目標(biāo)`): a few, enough to exercise the repair.
READINGS = {"标": "biāo", "价": "jià", "时": "shí", "发": "fā", "区": "qū", "数": "shù", "务": "wù", "级": "jí",
            "经": "jīng", "济": "jì", "满": "mǎn", "质": "zhì", "效": "xiào", "态": "tài", "门": "mén", "总": "zǒng"}
WEB_JUNK_BEFORE = ("当前位置: 首页 > 信息公开 > 预算公开", "发布时间:{date} 来源:财政局 浏览次数:")
WEB_JUNK_AFTER = ("扫一扫在手机打开当前页", "【打印本页】 【关闭窗口】")
_FULL = str.maketrans({c: chr(ord(c) + 0xFEE0) for c in "0123456789%"})
LEVEL1_OF = {"1": "产出指标", "2": "效益指标", "3": "满意度指标", "4": "成本指标"}
TOWNS = ("马踏镇", "南岳镇", "城关镇", "新华街道", "东风乡", "永安镇", "青山镇", "白石乡")


@dataclass
class Cell:
    text: str
    span: int = 1  # rows this cell covers (a rowspan / vertical merge), on its first row


@dataclass
class GRow:
    """A row to write: its cells in header order; `merged` leading cells continue a rowspan above."""

    cells: list[str]
    kind: str = "data"  # title, key, header, data, junk, blank
    merged: int = 0  # leading cells covered by a rowspan from above (collapsed in web copies)
    refs: list[Any] = field(default_factory=list)  # truth records whose line is this row's


@dataclass
class Spec:
    layout: str
    fmt: str
    split: bool  # value over operator / number / unit columns
    yuan: bool  # amounts in 元
    rows: list[GRow] = field(default_factory=list)


def _op(rng: random.Random, op: str, p: NoiseProfile) -> str:
    if op == "≥" and rng.random() < 0.3 + p.symbol_variant * 0.5:
        return rng.choice((">=", "≧", "≥"))
    if op == "≤" and rng.random() < 0.3 + p.symbol_variant * 0.5:
        return rng.choice(("<=", "≦", "≤"))
    return op


def _indicators(rng: random.Random, year: int, selfeval: bool) -> list[TruthIndicator]:
    out: list[TruthIndicator] = []
    for n, code in enumerate(_project_plan(rng), start=1):
        used = {i.indicator for i in out}
        name, templates = rng.choice([b for b in INDICATOR_BANK[code] if b[0] not in used])
        value = _value(rng.choice(templates), rng, year)
        level2 = BY_CODE[code]
        ind = TruthIndicator(n, LEVEL1_OF[level2.parent], level2.parent, level2.name, code, name, value, value)
        out.append(ind)
    return out


def _amount_cents(rng: random.Random) -> int:
    return rng.randint(5, 500000) * 100 if rng.random() < 0.3 else rng.randint(500, 50_000_000)


def _money_text(cents: int, yuan: bool, rng: random.Random, p: NoiseProfile, words: bool) -> tuple[str, float]:
    """(printed amount, its value in 万元)."""
    wan = cents / 100 / 10000 if yuan else cents / 100
    if words and not yuan:
        whole = max(1, round(wan))
        if rng.random() < 0.5:
            return f"{whole}万", float(whole)
        part = rng.randint(1, max(1, whole - 1)) if whole > 1 else 1
        return f"{whole}万(其中{rng.choice(TOPICS)}{part}万元,其他{max(0, whole - part)}万元)", float(whole)
    text = f"{cents / 100:,.2f}" if yuan else f"{wan:.2f}"
    if rng.random() < p.number_space:
        i = text.index(".")
        text = text[: i + 1] + " " + text[i + 1 :]
    return text, round(wan, 6)


class _Builder:
    def __init__(self, rng: random.Random, p: NoiseProfile, year: int) -> None:
        self.rng = rng
        self.p = p
        self.year = year

    def value_cells(self, ind: TruthIndicator, split: bool, fmt: str = "") -> tuple[list[str], TruthIndicator]:
        """The value columns of an indicator (split: 指标性质 | 指标值 | 度量单位) and its truth filled in."""
        rng, p = self.rng, self.p
        printed = ind.period_value
        parts = value_parts(printed)
        serial = False
        if split and ind.level2_code == "13" and "年12月31日前" in printed and rng.random() < 0.5:
            serial = True
        if split:
            if serial:
                date = dt.date(self.year, 12, 31)
                n = (date - dt.date(1899, 12, 30)).days
                cells = ["=", f"{n:,}", ""]
                ind.period_value = ind.annual_value = f"={date.isoformat()}"
                ind.flags += ["period_value", "annual_value"]
                ind.noise.append("serial_date")
                ind.value = f"={n:,}"
                return cells, ind
            if parts.number is not None:
                op = parts.operator or "="
                num = f"{parts.number:g}"
                cells = [_op(rng, op, p), num, parts.unit]
                joined = join_value(cells[0], num, parts.unit)
            else:
                cells = ["定性", printed, ""]
                joined = printed
            ind.period_value = ind.annual_value = normal_value(joined)
            ind.value = joined
            return cells, ind
        text = printed
        if parts.operator and rng.random() < 0.3:
            text = _op(rng, parts.operator, p) + text[1:]
        if fmt in ("space", "flat") and parts.operator and rng.random() < 0.2:
            op = next(o for o in (">=", "<=", "≧", "≦", "≥", "≤", "=", ">", "<") if text.startswith(o))
            text = f"{op} {text[len(op):]}"  # `>= 2公里`: the sign printed apart
        if rng.random() < p.full_width:
            text = text.translate(_FULL)
            ind.noise.append("full_width")
        ind.period_value = ind.annual_value = normal_value(printed)
        ind.value = clean_value(text)
        return [text], ind

    def achieved(self, ind: TruthIndicator, cells: list[str], shortfall: str, reason: str) -> tuple[list[str], list[str]]:
        """A 自评表 row's cells: the year's target, what was achieved, 分值, 得分, 偏差原因 (and the truth of them)."""
        ind.period_value = ""  # a 自评表 states the year's target only
        actual = ind.annual_value if self.rng.random() < 0.8 else shortfall
        weight = self.rng.choice((5, 10, 15, 20))
        score = weight if actual == ind.annual_value else weight / 2
        ind.actual_value = actual  # type: ignore[attr-defined]
        ind.weight = float(weight)  # type: ignore[attr-defined]
        ind.score = float(score)  # type: ignore[attr-defined]
        return [cells[0], actual], [str(weight), f"{score:g}", "" if actual == ind.annual_value else reason]

    def name(self, ind: Any, fmt: str) -> str:
        """The name as printed; a template placeholder in brackets (`数量( ≥**个 )`), spaces and all, at times."""
        if isinstance(ind, str):
            return ind
        if self.rng.random() < self.p.word_split:
            unit = value_parts(ind.period_value).unit or "个"
            base = ind.indicator
            ind.indicator = f"{base}(≥**{unit})"
            ind.noise.append("placeholder")
            return f"{base}( ≥**{unit} )" if fmt in ("space", "flat") else ind.indicator
        return ind.indicator


def _project_names(rng: random.Random, n: int) -> list[str]:
    return [f"{t}{rng.choice(PROJECT_SUFFIXES)}" for t in rng.sample(TOPICS, n)]


def _goal(rng: random.Random, name: str) -> str:
    from ingest.synth import BENEFITS, TARGETS

    return rng.choice(GOAL_TEMPLATES).format(topic=name, benefit=rng.choice(BENEFITS), target=rng.choice(TARGETS))


def _title_rows(rng: random.Random, title: str, p: NoiseProfile, year: int) -> list[GRow]:
    rows: list[GRow] = []
    if rng.random() < p.header_garble:
        rows.append(GRow([WEB_JUNK_BEFORE[0]], "junk"))
        rows.append(GRow([WEB_JUNK_BEFORE[1].format(date=f"{year}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}")], "junk"))
    rows.append(GRow([title], "title"))
    return rows


def make_rows(index: int, p: NoiseProfile, rng: random.Random, fmt: str, kind: str = "rows") -> tuple[Spec, TruthFile]:
    """A multi-project row-per-indicator table (or a multi-project 自评表)."""
    department, year, _ = _department_truth(index, rng)
    town = rng.choice(TOWNS)
    unit = f"{rng.randint(100, 999)}001-{department}" if rng.random() < 0.5 else department
    yuan = rng.random() < 0.5
    split = kind == "rows" and rng.random() < 0.7
    selfeval = kind == "selfeval"
    spec = Spec(kind, fmt, split, yuan)
    b = _Builder(rng, p, year)
    title = f"部门预算项目绩效{'自评表' if selfeval else '目标申报表'}({year}年度)"
    spec.rows += _title_rows(rng, title, p, year)
    spec.rows.append(GRow(["金额单位:元" if yuan else "金额单位:万元"], "title"))
    value_cols = ["指标性质", "指标值", "度量单位"] if split else (["年度指标值", "实际完成值"] if selfeval else ["指标值"])
    tail = ["分值", "得分", "偏差原因"] if selfeval else ["权重", "指标方向性"]
    header = ["单位名称", "项目名称", "预算数", "年度目标", "一级指标", "二级指标", "三级指标", *value_cols, *tail]
    spec.rows.append(GRow(header, "header"))
    truth = TruthFile(file="", department=_strip(unit), year=year, rows=0)
    truth_extra(truth, layout=kind, fmt=fmt, kind="self_evaluation" if selfeval else "project", unit="元" if yuan else "万元")
    del town
    projects = _project_names(rng, rng.randint(2, 5))
    sub_cents = 0
    sub_row = GRow([f"{rng.randint(100, 999)}-{_strip(unit)}", "", ""], "subtotal") if rng.random() < 0.4 else None
    if sub_row:
        spec.rows.append(sub_row)
    for pname in projects:
        cents = _amount_cents(rng)
        sub_cents += cents
        amount_text, wan = _money_text(cents, yuan, rng, p, False)
        damaged = rng.random() < p.mismatch * 0.1
        lost_name = rng.random() < p.mismatch * 0.05
        goal = _goal(rng, pname)
        tp = TruthProject(0, pname, _strip(unit), {"total": None if damaged else wan, "fiscal": None, "special": None, "other": None},
                          goal)
        if damaged:
            amount_text = rng.choice(("待定", "见附件", "另行下达"))
            tp.noise.append("amount_unreadable")
        if " " in amount_text and not damaged:
            tp.flags.append("total")
        indicators = _indicators(rng, year, selfeval)
        prev_l1 = prev_l2 = ""
        for n, ind in enumerate(indicators):
            cells, ind = b.value_cells(ind, split, fmt)
            if selfeval:
                cells, tail_cells = b.achieved(ind, cells, "未完成", "受疫情影响")
            else:
                tail_cells = [str(rng.choice((5, 10, 20))), "正向指标"]
            l1, l2 = ind.level1, ind.level2
            first = n == 0
            head = [unit if first else "", ("" if lost_name else pname) if first else "", amount_text if first else "",
                    goal if first else ""]
            row = GRow([*head, l1, l2, b.name(ind, fmt), *cells, *tail_cells], refs=[ind])
            if first:
                row.refs.append(tp)
                if lost_name:
                    tp.noise.append("name_lost")
            else:
                row.merged = 4
                if fmt in ("space", "pipe", "tab") and l1 == prev_l1 and rng.random() < 0.3:
                    row.cells[4] = ""  # a web copy: the category cell is a rowspan too
                    if l2 == prev_l2:
                        row.cells[5] = ""
            prev_l1, prev_l2 = l1, l2
            spec.rows.append(row)
            tp.indicators.append(ind)
            if lost_name:
                ind.lost = True
                ind.noise.append("quarantined")
        truth.projects.append(tp)
        if lost_name:
            tp.noise.append("lost")
    if sub_row and any("amount_unreadable" in tp.noise or "lost" in tp.noise for tp in truth.projects):
        spec.rows.remove(sub_row)  # a subtotal over an unreadable amount cannot add up: leave it out
        sub_row = None
    if sub_row:
        sub_text, sub_wan = _money_text(sub_cents, yuan, rng, p, False)
        sub_row.cells[2] = sub_text
        truth.totals.append({"line": 0, "name": sub_row.cells[0], "kind": "unit", "amounts": {"total": sub_wan}})
    if rng.random() < p.header_garble:
        spec.rows.append(GRow([WEB_JUNK_AFTER[0]], "junk"))
    return spec, truth


def truth_extra(truth: TruthFile, **extra: Any) -> None:
    for k, v in extra.items():
        setattr(truth, k, v)


def _strip(unit: str) -> str:
    return unit.split("-", 1)[1] if "-" in unit[:8] else unit


def make_onelevel(
    department: str, year: int, code: int, p: NoiseProfile, rng: random.Random, pname: str
) -> tuple[list[GRow], TruthProject]:
    """One form of Chongqing's 一般性项目绩效目标表: no 一级/二级 columns (指标 | 指标权重 | 计量单位 | 指标性质 | 指标值)."""
    cents = _amount_cents(rng) // 100 * 100
    amount_text, wan = _money_text(cents, False, rng, p, False)
    goal = _goal(rng, pname)
    tp = TruthProject(0, pname, department, {"total": wan, "fiscal": None, "special": None, "other": None}, goal)
    if " " in amount_text:
        tp.flags.append("total")
    rows = [
        GRow([f"表{rng.randint(1, 20)}", "", "", "", "", ""], "junk"),
        GRow([f"{year}年一般性项目绩效目标表(一级项目)"], "title"),
        GRow(["编制单位:", f"{code}-{department}", "单位:万元"], "key"),
        GRow(["专项资金名称", pname], "key", refs=[tp]),
        GRow(["业务主管部门", f"{code}-{department}"], "key"),
        GRow(["当年预算", amount_text], "key"),
        GRow(["项目概况", f"{pname}项目"], "key"),
        GRow(["当年绩效目标", goal], "key"),
        GRow(["绩效指标", "指标", "指标权重", "计量单位", "指标性质", "指标值"], "header"),
    ]
    for ind in _indicators(rng, year, False):
        parts = value_parts(ind.period_value)
        weight = str(rng.choice((10, 20)))
        if parts.number is not None:
            op = parts.operator or "="
            cells = [ind.indicator, weight, parts.unit, op, f"{parts.number:g}"]
            joined = join_value(op, f"{parts.number:g}", parts.unit)
        else:
            cells = [ind.indicator, weight, "", "定性", ind.period_value]
            joined = ind.period_value
        ind.level1 = ind.level1_code = ind.level2 = ind.level2_code = ""
        ind.period_value = ind.annual_value = normal_value(joined)
        ind.value = joined  # type: ignore[attr-defined]
        ind.weight = float(weight)  # type: ignore[attr-defined]
        rows.append(GRow(["", *cells], refs=[ind], merged=1))
        tp.indicators.append(ind)
    return rows, tp


def make_stack(index: int, p: NoiseProfile, rng: random.Random, fmt: str, kind: str = "form") -> tuple[Spec, TruthFile]:
    """A page holding one form per project, one after another (Chongqing's one-level template)."""
    department, year, _ = _department_truth(index, rng)
    spec = Spec(kind, fmt, True, False)
    spec.rows += _title_rows(rng, f"{department}{year}年一般性项目绩效目标表", p, year)
    truth = TruthFile(file="", department=department, year=year, rows=0)
    truth_extra(truth, layout=kind, fmt=fmt, kind="project", unit="万元")
    code = rng.randint(100, 999)
    for pname in _project_names(rng, rng.randint(1, 3)):  # one department's projects: distinct names
        rows, tp = make_onelevel(department, year, code, p, rng, pname)
        spec.rows += rows
        truth.projects.append(tp)
    return spec, truth


def make_form(index: int, p: NoiseProfile, rng: random.Random, fmt: str, kind: str = "form") -> tuple[Spec, TruthFile]:
    """A single-project 申报表 (kind=form), a department-level 整体支出 table (overall), or a one-project 自评表."""
    department, year, _ = _department_truth(index, rng)
    overall = kind == "overall"
    selfeval = kind == "selfeval"
    split = not selfeval and fmt != "joined" and rng.random() < 0.4  # split columns cannot be told apart run together
    spec = Spec(kind, fmt, split, False)
    b = _Builder(rng, p, year)
    pname = f"{department}整体支出" if overall else _project_names(rng, 1)[0]
    title = (f"{department}部门整体支出绩效目标表" if overall else
             f"{pname}项目绩效自评表({year}年度)" if selfeval else f"{year}年{pname}绩效目标申报表")
    spec.rows += _title_rows(rng, title, p, year)
    if overall:
        spec.rows.append(GRow([f"({year}年度)"], "title"))
    cents = _amount_cents(rng) // 100 * 100
    words = not overall and rng.random() < 0.3
    amount_text, wan = _money_text(cents, False, rng, p, words)
    fiscal_text, _ = (amount_text, wan) if not words else (f"{wan:g}", wan)
    goal = _goal(rng, pname)
    truth = TruthFile(file="", department=department, year=year, rows=0)
    truth_extra(truth, layout=kind, fmt=fmt, kind="overall" if overall else ("self_evaluation" if selfeval else "project"), unit="万元")
    tp = TruthProject(0, pname, department, {"total": wan, "fiscal": wan, "special": None, "other": 0.0}, goal)
    if " " in amount_text:
        tp.flags.append("total")
    if " " in fiscal_text:
        tp.flags.append("fiscal")
    spec.rows.append(GRow(["填报单位:(盖章)", "单位:万元"], "key"))
    if overall:
        key_rows = [
            GRow(["部门(单位)名称", department], "key", refs=[tp]),
            GRow(["年度部门整体支出预算", "资金总额", amount_text, "财政拨款", fiscal_text], "key"),
            GRow(["其他资金", "0"], "key"),
            GRow(["年度总体目标", goal], "key"),
        ]
    else:
        key_rows = [
            GRow(["项目名称", b.name(pname, fmt) if fmt != "space" else pname, "主管部门", department], "key", refs=[tp]),
            GRow(["实施单位", f"[{rng.randint(100000, 999999)}]{department}", "项目负责人及电话",
                  f"张三1{rng.randint(10**9, 10**10 - 1)}"], "key"),
            GRow(["资金情况(万元)", "年度资金总额:", amount_text], "key"),
            GRow(["其中:财政拨款", fiscal_text], "key"),
            GRow(["其他资金", "0"], "key"),
        ]
        if rng.random() < 0.5:
            key_rows += [GRow(["总体目标", "年度目标", "年度总体目标完成情况"], "key"), GRow([goal], "key")]
        else:
            key_rows += [GRow(["年度目标", goal], "key")]
    spec.rows += key_rows
    value_cols = ["指标性质", "指标值", "度量单位"] if split else (["年度指标值", "实际完成值"] if selfeval else ["指标值及单位"])
    tail = ["分值", "得分", "偏差原因分析及改进措施"] if selfeval else (["权重"] if split else ["备注"])
    spec.rows.append(GRow(["绩效指标", "一级指标", "二级指标", "三级指标", *value_cols, *tail], "header"))
    indicators = _indicators(rng, year, selfeval)
    empty_template = not selfeval and rng.random() < 0.5
    prev_l1 = prev_l2 = ""
    by_code = {ind.level2_code for ind in indicators}
    plan: list[Any] = []
    for ind in indicators:
        plan.append(ind)
    if empty_template:
        for code in ("21", "23", "24"):
            if code not in by_code:
                at = next((k for k, x in enumerate(plan) if isinstance(x, TruthIndicator) and x.level2_code[0] > "2"), len(plan))
                plan.insert(at, code)
    for item in plan:
        if isinstance(item, str):
            level2 = BY_CODE[item]
            l1 = LEVEL1_OF[level2.parent]
            cells = [l1 if l1 != prev_l1 else "", level2.name]
            spec.rows.append(GRow(["", *cells], "empty", merged=1))
            prev_l1, prev_l2 = l1, level2.name
            continue
        ind = item
        cells, ind = b.value_cells(ind, split, fmt)
        if selfeval:
            cells, tail_cells = b.achieved(ind, cells, "部分完成", "进度滞后")
        else:
            tail_cells = [str(rng.choice((5, 10)))] if split else [""]
        l1, l2 = ind.level1, ind.level2
        show_l1 = l1 if (l1 != prev_l1 or rng.random() < 0.3) else ""
        show_l2 = l2 if (l2 != prev_l2 or show_l1) else ""
        if l2 == "服务对象满意度指标" and not split and rng.random() < 0.3:
            show_l2 = "社会公众或服务对象满意度指标"
            if show_l1 == "满意度指标":
                show_l1 = "效益指标"  # the 2015 template: a known variant, not damage
            ind.noise.append("known_variant")
        spec.rows.append(GRow(["", show_l1, show_l2, b.name(ind, fmt), *cells, *tail_cells], refs=[ind], merged=1))
        prev_l1, prev_l2 = l1, l2
        tp.indicators.append(ind)
    spec.rows.append(GRow(["财政部门审核意见", "(盖章)"], "junk"))
    if rng.random() < p.header_garble:
        spec.rows.append(GRow([WEB_JUNK_AFTER[rng.randint(0, 1)]], "junk"))
    truth.projects.append(tp)
    return spec, truth


# --- writers ------------------------------------------------------------------------------------


def _visible(row: GRow, collapse: bool) -> list[str]:
    cells = row.cells[row.merged :] if collapse and row.merged else row.cells
    if row.kind in ("data", "empty") and collapse:
        # A web copy drops the cells a rowspan covers, and the empty ones of a collapsed category.
        start = 0
        while start < len(cells) - 1 and not cells[start] and row.kind == "data":
            start += 1
        cells = cells[start:]
    return cells


def _wrap_category(text: str, rng: random.Random) -> list[str]:
    """A category cell as a narrow column prints it: `经济效益` / `指标` at times."""
    if text.endswith("指标") and len(text) > 4 and rng.random() < 0.3:
        return [text[:-2], "指标"]
    return [text]


def _with_readings(text: str, rng: random.Random) -> str:
    """A line as a mirror site serves it: Traditional characters, some with their pinyin reading."""
    import opencc

    out = []
    for ch in text:
        out.append(f"{ch}({READINGS[ch]})" if ch in READINGS and rng.random() < 0.7 else ch)
    return opencc.OpenCC("s2t").convert("".join(out))


def write_text(spec: Spec) -> tuple[str, list[int]]:
    """The table as a web copy; returns the text and each GRow's line."""
    if spec.fmt in ("lines", "closer", "flat", "stack", "joined"):
        return _write_runs(spec)
    lines: list[str] = []
    at: list[int] = []
    for row in spec.rows:
        if spec.fmt == "cells":
            cells = [c for c in _visible(row, True)]
            if row.kind in ("title", "junk") and len(cells) == 1:
                at.append(len(lines) + 1)
                lines.append(cells[0])
                continue
            lines.append("|")
            start = len(lines) + 1
            first_content = 0
            for c in cells:
                if c and not first_content:
                    first_content = len(lines) + 1
                lines.append(f"{c} |" if c else "|")
            lines.append("|" * max(2, 7 - len(cells)))
            at.append(first_content or start)
            continue
        at.append(len(lines) + 1)
        cells = _visible(row, True)
        if spec.fmt in ("pipe", "mirror"):
            pad = "|" * max(1, 12 - len(cells))
            line = "| " + " | ".join(cells) + f" | {pad}"
            lines.append(_with_readings(line, random.Random(len(lines))) if spec.fmt == "mirror" else line)
        elif spec.fmt == "tab":
            lines.append("\t".join(cells))
        else:
            lines.append(" ".join(c for c in cells if c) + ("  " if row.kind == "data" else ""))
    return "\n".join(lines) + "\n", at


def _write_runs(spec: Spec) -> tuple[str, list[int]]:
    """Copies that lost their row breaks (FORMATS): returns the text and each GRow's line."""
    rng = random.Random(len(spec.rows))
    lines: list[str] = []
    at: list[int] = []
    flat: list[str] = []
    for row in spec.rows:
        cells = _visible(row, True)
        single = row.kind in ("title", "junk") and len(row.cells) == 1
        if spec.fmt == "flat":
            if row.kind == "junk" and single:
                at.append(len(lines) + 1)
                lines.append(cells[0])
                continue
            if not flat:
                lines.append("")
            at.append(len(lines))
            flat += [c for c in cells if c]
            lines[-1] = " ".join(flat)
            continue
        if spec.fmt == "joined":  # an HTML table copied with no cell separators: a row's cells run together
            at.append(len(lines) + 1)
            lines.append("".join(c for c in cells if c))
            continue
        if spec.fmt == "lines":
            at.append(len(lines) + 1)
            for c in cells:
                if c:
                    for part in (_wrap_category(c, rng) if row.kind in ("data", "empty") else [c]):
                        lines += [part, ""]
            continue
        if single and spec.fmt != "stack":
            at.append(len(lines) + 1)
            lines.append(cells[0])
            continue
        first = 0
        for c in cells:
            if c and not first:
                first = len(lines) + 1
            lines.append(f"{c} |" if c else "|")
        if spec.fmt == "closer":
            lines.append("|" * max(2, 7 - len(cells)))
        at.append(first or len(lines))
    return "\n".join(lines) + "\n", at


def write_csv(spec: Spec) -> tuple[str, list[int]]:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    at = []
    for n, row in enumerate(spec.rows, start=1):
        at.append(n)
        cells = ["" if i < row.merged else c for i, c in enumerate(row.cells)]
        w.writerow(cells)
    return out.getvalue(), at


def _spans(spec: Spec) -> list[list[Cell | None]]:
    """Cells with rowspans: a run of rows whose leading cells continue the row above."""
    grid: list[list[Cell | None]] = []
    owners: dict[int, Cell] = {}
    for row in spec.rows:
        cells: list[Cell | None] = []
        for i, text in enumerate(row.cells):
            if i < row.merged and i in owners:
                owners[i].span += 1
                cells.append(None)
            else:
                cell = Cell(text)
                owners[i] = cell
                cells.append(cell)
        for i in list(owners):
            if i >= len(row.cells):
                del owners[i]
        grid.append(cells)
    return grid


def write_html(spec: Spec) -> tuple[str, list[int]]:
    parts = ["<html><head><meta charset='utf-8'><title>绩效目标</title><style>td{border:1px}</style></head><body>"]
    at: list[int] = []
    n = 0
    grid = _spans(spec)
    in_table = False
    for row, cells in zip(spec.rows, grid, strict=True):
        if row.kind in ("title", "junk") and len(row.cells) == 1:
            if in_table:
                parts.append("</table>")
                in_table = False
            n += 1
            at.append(n)
            parts.append(f"<p>{html.escape(row.cells[0])}</p>")
            continue
        if not in_table:
            parts.append("<table>")
            in_table = True
        n += 1
        at.append(n)
        tds = "".join(f"<td rowspan='{c.span}'>{html.escape(c.text)}</td>" if c.span > 1 else f"<td>{html.escape(c.text)}</td>"
                      for c in cells if c is not None)
        parts.append(f"<tr>{tds}</tr>")
    if in_table:
        parts.append("</table>")
    parts.append("</body></html>")
    return "\n".join(parts), at


def write_docx(spec: Spec, path: Path) -> list[int]:
    from docx import Document

    doc = Document()
    at: list[int] = []
    n = 0
    grid = _spans(spec)
    table_rows: list[tuple[GRow, list[Cell | None]]] = []

    def flush() -> None:
        nonlocal table_rows
        if not table_rows:
            return
        width = max(len(r.cells) for r, _ in table_rows)
        table = doc.add_table(rows=len(table_rows), cols=width)
        for r, (_, cells) in enumerate(table_rows):
            for c, cell in enumerate(cells):
                if cell is None:
                    continue
                table.cell(r, c).text = cell.text
                if cell.span > 1:
                    table.cell(r, c).merge(table.cell(r + cell.span - 1, c))
                    table.cell(r, c).text = cell.text
        table_rows = []

    for row, cells in zip(spec.rows, grid, strict=True):
        n += 1
        at.append(n)
        if row.kind in ("title", "junk") and len(row.cells) == 1:
            flush()
            doc.add_paragraph(row.cells[0])
            continue
        table_rows.append((row, cells))
    flush()
    doc.save(str(path))
    return at


def write(spec: Spec, truth: TruthFile, out: Path, stem: str) -> Path:
    """Write the table in its format; set the truth's file name and record lines."""
    path = out / f"{stem}{SUFFIX[spec.fmt]}"
    if spec.fmt == "docx":
        at = write_docx(spec, path)
    else:
        text, at = {"csv": write_csv, "html": write_html}.get(spec.fmt, write_text)(spec)
        path.write_text(text, encoding="utf-8")
    truth.file = path.name
    if spec.fmt == "docx":
        # python-docx's merge makes one cell of the range; the reader numbers every table row and paragraph.
        at = list(range(1, len(spec.rows) + 1))
    for row, line in zip(spec.rows, at, strict=True):
        for ref in row.refs:
            ref.line = line
    for t in truth.totals:
        row = next((r for r in spec.rows if r.kind == "subtotal"), None)
        if row is not None:
            t["line"] = at[spec.rows.index(row)]
    truth.rows = len(spec.rows)
    return path


def formats_of(layout: str, wanted: tuple[str, ...] = ()) -> tuple[str, ...]:
    """The forms a layout's tables take in turn: `wanted` where the layout can be written so, else its rotation."""
    allowed = FORMATS[layout] + EXTRA_FORMATS.get(layout, ())
    return tuple(f for f in wanted if f in allowed) or FORMATS[layout]


def make(layout: str, index: int, p: NoiseProfile, rng: random.Random, out: Path, stem: str, turn: int,
         formats: tuple[str, ...] = ()) -> tuple[Path, TruthFile]:
    rotation = formats_of(layout, formats)
    fmt = rotation[turn % len(rotation)]
    if fmt == "stack":
        spec, truth = make_stack(index, p, rng, fmt, layout)
    elif layout == "rows" or (layout == "selfeval" and turn % 2 == 0 and fmt not in FORM_ONLY):
        spec, truth = make_rows(index, p, rng, fmt, "selfeval" if layout == "selfeval" else "rows")
    else:
        spec, truth = make_form(index, p, rng, fmt, layout)
    return write(spec, truth, out, stem), truth
