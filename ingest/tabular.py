"""Parse spreadsheets (XLSX, CSV) of performance targets.

Two layouts are recognised from the header:
- row per indicator: 项目名称 | amounts | 绩效目标 | 一级指标 | 二级指标 | 三级指标 | 实施周期指标值 | 年度指标值
  (or one 指标值 column), with merged or blank cells meaning "same as the row above";
- the OCR layout's seven columns, with all indicators packed in one 绩效指标 cell: the rows are
  handed to the text parser.
Headers may span several rows (a group title over merged cells, the column titles below):
the rows are joined per column. Line numbers are the spreadsheet's row numbers (CSV: line).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from errors import IngestError
from ingest.builder import RecordBuilder
from ingest.indicators import ParsedItem, resolve_categories
from ingest.normalize import clean, clean_value, for_matching, has_spaced_number, is_traditional, parse_amount, simplify_line
from ingest.reader import bytes_id, detect, read_bytes
from ingest.records import Document, ParsedFile, ParseWarning, Repair, RowFate, TotalKind, TotalRow, WarningKind
from ingest.taxonomy import COLUMN_KEYWORDS, FUNDING_COLUMNS, GRAND_TOTAL_NAMES, HEADER_FILLER, TABLE_COLUMNS
from ingest.text_table import find_department, guess_year, looks_like_unit, parse_text

HEADER_SEARCH_ROWS = 30
_AMOUNT_KEYS = tuple(k for k, _ in FUNDING_COLUMNS)
_EXPECTED = "“项目名称、一级指标、二级指标、三级指标、指标值(或实施周期指标值/年度指标值)”或“项目名称…绩效指标”"
_SHEET_ROW_KEY = 1_000_000  # row keys of later sheets are offset by this much per sheet


@dataclass
class Grid:
    """The cells of one sheet (or CSV file) as text, with the row numbers a user sees."""

    name: str  # sheet name; "" for CSV
    rows: list[tuple[int, list[str]]]
    merged: set[tuple[int, int]] = field(default_factory=set)  # (row, col) filled from a merged range


def _role(text: str) -> str | None:
    norm = clean(for_matching(text))
    for word, role in COLUMN_KEYWORDS:
        if word in norm:
            return role
    return None


def _is_header_like(cells: list[str]) -> bool:
    texts = [clean(for_matching(c)) for c in cells if clean(c)]
    if not texts:
        return False
    return all(_role(t) is not None or all(part in HEADER_FILLER for part in _split_filler(t)) for t in texts)


def _split_filler(text: str) -> list[str]:
    """Greedy split of a header cell into filler words; a leftover character stays alone."""
    out: list[str] = []
    i = 0
    words = sorted(HEADER_FILLER, key=len, reverse=True)
    while i < len(text):
        for w in words:
            if text.startswith(w, i):
                out.append(w)
                i += len(w)
                break
        else:
            out.append(text[i])
            i += 1
    return out


@dataclass
class Header:
    rows: list[int]  # indices into Grid.rows
    roles: dict[str, int]  # role -> column
    titles: list[str]  # joined header text per column


def find_header(grid: Grid) -> Header | None:
    """The header block of a sheet and the column of each field, or None."""
    for i, (_, cells) in enumerate(grid.rows[:HEADER_SEARCH_ROWS]):
        roles = {r for r in (_role(c) for c in cells) if r}
        if "project" not in roles or len(roles) < 2:
            continue
        block = [i]
        j = i + 1
        while j < len(grid.rows) and _is_header_like(grid.rows[j][1]):
            block.append(j)
            j += 1
        width = max(len(grid.rows[k][1]) for k in block)
        titles = []
        for col in range(width):
            parts: list[str] = []
            for k in block:
                cells = grid.rows[k][1]
                text = clean(cells[col]) if col < len(cells) else ""
                if text and (not parts or parts[-1] != text):
                    parts.append(text)
            titles.append("".join(parts))
        found: dict[str, int] = {}
        for col, title in enumerate(titles):
            role = _role(title)
            if role and role not in found:
                found[role] = col
        return Header(block, found, titles)
    return None


def _cell(cells: list[str], col: int | None) -> str:
    return cells[col] if col is not None and col < len(cells) else ""


# --- readers ---------------------------------------------------------------------------


def _text_of(value: object, number_format: str = "") -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float):
        if "%" in number_format:
            return f"{value * 100:g}%"
        return str(int(value)) if float(value).is_integer() and abs(value) < 1e15 else repr(float(value))
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()[:10]
    return str(value)


def read_xlsx(path: Path) -> list[Grid]:
    """Every sheet of a workbook as a Grid, merged ranges filled with their top-left value."""
    import zipfile

    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
        raise IngestError(path.name, f"不是有效的 XLSX 文件(无法打开工作簿: {exc})") from exc
    grids: list[Grid] = []
    for ws in wb.worksheets:
        rows: dict[int, list[str]] = {}
        for row in ws.iter_rows():
            cells = [_text_of(c.value, c.number_format or "") for c in row]
            while cells and not cells[-1].strip():
                cells.pop()
            rows[row[0].row if row else len(rows) + 1] = cells
        merged: set[tuple[int, int]] = set()
        for rng in ws.merged_cells.ranges:
            top = rows.get(rng.min_row, [])
            value = top[rng.min_col - 1] if rng.min_col - 1 < len(top) else ""
            for r in range(rng.min_row, rng.max_row + 1):
                cells = rows.setdefault(r, [])
                for c in range(rng.min_col, rng.max_col + 1):
                    if (r, c) == (rng.min_row, rng.min_col):
                        continue
                    cells.extend([""] * (c - len(cells)))
                    cells[c - 1] = value
                    merged.add((r, c - 1))
        grids.append(Grid(ws.title, sorted(rows.items()), merged))
    wb.close()
    return grids


def read_csv(data: bytes, source: str) -> tuple[Grid, str]:
    """A CSV file (comma, semicolon or tab separated; any supported encoding) as a Grid."""
    text, encoding = detect(data, source)
    reader = csv.reader(io.StringIO(text, newline=""), csv.excel, delimiter=_delimiter(text))
    rows: list[tuple[int, list[str]]] = []
    start = 1
    try:
        for cells in reader:
            rows.append((start, cells))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise IngestError(source, f"CSV 格式错误: {exc}", line=reader.line_num) from exc
    return Grid("", rows), encoding


def _delimiter(text: str) -> str:
    """The separator that splits most lines into the same number (≥ 2) of columns, quotes respected."""
    lines = [line for line in text[:50000].splitlines() if line.strip()][:50]
    best, best_score = ",", (0, 0)
    for delimiter in (",", "\t", ";"):
        widths = [len(next(csv.reader([line], delimiter=delimiter), [])) for line in lines]
        common = Counter(w for w in widths if w >= 2).most_common(1)
        score = (common[0][1], common[0][0]) if common else (0, 0)
        if score > best_score:
            best, best_score = delimiter, score
    return best


# --- parsing ---------------------------------------------------------------------------


def parse_csv(path: Path) -> ParsedFile:
    """Parse a CSV table. Raises IngestError naming the file and row."""
    data = read_bytes(path)
    grid, encoding = read_csv(data, path.name)
    parsed = parse_grids([grid], path.name, str(path), "csv", bytes_id(data))
    parsed.document.encoding = encoding
    return parsed


def parse_xlsx(path: Path) -> ParsedFile:
    """Parse every sheet of a workbook that has a recognisable header. Raises IngestError otherwise."""
    data = read_bytes(path)
    if not data:
        raise IngestError(path.name, "文件为空,需要一张项目支出绩效目标表")
    return parse_grids(read_xlsx(path), path.name, str(path), "xlsx", bytes_id(data))


def parse_grids(grids: list[Grid], source: str, path: str, fmt: str, content_hash: str) -> ParsedFile:
    """Parse the sheets of one file into one ParsedFile (one Document)."""
    found = [(g, find_header(g)) for g in grids]
    usable = [(g, h) for g, h in found if h is not None]
    if not usable:
        where = "、".join(f"“{g.name}”" for g in grids if g.name) or "文件"
        sheet_word = "工作表" if any(g.name for g in grids) else ""
        raise IngestError(source, f"{sheet_word}{where}前{HEADER_SEARCH_ROWS}行中没有可识别的表头:需要{_EXPECTED}等列")
    result: ParsedFile | None = None
    builder: RecordBuilder | None = None
    for n, (grid, header) in enumerate(usable):
        assert header is not None
        sheet_result, builder = _parse_grid(grid, header, source, path, fmt, builder)
        if result is None:
            result = sheet_result
        else:
            _merge(result, sheet_result, n)
    assert result is not None
    for grid, header in found:
        if header is None and any(clean(c) for _, cells in grid.rows for c in cells):
            result.warnings.append(ParseWarning(source, 0, f"工作表“{grid.name}”没有可识别的表头,已跳过", "layout"))
    result.document.content_hash = content_hash
    if not result.projects:
        raise IngestError(source, f"没有找到任何项目行:表头之下需要{_EXPECTED}等列的数据")
    return result


def _merge(into: ParsedFile, other: ParsedFile, n: int) -> None:
    into.projects.extend(other.projects)
    into.indicators.extend(other.indicators)
    into.warnings.extend(other.warnings)
    into.totals.extend(other.totals)
    for line, fate in other.rows.items():
        into.rows[n * _SHEET_ROW_KEY + line] = fate
    into.rows_in += other.rows_in
    into.document.subtotals.update(other.document.subtotals)
    if into.document.grand_total is None:
        into.document.grand_total = other.document.grand_total


def _same(text: str) -> str:
    return text


def _simplifier(grid: Grid) -> tuple[Callable[[str], str], bool]:
    """How to read the sheet's cells: simplified when it is written in Traditional Chinese."""
    text = "\n".join("\t".join(cells) for _, cells in grid.rows[:2000])
    if is_traditional(text):
        return simplify_line, True
    return _same, False


