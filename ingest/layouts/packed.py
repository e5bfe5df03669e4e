"""The OCR text layout (the bundled Guangzhou table): one row per project, seven columns, every
indicator of a project packed into its 绩效指标 cell (`1、1-产出指标: 11-数量指标: …`).

Read from text (ingest.text_table) or from a spreadsheet with those columns (its rows are turned
back into the text layout's tab-separated lines).
"""

from __future__ import annotations

import re

from errors import IngestError
from ingest.builder import RecordBuilder
from ingest.grid import Analysis
from ingest.headers import LEVEL_ROLES, column_role
from ingest.normalize import clean, mask_markup, simplify_chars
from ingest.records import ParsedFile
from ingest.sources import Source
from ingest.taxonomy import FUNDING_COLUMNS, TABLE_COLUMNS
from ingest.text_table import header_words, parse_text, split_cells

NAME = "packed"
DESCRIPTION = ("制表符分隔的7列绩效目标表(项目名称、总计、财政拨款、财政专户拨款、其他资金、绩效目标、绩效指标,"
               "指标写在一格内:“1、1-产出指标:…”)")
_ITEM = re.compile(r"(?:^|[\s。;；,，])\d{1,2}\s*、\s*\d{0,2}\s*[-_~.]?\s*\S{0,3}(产出|效益|满意度|成本)")


def detect_text(text: str) -> bool:
    """The text is the OCR layout: tab-separated rows under its column titles, or packed indicator cells."""
    head = simplify_chars(text[:200_000])
    for line in head.splitlines()[:400]:
        norm = clean(line)
        if header_words(norm) >= 3 and "\t" in line:
            roles = {column_role(c) for c in line.split("\t")}
            if not roles & LEVEL_ROLES:
                return True
    packed_cells = 0
    for line in head.splitlines()[:2000]:
        if "\t" not in line:
            continue
        for cell in split_cells(mask_markup(line))[1:]:
            if _ITEM.search(clean(cell.text)[:80]) and "指标值" in cell.text:
                packed_cells += 1
                break
        if packed_cells >= 1:
            return True
    return False


def parse_text_source(source: Source) -> ParsedFile:
    return parse_text(source.text or "", source.name, source.path, encoding=source.encoding, fmt=source.format)


def detect(analysis: Analysis) -> bool:
    return analysis.header is not None and analysis.header.packed


def parse(source: Source, analysis: Analysis, builder: RecordBuilder) -> ParsedFile:
    """The OCR layout in a spreadsheet: its rows rebuilt as tab-separated lines and parsed as text."""
    header = analysis.header
    assert header is not None
    sheet = analysis.sheet
    order = ["project", *(k for k, _ in FUNDING_COLUMNS), "goal", "indicators"]
    cols = {role: next((c.index for c in header.columns if c.role == role), None) for role in order}
    by_number = {r.line: r.cells for r in sheet.rows}
    last = max(by_number) if by_number else 0
    first_header = sheet.rows[header.first].line
    header_lines = {sheet.rows[k].line for k in range(header.first, header.last + 1)}
    lines: list[str] = []
    for number in range(1, last + 1):
        cells = by_number.get(number, [])
        if number < first_header:
            lines.append("\t".join(cells))
        elif number in header_lines:
            lines.append("\t".join(TABLE_COLUMNS) if number == first_header else "")
        else:
            picked = [cells[c] if c is not None and c < len(cells) else "" for c in (cols[r] for r in order)]
            lines.append("\t".join(p.replace("\t", " ").replace("\n", "") for p in picked))
    note = f"工作表“{sheet.name}”" if sheet.name else ""
    department = analysis.block.get("department")
    try:
        parsed = parse_text("\n".join(lines), source.name, source.path, fmt=source.format, department_hint=department)
    except IngestError as exc:
        raise IngestError(source.name, f"{note}{exc.reason}", line=exc.line) from exc
    for r in parsed.records:
        r.sheet = sheet.name
    for t in parsed.totals:
        t.sheet = sheet.name
    return parsed
