"""Layout readers, one module per layout, chosen from a table by what the document holds.

Every reader has the same entry points: `detect(analysis) -> bool` and
`parse(source, analysis, builder) -> ParsedFile` (ragflow's rag/app style: a new layout is a new
module and one more entry in LAYOUTS). The OCR text layout is recognised on the raw text first;
everything else is read as sheets of cells (ingest.table), analysed once (ingest.grid.analyze),
and given to the first reader in LAYOUTS that recognises it. A sheet no reader recognises is
skipped with a warning; a file with none gets one IngestError naming what was looked for.
"""

from __future__ import annotations

from types import ModuleType

from errors import IngestError
from ingest.builder import RecordBuilder
from ingest.grid import HEADER_SEARCH_ROWS, Analysis, analyze, money_of, sections
from ingest.headers import column_role
from ingest.layouts import form, overall, packed, rows, selfeval
from ingest.layouts.common import prepared
from ingest.records import Document, ParsedFile, ParseWarning
from ingest.runon import run_on_line
from ingest.sources import Source

# Order matters: the first reader whose detect() says yes parses the sheet.
LAYOUTS: tuple[ModuleType, ...] = (packed, selfeval, rows, form, overall)
_SHEET_ROW_KEY = 1_000_000  # row keys of later sheets are offset by this much per sheet


def expected() -> str:
    """What a table must look like, in words a user can act on (for the error of an unrecognised file)."""
    return ";".join(f"{n}. {m.DESCRIPTION}" for n, m in enumerate(LAYOUTS, start=1))


def parse_source(source: Source) -> ParsedFile:
    """Parse a loaded file with the reader its layout calls for. Raises IngestError when none fits."""
    if source.text is not None and packed.detect_text(source.text):
        parsed = packed.parse_text_source(source)
        return _paged(parsed, source, source.pages) if source.pages else parsed
    builder = RecordBuilder(Document(source=source.name, department="", year=0))
    results: list[tuple[int, ParsedFile]] = []  # (sheet number, what one sheet or one form of it gave)
    skipped: list[str] = []
    for number, whole in enumerate(source.sheets):
        whole, traditional = prepared(whole)
        for sheet in sections(whole):  # a page of stacked forms: each form read on its own
            analysis = analyze(sheet)
            reader = next((m for m in LAYOUTS if analysis.header is not None and m.detect(analysis)), None)
            if reader is None and "project" in analysis.block.keys and (results or cut_form(analysis)):
                reader = form  # the next form of a page, or a lone form, cut off before its indicators
            if reader is None:
                if any(r.filled for r in sheet.rows) and sheet.name not in skipped:
                    skipped.append(sheet.name)
                continue
            parsed = reader.parse(source, analysis, builder)
            doc = parsed.document
            doc.traditional = doc.traditional or traditional
            doc.format, doc.content_hash, doc.path = source.format, source.content_hash, source.path
            doc.encoding = doc.encoding or source.encoding
            results.append((number, parsed))
    if not results:
        raise _no_layout(source, skipped)
    parsed = results[0][1]
    for number, other in results[1:]:
        _merge(parsed, other, number)
    for name in skipped:
        parsed.warnings.append(ParseWarning(source.name, 0, f"工作表“{name}”没有可识别的表头,已跳过", "layout"))
    if not parsed.projects:
        lost = [w.message for w in parsed.warnings if w.kind == "quarantined"]
        why = f"({lost[0][:200]})" if lost else ""
        raise IngestError(source.name, f"没有找到任何可读取的项目行{why}。需要以下之一: {expected()}")
    if source.sheet_pages:
        _paged(parsed, source, source.sheet_pages)
    return parsed


def cut_form(analysis: Analysis) -> bool:
    """A 申报表 whose copy ends before its indicator grid: its header block still names the project,
    states its amount and names a department or an implementing unit (all three, read as labels)."""
    block = analysis.block
    total = block.keys.get("total")
    return (analysis.header is None and total is not None and money_of(total.value, block.unit or "万元") is not None
            and bool(block.keys.get("department") or block.keys.get("implementer") or block.departments))


def _no_layout(source: Source, skipped: list[str]) -> IngestError:
    """One error for a file no reader recognises: the nearest thing to a header it has, and what was looked for."""
    for sheet in source.sheets:
        for row in sheet.rows[:HEADER_SEARCH_ROWS]:
            roles = {column_role(c) for c in row.cells} - {None}
            if len(roles) >= 2 and "project" in roles:
                where = f"工作表“{sheet.name}”" if sheet.name else ""
                found = "、".join(c for c in row.filled)[:80]
                return IngestError(source.name, f"{where}表头(第{row.line}行)没有“绩效指标”列,也没有一级指标、二级指标、三级指标等指标列,"
                                                f"读到的是“{found}”。需要以下之一: {expected()}", line=row.line)
    for sheet in source.sheets:
        if (line := run_on_line(sheet.rows)) is not None:
            return IngestError(source.name, "此行把整张表(表头和各行指标)连成了一段,单元格之间没有分隔符;按内容拆分时"
                                            "各行的指标值无法相互印证(年度指标值与实际完成值、分值与得分),为免读错未收录。"
                                            f"请提供原表格(xlsx/docx/html)或按单元格分隔的文本。需要以下之一: {expected()}", line=line)
    where = "、".join(f"“{n}”" for n in skipped if n)
    where = f"工作表{where}" if where else "文件"
    return IngestError(source.name, f"{where}前{HEADER_SEARCH_ROWS}行中没有可识别的表头,无法判断表格版式。需要以下之一: {expected()}")


def _paged(parsed: ParsedFile, source: Source, pages: list[int]) -> ParsedFile:
    from ingest.pdf import paged

    parsed.document.format = source.format
    parsed.document.content_hash = source.content_hash
    return paged(parsed, pages)


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
