"""Spreadsheets (XLSX, CSV) as grids of cell text, read within the file's limits.

XLSX is streamed (openpyxl's worksheet parser, one row at a time): a sheet's declared size and
every merged range are checked against JIXIAO_MAX_CELLS before anything is expanded, and a merged
range is filled only inside the rows and columns that hold data. A 5 KB file declaring
`A10:XFD1048576` is refused in milliseconds instead of allocating 17 billion cells.
Line numbers are the spreadsheet's row numbers (CSV: the line a row starts on).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from errors import IngestError
from ingest.limits import budget
from ingest.reader import detect
from ingest.table import Row, Sheet

ZIP_EXPANSION = 20  # uncompressed XML may be this many times the file size limit


@dataclass
class Grid:
    """The cells of one sheet (or CSV file) as text, with the row numbers a user sees."""

    name: str  # sheet name; "" for CSV
    rows: list[tuple[int, list[str]]]
    merged: set[tuple[int, int]] = field(default_factory=set)  # (row, col) filled from a merged range

    def sheet(self) -> Sheet:
        """The grid as a Sheet of Rows (cells in their columns)."""
        out: list[Row] = []
        for number, cells in self.rows:
            merged = frozenset(c for c in range(len(cells)) if (number, c) in self.merged)
            text = "\t".join(c for c in cells).rstrip("\t")
            out.append(Row(number, list(cells), True, text, merged))
        return Sheet(self.name, out, positional=True)


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


def _check_archive(path: Path, kind: str = "XLSX") -> None:
    """Refuse an Office file whose XML would expand far beyond the file size limit (a zip bomb)."""
    b = budget()
    try:
        with zipfile.ZipFile(path) as zf:
            total = sum(i.file_size for i in zf.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        what = "无法打开工作簿" if kind == "XLSX" else "无法打开文档"
        raise IngestError(path.name, f"不是有效的 {kind} 文件({what}: {exc})") from exc
    b.check_size(total // ZIP_EXPANSION, f"解压后的内容(约 {total / 1024 / 1024:.0f} MB)按 1/{ZIP_EXPANSION} 计")


def read_xlsx(path: Path) -> list[Grid]:
    """Every sheet of a workbook as a Grid, merged ranges filled with their top-left value."""
    from openpyxl import load_workbook
    from openpyxl.cell.read_only import ReadOnlyCell
    from openpyxl.utils.cell import range_boundaries
    from openpyxl.worksheet._reader import WorkSheetParser

    _check_archive(path)
    b = budget()
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
        raise IngestError(path.name, f"不是有效的 XLSX 文件(无法打开工作簿: {exc})") from exc
    grids: list[Grid] = []
    try:
        for ws in wb.worksheets:
            where = f"工作表“{ws.title}”"
            if not hasattr(ws, "_worksheet_path"):
                continue  # a chartsheet
            if ws.max_row and ws.max_column:  # the sheet's declared <dimension>
                declared = (ws.max_row - (ws.min_row or 1) + 1) * (ws.max_column - (ws.min_column or 1) + 1)
                b.check_cells(declared, f"{where}声明的范围")
            rows: dict[int, list[str]] = {}
            cells = 0  # cells in the file
            allocated = 0  # cells held in memory (a row is as wide as its last value)
            with ws._get_source() as src:
                parser = WorkSheetParser(src, ws._shared_strings, data_only=True, epoch=wb.epoch,
                                         date_formats=wb._date_formats, timedelta_formats=wb._timedelta_formats)
                for number, row in parser.parse():
                    b.add_rows()
                    texts: list[str] = []
                    for cell in row:
                        col = cell["column"]
                        cells += 1
                        if col > 16384:
                            continue
                        value = ReadOnlyCell(ws, **cell)
                        text = _text_of(value.value, value.number_format or "")
                        if not text:
                            continue
                        if col > len(texts):
                            allocated += col - len(texts)
                            b.check_cells(allocated, where)
                            texts.extend([""] * (col - len(texts)))
                        texts[col - 1] = text
                    b.check_cells(cells, where)
                    if texts:
                        rows[number] = texts
                merges = parser.merged_cells.mergeCell if parser.merged_cells else []
            merged: set[tuple[int, int]] = set()
            last_row = max(rows) if rows else 0
            last_col = max((len(c) for c in rows.values()), default=0)
            area = 0
            for m in merges:
                min_col, min_row, max_col, max_row = range_boundaries(m.ref)
                size = (max_row - min_row + 1) * (max_col - min_col + 1)
                area += size
                b.check_merged(size, m.ref, where)
                b.check_merged(area, "(全部合并区域)", where)
            for m in merges:
                min_col, min_row, max_col, max_row = range_boundaries(m.ref)
                top = rows.get(min_row, [])
                value = top[min_col - 1] if min_col - 1 < len(top) else ""
                if not value:
                    continue
                # Fill only inside the rows and columns that hold data: the rest carries nothing.
                for r in range(min_row, min(max_row, last_row) + 1):
                    b.tick()
                    for c in range(min_col, min(max_col, max(last_col, min_col)) + 1):
                        if (r, c) == (min_row, min_col):
                            continue
                        row_cells = rows.setdefault(r, [])
                        if len(row_cells) < c:
                            row_cells.extend([""] * (c - len(row_cells)))
                        row_cells[c - 1] = value
                        merged.add((r, c - 1))
            grids.append(Grid(ws.title, sorted(rows.items()), merged))
    finally:
        wb.close()
    return grids


def read_csv(data: bytes, source: str) -> tuple[Grid, str]:
    """A CSV file (comma, semicolon or tab separated; any supported encoding) as a Grid."""
    text, encoding = detect(data, source)
    csv.field_size_limit(max(csv.field_size_limit(), len(data) + 1))  # one long cell is a field, not a format error
    reader = csv.reader(io.StringIO(text, newline=""), csv.excel, delimiter=_delimiter(text))
    rows: list[tuple[int, list[str]]] = []
    start = 1
    b = budget()
    try:
        for cells in reader:
            b.add_rows()
            rows.append((start, cells))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise IngestError(source, f"CSV 格式错误: {exc}", line=reader.line_num) from exc
    b.check_cells(sum(len(c) for _, c in rows), "表格")
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