def _parse_grid(
    grid: Grid, header: Header, source: str, path: str, fmt: str, builder: RecordBuilder | None
) -> tuple[ParsedFile, RecordBuilder | None]:
    simplify, traditional = _simplifier(grid)
    first_data = header.rows[-1] + 1
    title_lines = [simplify("\t".join(cells)) for _, cells in grid.rows[: header.rows[0]]]
    department, unit = find_department(title_lines)
    year = guess_year("\n".join(title_lines), source) or guess_year("", grid.name)
    sheet_note = f"工作表“{grid.name}”" if grid.name else ""
    if "indicator" not in header.roles:
        if "indicators" in header.roles:
            return _parse_packed(grid, header, source, path, fmt, department), builder
        raise IngestError(
            source,
            f"{sheet_note}表头(第{grid.rows[header.rows[0]][0]}行)没有“绩效指标”列:需要{_EXPECTED}等列,"
            f"读到的是“{'、'.join(t for t in header.titles if t)[:80]}”",
            line=grid.rows[header.rows[0]][0],
        )
    document = Document(
        source=source,
        department=department or source.rsplit(".", 1)[0],
        year=year,
        unit=unit,
        path=path,
        format=fmt,
        traditional=traditional,
    )
    parsed = ParsedFile(document=document)
    if not department:
        parsed.warnings.append(ParseWarning(source, 0, f"{sheet_note}未找到“部门名称:”表头,以文件名作为部门名称", "header"))
    if builder is None:
        builder = RecordBuilder(document)
    _RowReader(parsed, builder, grid, header, simplify).run(first_data)
    for p in parsed.projects:
        p.sheet = grid.name
    for i in parsed.indicators:
        i.sheet = grid.name
    for t in parsed.totals:
        t.sheet = grid.name
    return parsed, builder


