"""Parse the OCR text layout: one line per table row, columns separated by tabs.

| 项目名称(资金使用单位) | 总计 | 财政拨款 | 财政专户拨款 | 其他资金 | 绩效目标 | 绩效指标 |
"""

from __future__ import annotations

import re

from errors import IngestError
from ingest.builder import RecordBuilder
from ingest.indicators import ItemError, parse_item, split_items
from ingest.normalize import clean, for_matching, parse_amount, strip_markup, to_simplified
from ingest.records import Document, ParsedFile, ParseWarning, Repair, stable_id
from ingest.taxonomy import (
    DEFAULT_UNIT,
    DEPARTMENT_LABEL,
    FUNDING_COLUMNS,
    GRAND_TOTAL_NAMES,
    HEADER_WORDS,
)

_YEAR = re.compile(r"(?<!\d)(20[0-4]\d)(?!\d)")
_DEPARTMENT = re.compile(r"部门名称[:]\s*(.+?)(?:\(部门\)|单位[:]|$)")
_UNIT = re.compile(r"单位[:]\s*(万元|元|千元|亿元)")
_INDICATOR_CELL = re.compile(r"^\s*1\s*、")
_TRAILING_JUNK = re.compile(r"[A-Za-z0-9|_\-]+$")
_N_COLUMNS = 7


def guess_year(text: str, source: str) -> int:
    """The table's year: from the file name, else the most frequent 20xx in the text."""
    hit = _YEAR.search(source)
    if hit:
        return int(hit.group(1))
    years = _YEAR.findall(text)
    return int(max(set(years), key=years.count)) if years else 0


def _department(lines: list[str], source: str) -> tuple[str, str]:
    for line in lines:
        norm = clean(line)
        if DEPARTMENT_LABEL in to_simplified(norm):
            m = _DEPARTMENT.search(to_simplified(norm))
            unit = _UNIT.search(norm)
            if m:
                name = _TRAILING_JUNK.sub("", m.group(1)).strip(" :()")
                return name, unit.group(1) if unit else DEFAULT_UNIT
    return "", DEFAULT_UNIT


def _cells(line: str) -> list[str]:
    """Tab-separated cells, with a name split by OCR (`工商业联\\t合会`) joined back."""
    cells = [c.strip() for c in strip_markup(line).rstrip("\r\n").split("\t")]
    while len(cells) > _N_COLUMNS and cells[1] and not _is_amount_cell(cells[1]):
        cells[0:2] = [cells[0] + cells[1]]
    return cells


def _is_amount_cell(cell: str) -> bool:
    try:
        parse_amount(cell)
    except ValueError:
        return False
    return True


def _is_header(norm: str) -> bool:
    return all(w in norm for w in HEADER_WORDS) or DEPARTMENT_LABEL in norm or norm.startswith("单位")


def parse_text(text: str, source: str, path: str = "") -> ParsedFile:
    """Parse a whole OCR text table. Raises IngestError when it is not such a table."""
    lines = text.splitlines()
    department, unit = _department(lines, source)
    document = Document(
        source=source,
        department=department or source.rsplit(".", 1)[0],
        year=guess_year(text, source),
        unit=unit,
        path=path,
        content_hash=stable_id(text),
    )
    parsed = ParsedFile(document=document)
    warn = parsed.warnings.append
    if not department:
        warn(ParseWarning(source, 0, "未找到“部门名称:”表头,以文件名作为部门名称"))
    has_header = any(all(w in to_simplified(clean(line)) for w in HEADER_WORDS) for line in lines)
    if not has_header and not any(_INDICATOR_CELL.match(c) for line in lines for c in _cells(line)[1:]):
        raise IngestError(source, "没有“绩效指标”列:需要表头“项目名称 … 绩效目标 绩效指标”和指标内容")

    builder = RecordBuilder(document)
    unit_name = document.department
    for number, line in enumerate(lines, start=1):
        norm = to_simplified(clean(line))
        if not norm or _is_header(norm):
            continue
        parsed.rows_in += 1
        cells = _cells(line)
        name = clean(cells[0])
        try:
            amounts, repairs = _amounts(cells)
        except ValueError as exc:
            warn(ParseWarning(source, number, f"金额列无法识别({exc}),该行未收录"))
            continue
        rest = [c for c in cells[1 + len(FUNDING_COLUMNS) :] if c.strip()]
        indicator_at = next((i for i, c in enumerate(rest) if _INDICATOR_CELL.match(c)), None)
        goal_cells = rest if indicator_at is None else rest[:indicator_at]
        indicator_cell = "" if indicator_at is None else "\t".join(rest[indicator_at:])
        goal = clean("".join(goal_cells))

        if name in GRAND_TOTAL_NAMES:
            document.grand_total = amounts["total"]
            continue
        if not goal and not indicator_cell:
            if amounts["total"] is None:
                warn(ParseWarning(source, number, f"无法识别的行(既无金额也无绩效目标/指标),未收录: {norm[:40]}"))
            else:
                unit_name = name
                document.subtotals[name] = amounts["total"] or 0.0
            continue
        if len(cells) < _N_COLUMNS and not indicator_cell:
            warn(ParseWarning(source, number, f"“{name}”行不完整(只有{len(cells)}列,应为{_N_COLUMNS}列),缺少绩效指标"))
        project = builder.project(
            line=number, name=name, amounts=amounts, goal=goal, text=line.strip(), unit_name=unit_name, repairs=repairs
        )
        parsed.projects.append(project)
        _add_indicators(parsed, builder, project.project, number, indicator_cell)
    if not parsed.projects:
        raise IngestError(source, "没有找到任何项目行:需要“项目名称、总计、…、绩效目标、绩效指标”七列,以制表符分隔")
    return parsed


def _amounts(cells: list[str]) -> tuple[dict[str, float | None], list[Repair]]:
    amounts: dict[str, float | None] = {}
    repairs: list[Repair] = []
    for (key, _label), cell in zip(FUNDING_COLUMNS, cells[1:] + [""] * len(FUNDING_COLUMNS), strict=False):
        amounts[key] = parse_amount(cell)
        if amounts[key] is not None and re.search(r"\d\s+[\d.]|\.\s+\d", cell):
            repairs.append(Repair(key, cell, f"{amounts[key]:.2f}", "去除数字中的OCR空格"))
    return amounts, repairs


def _add_indicators(parsed: ParsedFile, builder: RecordBuilder, project: str, line: int, cell: str) -> None:
    source = parsed.document.source
    before, items = split_items(cell)
    if clean(before):
        parsed.warnings.append(ParseWarning(source, line, f"“{project}”指标列开头有无法识别的文字: {clean(before)[:40]}"))
    seen_numbers: set[int] = set()
    kept: set[str] = set()
    for raw in items:
        if raw.number in seen_numbers:
            parsed.warnings.append(ParseWarning(source, line, f"“{project}”的指标序号{raw.number}重复(OCR)"))
        seen_numbers.add(raw.number)
        try:
            item = parse_item(raw)
        except ItemError as exc:
            parsed.warnings.append(ParseWarning(source, line, f"“{project}”{exc}"))
            continue
        for note in item.notes:
            parsed.warnings.append(ParseWarning(source, line, f"“{project}”{note}"))
        key = for_matching(f"{item.level2.code if item.level2 else ''}|{item.indicator}|{item.period_value}")
        if key in kept:
            parsed.warnings.append(ParseWarning(source, line, f"“{project}”的指标“{item.indicator}”重复出现,只收录一次"))
            continue
        kept.add(key)
        parsed.indicators.append(builder.indicator(project=project, line=line, item=item))
