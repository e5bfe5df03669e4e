"""Parse the OCR text layout: one line per table row, columns separated by tabs.

| 项目名称(资金使用单位) | 总计 | 财政拨款 | 财政专户拨款 | 其他资金 | 绩效目标 | 绩效指标 |

Every non-header line is a table row, and every row ends up in the row accounting of the
ParsedFile: a project (with its indicators), a total row (合计 / funding-unit subtotal), or a
warning saying why it was dropped. Parsing works on a masked copy of each line (markup
blanked out, Traditional characters simplified, same length), so every quote is cut from
the source line verbatim.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from errors import IngestError
from ingest.builder import RecordBuilder
from ingest.headers import is_title
from ingest.indicators import ItemError, RawItem, parse_item, split_items
from ingest.keyvalue import _STANDALONE_YEAR, HeaderBlock, year_of, year_of_name
from ingest.limits import budget
from ingest.normalize import (
    MASK,
    clean,
    for_matching,
    has_spaced_number,
    is_blank,
    is_traditional,
    mask_markup,
    parse_amount,
    simplify_line,
)
from ingest.records import Document, ParsedFile, ParseWarning, Repair, TotalKind, TotalRow, WarningKind, stable_id
from ingest.taxonomy import (
    DEFAULT_UNIT,
    DEPARTMENT_LABEL,
    FUNDING_COLUMNS,
    GRAND_TOTAL_NAMES,
    TABLE_COLUMNS,
    TITLE_WORDS,
    UNIT_SUFFIXES,
    department_total,
)
from ingest.units import UNIT_FACTORS, stated_unit

_YEAR = re.compile(r"(?<!\d)(20[0-4]\d)(?!\d)")
_DEPARTMENT = re.compile(r"部门名称[:]\s*(.+?)(?:\(部门\)|单位[:]|$)")
_UNIT = re.compile(r"单位[:]\s*(万元|元|千元|亿元)")
_ITEM_START = re.compile(r"^[\s" + MASK + r"]*\d{1,2}\s*、")
_TRAILING_JUNK = re.compile(r"[A-Za-z0-9|_\-]+$")
_PAGE_FURNITURE = re.compile(r"^(第\d+页(共\d+页)?|共\d+页|-?\d{1,3}-?|\d+/\d+)$")
N_COLUMNS = len(TABLE_COLUMNS)
_FIRST_TEXT_COLUMN = 1 + len(FUNDING_COLUMNS)


def guess_year(text: str, source: str) -> int:
    """The table's year from its content (title, then the body's most frequent `20xx年`), else the file name."""
    year, _ = content_year(text.splitlines())
    return year or year_of_name(source)


def content_year(lines: list[str]) -> tuple[int, str]:
    """(year, where it came from) read from the lines of a table: a title line first, then the body."""
    block = HeaderBlock(titles=[(n, clean(line)) for n, line in enumerate(lines[:400], 1)
                                if "\t" not in line.strip() and (is_title(line) or _STANDALONE_YEAR.match(clean(line)))])
    return year_of(block, "\n".join(lines))


def find_department(lines: list[str]) -> tuple[str, str]:
    """(department, amount unit) from a `部门名称:… 单位:万元` header line; ("", 万元) if none."""
    for line in lines:
        norm = clean(line)
        if DEPARTMENT_LABEL not in norm:
            continue
        m = _DEPARTMENT.search(norm)
        unit = _UNIT.search(norm)
        if m:
            name = _TRAILING_JUNK.sub("", m.group(1)).strip(" :()")
            if name:
                return name, unit.group(1) if unit else DEFAULT_UNIT
    return "", DEFAULT_UNIT


@dataclass
class Cell:
    """A tab-separated cell of a (masked) line and where it sits in the line."""

    text: str
    start: int
    end: int


def split_cells(work: str) -> list[Cell]:
    """Tab-separated cells with offsets, a name split by OCR (`工商业联\\t合会`) joined back."""
    cells: list[Cell] = []
    pos = 0
    for part in work.split("\t"):
        cells.append(Cell(part, pos, pos + len(part)))
        pos += len(part) + 1
    while len(cells) > N_COLUMNS and clean(cells[1].text) and not _is_amount(cells[1].text):
        cells[0:2] = [Cell(work[cells[0].start : cells[1].end], cells[0].start, cells[1].end)]
    return cells


def _is_amount(cell: str) -> bool:
    try:
        parse_amount(cell)
    except ValueError:
        return False
    return True


def header_words(norm: str) -> int:
    """How many of the table's column titles a (cleaned) line carries."""
    return sum(1 for w in TABLE_COLUMNS if w in norm)


def is_header(norm: str, n_cells: int) -> bool:
    """Header and title lines: `部门名称:…`, `单位:万元`, the column titles (also garbled), page furniture."""
    if DEPARTMENT_LABEL in norm or norm.startswith("单位") or header_words(norm) >= 3:
        return True
    return n_cells == 1 and (any(w in norm for w in TITLE_WORDS) or bool(_PAGE_FURNITURE.match(norm)))