def _parse_packed(grid: Grid, header: Header, source: str, path: str, fmt: str, department: str) -> ParsedFile:
    """The OCR layout in a spreadsheet: rebuild its tab-separated lines and parse them as text."""
    order = ["project", *(_AMOUNT_KEYS), "goal", "indicators"]
    cols = [header.roles.get(role) for role in order]
    by_number = dict(grid.rows)
    last = max(by_number) if by_number else 0
    lines: list[str] = []
    first_header_row = grid.rows[header.rows[0]][0]
    header_rows = {grid.rows[k][0] for k in header.rows}
    for number in range(1, last + 1):
        cells = by_number.get(number, [])
        if number < first_header_row:
            lines.append("\t".join(cells))
        elif number in header_rows:
            lines.append("\t".join(TABLE_COLUMNS) if number == first_header_row else "")
        else:
            lines.append("\t".join(_cell(cells, c).replace("\t", " ").replace("\n", "") for c in cols))
    note = f"工作表“{grid.name}”" if grid.name else ""
    try:
        parsed = parse_text("\n".join(lines), source, path, fmt=fmt, department_hint=department)
    except IngestError as exc:
        raise IngestError(source, f"{note}{exc.reason}", line=exc.line) from exc
    for r in parsed.records:
        r.sheet = grid.name
    for t in parsed.totals:
        t.sheet = grid.name
    return parsed


