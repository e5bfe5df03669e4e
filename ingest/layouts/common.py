"""What every grid layout does around its reader: the Document (department, year, unit from the
content, the file name only as a last resort), header-block accounting, and the finishing checks."""

from __future__ import annotations

from ingest.builder import RecordBuilder
from ingest.grid import Analysis, GridReader
from ingest.keyvalue import HeaderBlock, department_of, title_department, year_of, year_of_name
from ingest.normalize import is_traditional, simplify_line
from ingest.records import Document, DocumentKind, ParsedFile, ParseWarning, Project
from ingest.sources import Source
from ingest.table import Row, Sheet
from ingest.units import DEFAULT_UNIT


def sheet_text(sheet: Sheet) -> str:
    return "\n".join(r.text or " ".join(r.cells) for r in sheet.rows[:5000])


def simplified(sheet: Sheet) -> tuple[Sheet, bool]:
    """The sheet with Traditional Chinese simplified (cells only; quotes keep the original text)."""
    if not is_traditional(sheet_text(sheet)):
        return sheet, False
    rows = [Row(r.line, [simplify_line(c) for c in r.cells], r.exact, r.text, r.merged, r.seps, r.end_line, r.cell_lines,
                r.guessed) for r in sheet.rows]
    return Sheet(sheet.name, rows, sheet.positional, sheet.delimiter, sheet.lines), True


def prepared(sheet: Sheet) -> tuple[Sheet, bool]:
    """The sheet as layouts read it: simplified, and rows a copy ran together cut back (ingest.stream)."""
    from ingest.stream import restream

    sheet, traditional = simplified(sheet)
    return restream(sheet), traditional


def new_document(source: Source, analysis: Analysis, layout: str, kind: DocumentKind) -> tuple[ParsedFile, str]:
    """A ParsedFile for one sheet, its Document filled from the header block; returns it and the amount unit."""
    block = analysis.block
    department, dept_from = department_of(block)
    year, year_from = year_of(block, sheet_text(analysis.sheet))
    title = block.titles[0][1] if block.titles else ""
    document = Document(
        source=source.name, department=department, year=year, unit=DEFAULT_UNIT, path=source.path,
        content_hash=source.content_hash, format=source.format, encoding=source.encoding, kind=kind, layout=layout,
        source_unit=block.unit, unit_stated=bool(block.unit), department_from=dept_from, year_from=year_from, title=title,
    )
    parsed = ParsedFile(document=document)
    return parsed, block.unit or DEFAULT_UNIT


def account_header(parsed: ParsedFile, analysis: Analysis, project_lines: set[int] = frozenset()) -> None:  # type: ignore[assignment]
    """Rows above the grid and the header rows themselves: header (or blank) lines, a form's project row a project."""
    header = analysis.header
    stop = header.last + 1 if header else len(analysis.sheet.rows)
    for row in analysis.sheet.rows[:stop]:
        if row.line in project_lines:
            parsed.account(row.line, "project")
        else:
            parsed.account(row.line, "header" if row.filled else "blank")


def run_grid(parsed: ParsedFile, builder: RecordBuilder, analysis: Analysis, unit: str, project=None) -> GridReader:  # type: ignore[no-untyped-def]
    header = analysis.header
    assert header is not None
    reader = GridReader(parsed, builder, analysis.sheet, header, unit=unit, project=project)
    reader.run(analysis.sheet.rows[header.last + 1 :])
    return reader


def finish(parsed: ParsedFile, reader: GridReader | None = None, block: HeaderBlock | None = None) -> ParsedFile:
    """Department and year when the content had none (the file name, warned), the unit warning."""
    doc = parsed.document
    source = doc.source
    if not doc.department and reader is not None:
        units = list(dict.fromkeys(p.unit_name for p in parsed.projects if p.unit_name))
        if len(units) == 1:
            doc.department, doc.department_from = units[0], "单位名称列"
        elif reader.units_seen:
            doc.department, doc.department_from = reader.units_seen[0], "单位名称列"
    if not doc.department and block is not None and (titled := title_department(block)):
        doc.department, doc.department_from = titled, "标题"
    if not doc.department:
        doc.department, doc.department_from = source.rsplit(".", 1)[0], "文件名"
        message = "表中未找到部门(主管部门、预算部门、部门名称、单位名称等),以文件名作为部门名称"
        parsed.warnings.append(ParseWarning(source, 0, message, "header"))
    if not doc.year:
        doc.year = year_of_name(source)
        doc.year_from = "文件名" if doc.year else ""
        what = f"按文件名取{doc.year}年" if doc.year else "年度记为0"
        parsed.warnings.append(ParseWarning(source, 0, f"表中未找到年度(标题中的“20xx年”或“年度”),{what}", "header"))
    for record in parsed.records:
        record.department = doc.department
        record.year = doc.year
        if isinstance(record, Project) and not record.unit_name:
            record.unit_name = doc.department
    cell_units = any(p.amount_unit in ("万",) or "amount_words" in p.flags for p in parsed.projects)
    has_amounts = any(p.total is not None for p in parsed.projects) or doc.subtotals or doc.grand_total is not None
    if not doc.unit_stated and has_amounts and not cell_units:
        parsed.warnings.append(ParseWarning(source, 0, "表中没有注明金额单位(如“单位:万元”“金额单位:元”),金额按万元计", "unit"))
        for p in parsed.projects:
            if p.total is not None and "unit_assumed" not in p.flags:
                p.flags.append("unit_assumed")
    return parsed