def looks_like_unit(name: str, department: str) -> bool:
    """A funding unit's name (an organisation), as opposed to a project's."""
    return name == department or name.endswith(UNIT_SUFFIXES)


def _indicator_start(rest: list[Cell]) -> int | None:
    """Index of the cell where the 绩效指标 text begins: `1、1-产出指标…` (the goal may be numbered too)."""
    candidates = [i for i, c in enumerate(rest) if _ITEM_START.match(c.text)]
    for i in candidates:
        if "指标" in clean("".join(c.text for c in rest[i : i + 2])[:120])[:40]:
            return i
    for i in reversed(candidates):
        if "指标值" in clean("".join(c.text for c in rest[i:])):
            return i
    return None


def parse_text(
    text: str,
    source: str,
    path: str = "",
    *,
    encoding: str = "",
    fmt: str = "text",
    department_hint: str = "",
) -> ParsedFile:
    """Parse a whole OCR text table. Raises IngestError when it is not such a table."""
    lines = text.splitlines()
    traditional = is_traditional(text)
    work_lines = [simplify_line(mask_markup(line)) if traditional else mask_markup(line) for line in lines]
    department, unit = find_department(work_lines)
    stated = next((u for u in (stated_unit(w) for w in work_lines[:50] if "单位" in w or "万元" in w) if u), "")
    year, year_from = content_year(work_lines)
    department = department or department_hint
    document = Document(
        source=source,
        department=department or source.rsplit(".", 1)[0],
        year=year or year_of_name(source),
        unit=DEFAULT_UNIT,
        path=path,
        content_hash=stable_id(text),
        format=fmt,
        encoding=encoding,
        traditional=traditional,
        layout="packed",
        source_unit=stated,
        unit_stated=bool(stated),
        department_from="部门名称" if department else "文件名",
        year_from=year_from or ("文件名" if year_of_name(source) else ""),
    )
    parsed = ParsedFile(document=document)
    factor = UNIT_FACTORS.get(unit, 1.0)
    if not department:
        parsed.warnings.append(ParseWarning(source, 0, "未找到“部门名称:”表头,以文件名作为部门名称", "header"))
    if not year:
        what = f"按文件名取{document.year}年" if document.year else "年度记为0"
        parsed.warnings.append(ParseWarning(source, 0, f"表中未找到年度(标题或正文中的“20xx年”),{what}", "header"))
    _check_columns(work_lines, source)
    _TableReader(parsed, lines, work_lines, factor).run()
    if not parsed.projects:
        raise IngestError(source, f"没有找到任何项目行:需要“{'、'.join(TABLE_COLUMNS)}”{N_COLUMNS}列,以制表符分隔")
    return parsed


def _check_columns(work_lines: list[str], source: str) -> None:
    """Raise unless the table has a 绩效指标 column: by its title, or failing that by its content."""
    header_line = 0
    for number, work in enumerate(work_lines, start=1):
        norm = clean(work)
        if header_words(norm) >= 3:
            if "绩效指标" in norm or (number < len(work_lines) and "绩效指标" in clean(work_lines[number])):
                return  # (a header wrapped onto a second line counts)
            header_line = header_line or number
    for work in work_lines:
        if _indicator_start(split_cells(work)[1:]) is not None:
            return
    expected = f"需要“{'、'.join(TABLE_COLUMNS)}”{N_COLUMNS}列"
    if header_line:
        found = clean(work_lines[header_line - 1])[:60]
        raise IngestError(source, f"表头没有“绩效指标”列:{expected},读到的表头是“{found}”", line=header_line)
    raise IngestError(source, f"没有“绩效指标”列:{expected},以及“1、1-产出指标…”形式的指标内容")