class _RowReader:
    """Walks the data rows of a row-per-indicator sheet."""

    def __init__(self, parsed: ParsedFile, builder: RecordBuilder, grid: Grid, header: Header, simplify: Callable[[str], str]) -> None:
        self.parsed = parsed
        self.builder = builder
        self.grid = grid
        self.cols = header.roles
        self.simplify = simplify
        self.source = parsed.document.source
        self.sheet_note = f"工作表“{grid.name}”" if grid.name else ""
        self.unit_name = parsed.document.department
        self.project_name = ""
        self.project_key = ""
        self.item = 0
        self.level1 = ""
        self.level2 = ""
        self.kept: set[str] = set()

    def warn(self, line: int, message: str, kind: WarningKind) -> None:
        self.parsed.warnings.append(ParseWarning(self.source, line, f"{self.sheet_note}{message}", kind, (line,)))

    def get(self, cells: list[str], role: str) -> str:
        return self.simplify(_cell(cells, self.cols.get(role)))

    def run(self, first_data: int) -> None:
        for number, raw_cells in self.grid.rows[first_data:]:
            originals = [c for col, c in enumerate(raw_cells) if (number, col) not in self.grid.merged]
            if not any(clean(c) for c in originals) or _is_header_like(raw_cells):
                continue
            self.row(number, raw_cells)

    def row(self, number: int, cells: list[str]) -> None:
        doc = self.parsed.document
        raw_name = self.get(cells, "project")
        name = clean(raw_name) or self.project_name
        unit_cell = clean(self.get(cells, "unit_name"))
        if unit_cell:
            self.unit_name = unit_cell
        text = "\t".join(cells).rstrip()
        try:
            amounts, repairs = self.amounts(cells)
        except ValueError as exc:
            self.warn(number, f"第{number}行金额无法识别({exc}),该行未收录", "row_dropped")
            self.parsed.account(number, "dropped")
            return
        indicator = clean_value(self.get(cells, "indicator"))
        level1_cell, level2_cell = clean(self.get(cells, "level1")), clean(self.get(cells, "level2"))
        goal = clean(self.get(cells, "goal"))
        has_values = any(clean(self.get(cells, r)) for r in ("period_value", "annual_value", "value"))
        has_indicator = bool(indicator or level1_cell or level2_cell or has_values)

        if name in GRAND_TOTAL_NAMES or for_matching(name) in GRAND_TOTAL_NAMES:
            self.total(number, name, amounts, text, "grand")
            return
        new_project = bool(clean(raw_name)) and clean(raw_name) != self.project_name
        if new_project and not has_indicator and not goal:
            if all(v is None for v in amounts.values()):
                self.warn(number, f"第{number}行只有名称“{name}”,既无金额也无指标,未收录", "row_dropped")
                self.parsed.account(number, "dropped")
            else:
                if looks_like_unit(name, doc.department) or "unit_name" not in self.cols:
                    self.unit_name = name
                self.total(number, name, amounts, text, "unit")
            return
        if not name:
            self.warn(number, f"第{number}行没有项目名称(上方也没有可沿用的项目),未收录", "row_dropped")
            self.parsed.account(number, "dropped")
            return
        fate: RowFate = "indicator"
        if new_project:
            project = self.builder.project(
                line=number, name=name, amounts=amounts, goal=goal, text=text, unit_name=self.unit_name, repairs=repairs
            )
            self.parsed.projects.append(project)
            self.project_name = name
            self.item = 0
            self.level1 = self.level2 = ""
            self.kept = set()
            fate = "project"
        if not has_indicator:
            if not new_project:
                self.warn(number, f"第{number}行属于“{name}”,但没有指标内容,未收录", "row_dropped")
                self.parsed.account(number, "dropped")
            else:
                self.warn(number, f"“{name}”没有绩效指标", "layout")
                self.parsed.account(number, fate)
            return
        kept = self.indicator(number, cells, name, indicator, level1_cell, level2_cell, text, new_project)
        self.parsed.account(number, fate if kept or new_project else "dropped")

    def indicator(self, number: int, cells: list[str], project: str, name: str, l1: str, l2: str, text: str, new: bool) -> bool:
        """Add the row's indicator; False (after a warning) when the row holds none."""
        # The whole row is lost when it made no project either: say so as a dropped row.
        kind: WarningKind = "item_dropped" if new else "row_dropped"
        # Blank category cells continue the category above; a new 一级 starts its own 二级.
        if l1:
            if l1 != self.level1:
                self.level2 = ""
            self.level1 = l1
        if l2:
            self.level2 = l2
        level1, level2, repairs = resolve_categories(self.level1, self.level2)
        if level1 is None:
            what = f"{l1 or '空'}/{l2 or '空'}"
            self.warn(number, f"第{number}行“{project}”的指标“{name}”无法识别一级/二级指标({what}),未收录", kind)
            return False
        if not name:
            self.warn(number, f"第{number}行“{project}”缺少三级指标名称,未收录", kind)
            return False
        both = clean_value(self.get(cells, "value"))
        period = clean_value(self.get(cells, "period_value")) or both
        annual = clean_value(self.get(cells, "annual_value")) or both
        key = for_matching(f"{level2.code if level2 else ''}|{name}|{period}")
        if key in self.kept:
            self.warn(number, f"第{number}行“{project}”的指标“{name}”重复出现,只收录一次", "duplicate" if new else "row_dropped")
            return False
        self.kept.add(key)
        self.item += 1
        item = ParsedItem(self.item, level1, level2, name, period, annual, text, repairs)
        self.parsed.indicators.append(self.builder.indicator(project=project, line=number, item=item))
        return True

    def amounts(self, cells: list[str]) -> tuple[dict[str, float | None], list[Repair]]:
        amounts: dict[str, float | None] = {}
        repairs: list[Repair] = []
        for key in _AMOUNT_KEYS:
            cell = _cell(cells, self.cols.get(key))
            amounts[key] = parse_amount(cell)
            if amounts[key] is not None and has_spaced_number(cell):
                repairs.append(Repair(key, cell.strip(), f"{amounts[key]:.2f}", "去除数字中的OCR空格"))
        return amounts, repairs

    def total(self, number: int, name: str, amounts: dict[str, float | None], text: str, kind: TotalKind) -> None:
        doc = self.parsed.document
        self.parsed.totals.append(TotalRow(number, name, kind, amounts, text))
        if kind == "grand":
            doc.grand_total = amounts["total"]
        else:
            doc.subtotals[name] = amounts["total"] or 0.0
        self.parsed.account(number, "total" if kind == "grand" else "subtotal")
