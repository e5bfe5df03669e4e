"""Parse a PDF with a text layer: its ruled tables become the OCR layout's tab-separated lines.

pdfplumber finds the tables; a cell's wrapped lines are joined, each table row becomes one
line (cells joined by tabs), a row continued on the next page is joined back to its start,
and the text outside the tables (title, 部门名称, 单位) is kept as header lines. The result
goes through the text parser. Records carry the page; their `line` is the row's position in
that extracted text.
"""

from __future__ import annotations

from pathlib import Path

from errors import IngestError
from ingest.normalize import clean
from ingest.reader import bytes_id, read_bytes
from ingest.records import ParsedFile, ParseWarning
from ingest.text_table import parse_text

_NAME_AND_AMOUNTS = 5  # 项目名称 + four funding columns: empty on a row's continuation


def _is_cjk(ch: str) -> bool:
    return "\u2e80" <= ch <= "\u9fff" or "\uff00" <= ch <= "\uffef" or ch in "，。；：、（）"


def unwrap(cell: str | None) -> str:
    """A table cell's text with the line breaks of its wrapping removed."""
    if not cell:
        return ""
    parts = [p.strip() for p in cell.split("\n")]
    out = parts[0]
    for part in parts[1:]:
        if out and part and not _is_cjk(out[-1]) and not _is_cjk(part[0]):
            out += " "
        out += part
    return out


def extract_lines(path: Path) -> tuple[list[str], list[int]]:
    """(lines, page of each line): table rows as tab-separated lines, other text as it reads."""
    import pdfplumber

    try:
        pdf = pdfplumber.open(path)
    except Exception as exc:  # pdfminer raises many kinds on a broken file
        raise IngestError(path.name, f"不是有效的 PDF 文件({type(exc).__name__}),需要带文字层的 PDF") from exc
    lines: list[str] = []
    pages: list[int] = []
    with pdf:
        for number, page in enumerate(pdf.pages, start=1):
            try:
                tables = page.find_tables()
                outside = page
                for table in tables:
                    outside = outside.outside_bbox(table.bbox)
                for text in (outside.extract_text() or "").splitlines():
                    if text.strip():
                        lines.append(text)
                        pages.append(number)
                for table in tables:
                    for row in table.extract():
                        cells = [unwrap(c) for c in row]
                        if not any(cells):
                            continue
                        if lines and pages and not any(clean(c) for c in cells[:_NAME_AND_AMOUNTS]) and "\t" in lines[-1]:
                            lines[-1] = _join_rows(lines[-1], cells)
                            continue
                        lines.append("\t".join(cells))
                        pages.append(number)
            except Exception as exc:  # a damaged page: say which one
                raise IngestError(path.name, f"第{number}页无法解析({type(exc).__name__}: {exc})") from exc
    return lines, pages


def _join_rows(previous: str, cells: list[str]) -> str:
    """A row continued on the next page: its cells appended to the row it continues."""
    before = previous.split("\t")
    before += [""] * (len(cells) - len(before))
    return "\t".join(a + b for a, b in zip(before, cells + [""] * (len(before) - len(cells)), strict=True))


def parse_pdf(path: Path) -> ParsedFile:
    """Parse a PDF's tables. Raises IngestError when it has no text layer or no such table."""
    data = read_bytes(path)
    if not data.strip():
        raise IngestError(path.name, "文件为空,需要一张项目支出绩效目标表")
    lines, pages = extract_lines(path)
    if not any(clean(line) for line in lines):
        raise IngestError(path.name, "PDF 没有文字层(可能是扫描件),需要先做 OCR 或提供带文字的 PDF")

    def page_of(line: int) -> int:
        return pages[line - 1] if 0 < line <= len(pages) else 0

    try:
        parsed = parse_text("\n".join(lines), path.name, str(path), fmt="pdf")
    except IngestError as exc:
        where = f"第{page_of(exc.line)}页: " if exc.line else ""
        raise IngestError(path.name, f"{where}{exc.reason}", line=exc.line) from exc
    parsed.document.content_hash = bytes_id(data)
    for record in parsed.records:
        record.page = page_of(record.line)
    parsed.warnings = [
        ParseWarning(w.source, w.line, f"第{page_of(w.line)}页: {w.message}" if w.line else w.message, w.kind, w.rows)
        for w in parsed.warnings
    ]
    return parsed