class _TableReader:
    """Walks the rows of one text table, filling a ParsedFile."""

    def __init__(self, parsed: ParsedFile, lines: list[str], work_lines: list[str], factor: float = 1.0) -> None:
        self.parsed = parsed
        self.factor = factor  # 万元 per unit the table states (元: 0.0001)
        self.lines = lines
        self.work_lines = work_lines
        self.source = parsed.document.source
        self.builder = RecordBuilder(parsed.document)
        self.unit_name = parsed.document.department

    def warn(self, line: int, message: str, kind: WarningKind = "", rows: tuple[int, ...] = ()) -> None:
        self.parsed.warnings.append(ParseWarning(self.source, line, message, kind, rows or ((line,) if line else ())))

    def drop(self, line: int, message: str) -> None:
        self.warn(line, message, "row_dropped")
        self.parsed.account(line, "dropped")

    def run(self) -> None:
        b = budget()
        for number, (line, work) in enumerate(zip(self.lines, self.work_lines, strict=True), start=1):
            b.add_rows()
            if is_blank(work):
                self.parsed.account(number, "blank")
                continue
            cells = split_cells(work)
            # A row with an amount in the 总计 column is data; anything else may be a header line.
            looks_like_data = len(cells) > 1 and not is_blank(cells[1].text) and _is_amount(cells[1].text)
            if not looks_like_data and is_header(clean(work), sum(not is_blank(c.text) for c in cells)):
                self.parsed.account(number, "header")
                continue
            self.row(number, line, work, cells)

    def row(self, number: int, line: str, work: str, cells: list[Cell]) -> None:
        doc = self.parsed.document
        name = clean(cells[0].text)
        try:
            amounts, repairs = _amounts(cells, self.factor)
        except ValueError as exc:
            self.drop(number, f"金额列无法识别({exc}),该行未收录: {clean(work)[:40]}")
            return
        rest = [c for c in cells[_FIRST_TEXT_COLUMN:] if not is_blank(c.text)]
        at = _indicator_start(rest)
        goal_cells = rest if at is None else rest[:at]
        goal = clean("".join(c.text for c in goal_cells))
        has_indicators = at is not None

        if name in GRAND_TOTAL_NAMES or for_matching(name) in GRAND_TOTAL_NAMES:
            self.total(number, line, name, amounts, "grand")
            return
        if not goal and not has_indicators:
            if all(v is None for v in amounts.values()):
                self.drop(number, f"无法识别的行(既无金额也无绩效目标/指标),未收录: {clean(work)[:40]}")
            elif not name:
                self.drop(number, f"金额行缺少项目或单位名称,未收录: {clean(work)[:40]}")
            elif len(cells) >= N_COLUMNS or looks_like_unit(name, doc.department):
                self.unit_name = name
                self.total(number, line, name, amounts, "unit")
            else:
                raise IngestError(self.source, f"“{name}”行被截断:只有{len(cells)}列,应为{N_COLUMNS}列,缺少绩效目标和绩效指标", line=number)
            return
        if not name:
            self.drop(number, f"项目行缺少项目名称,未收录: {clean(work)[:40]}")
            return
        if not has_indicators:
            if len(cells) < N_COLUMNS:
                raise IngestError(self.source, f"“{name}”行被截断:只有{len(cells)}列,应为{N_COLUMNS}列,缺少绩效指标", line=number)
            self.warn(number, f"“{name}”没有绩效指标", "layout")
        project = self.builder.project(
            line=number, name=name, amounts=amounts, goal=goal, text=line.strip(), unit_name=self.unit_name, repairs=repairs
        )
        self.parsed.projects.append(project)
        self.parsed.account(number, "project")
        if at is not None:
            start = rest[at].start
            self.indicators(project.project, number, line, work[start:].rstrip(), start)

    def total(self, number: int, line: str, name: str, amounts: dict[str, float | None], kind: TotalKind) -> None:
        doc = self.parsed.document
        if kind == "unit" and doc.grand_total is None and department_total(name):
            kind = "grand"
        self.parsed.totals.append(TotalRow(number, name, kind, amounts, line.strip()))
        if kind == "grand":
            doc.grand_total = amounts["total"]
        else:
            doc.subtotals[name] = amounts["total"] or 0.0
        self.parsed.account(number, "total" if kind == "grand" else "subtotal")

    def indicators(self, project: str, number: int, line: str, cell: str, offset: int) -> None:
        before, items = split_items(cell)
        if clean(before):
            self.warn(number, f"“{project}”指标列开头有无法识别的文字: {clean(before)[:40]}", "item_dropped")
        seen_numbers: set[int] = set()
        kept: set[str] = set()
        for raw in items:
            raw = RawItem(raw.number, raw.text, raw.start, raw.end, line[offset + raw.start : offset + raw.end])
            if raw.number in seen_numbers:
                self.warn(number, f"“{project}”的指标序号{raw.number}重复(OCR)", "duplicate")
            seen_numbers.add(raw.number)
            try:
                item = parse_item(raw)
            except ItemError as exc:
                self.warn(number, f"“{project}”{exc}", "item_dropped")
                continue
            for note in item.notes:
                self.warn(number, f"“{project}”{note}", "item_dropped")
            key = f"{item.level2.code if item.level2 else ''}|{item.indicator}|{item.period_value}"
            if key in kept:
                self.warn(number, f"“{project}”的指标“{item.indicator}”重复出现,只收录一次", "duplicate")
                continue
            kept.add(key)
            self.parsed.indicators.append(self.builder.indicator(project=project, line=number, item=item))


def _amounts(cells: list[Cell], factor: float = 1.0) -> tuple[dict[str, float | None], list[Repair]]:
    amounts: dict[str, float | None] = {}
    repairs: list[Repair] = []
    padded = [c.text for c in cells[1:_FIRST_TEXT_COLUMN]] + [""] * len(FUNDING_COLUMNS)
    for (key, _label), cell in zip(FUNDING_COLUMNS, padded, strict=False):
        amount = parse_amount(cell)
        amounts[key] = amount if amount is None or factor == 1.0 else round(amount * factor, 6)
        if amounts[key] is not None and has_spaced_number(cell):
            repairs.append(Repair(key, cell.strip(), f"{amounts[key]:.2f}", "去除数字中的OCR空格"))
    return amounts, repairs
