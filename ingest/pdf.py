"""Parse a PDF with a text layer: its ruled tables become the OCR layout's tab-separated lines.

pdfplumber finds the tables; a cell's wrapped lines are joined, each table row becomes one
line (cells joined by tabs), and the text outside the tables (title, 部门名称, 单位) is kept as
header lines. For the OCR layout a row continued on the next page is joined back to its start
and the lines go through the text parser; other layouts read the table rows as cells. Records
carry the page; their `line` is the row's position in that extracted text.
"""

from __future__ import annotations

from pathlib import Path

from errors import IngestError
from ingest.normalize import clean
from ingest.reader import bytes_id, read_bytes
from ingest.records import ParsedFile, ParseWarning
from ingest.sources import Source
from ingest.table import Row, Sheet

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


def extract_rows(path: Path) -> list[tuple[int, list[str] | None, str]]:
    """(page, cells, text) per row in reading order: table rows have cells, other text lines have None."""
    import pdfplumber

    from ingest.limits import budget

    b = budget()
    try:
        pdf = pdfplumber.open(path)
    except Exception as exc:  # pdfminer raises many kinds on a broken file
        raise IngestError(path.name, f"不是有效的 PDF 文件({type(exc).__name__}),需要带文字层的 PDF") from exc
    out: list[tuple[int, list[str] | None, str]] = []
    with pdf:
        for number, page in enumerate(pdf.pages, start=1):
            b.tick()
            try:
                tables = page.find_tables()
                outside = page
                for table in tables:
                    outside = outside.outside_bbox(table.bbox)
                for text in (outside.extract_text() or "").splitlines():
                    if text.strip():
                        b.add_rows()
                        out.append((number, None, text))
                for table in tables:
                    for row in table.extract():
                        b.add_rows()
                        cells = [unwrap(c) for c in row]
                        if any(cells):
                            out.append((number, cells, "\t".join(cells)))
            except IngestError:
                raise
            except Exception as exc:  # a damaged page: say which one
                raise IngestError(path.name, f"第{number}页无法解析({type(exc).__name__}: {exc})") from exc
    return out


def extract_lines(path: Path) -> tuple[list[str], list[int]]:
    """(lines, page of each line): table rows as tab-separated lines, other text as it reads.

    A table row continued on the next page (its name and amount cells empty) is joined back to
    the row it continues: the OCR layout's rows are one line each."""
    return _joined(extract_rows(path))


def _joined(rows: list[tuple[int, list[str] | None, str]]) -> tuple[list[str], list[int]]:
    lines: list[str] = []
    pages: list[int] = []
    for page, cells, text in rows:
        if cells is not None and lines and not any(clean(c) for c in cells[:_NAME_AND_AMOUNTS]) and "\t" in lines[-1]:
            lines[-1] = _join_rows(lines[-1], cells)
            continue
        lines.append(text)
        pages.append(page)
    return lines, pages


def load_pdf(path: Path) -> Source:
    """A PDF as a Source: its lines (the OCR layout's reading) and its tables as a sheet of cells."""
    data = read_bytes(path)
    if not data.strip():
        raise IngestError(path.name, "文件为空,需要一张项目支出绩效目标表")
    from ingest.limits import budget

    budget().check_size(len(data))
    rows = extract_rows(path)
    if not any(clean(text) for _, _, text in rows):
        raise IngestError(path.name, "PDF 没有文字层(可能是扫描件),需要先做 OCR 或提供带文字的 PDF")
    lines, pages = _joined(rows)
    sheet = Sheet("", [Row(n, cells if cells is not None else [text], True, text) for n, (_, cells, text) in enumerate(rows, 1)])
    return Source(path.name, str(path), "pdf", bytes_id(data), text="\n".join(lines), pages=pages, _sheets=[sheet],
                  sheet_pages=[page for page, _, _ in rows])


def _join_rows(previous: str, cells: list[str]) -> str:
    """A row continued on the next page: its cells appended to the row it continues."""
    before = previous.split("\t")
    before += [""] * (len(cells) - len(before))
    return "\t".join(a + b for a, b in zip(before, cells + [""] * (len(before) - len(cells)), strict=True))


def paged(parsed: ParsedFile, pages: list[int]) -> ParsedFile:
    """Records and warnings of a PDF get the page of their line (`pages[line - 1]`)."""

    def page_of(line: int) -> int:
        return pages[line - 1] if 0 < line <= len(pages) else 0

    for record in parsed.records:
        record.page = page_of(record.line)
    parsed.warnings = [
        ParseWarning(w.source, w.line, f"第{page_of(w.line)}页: {w.message}" if w.line else w.message, w.kind, w.rows)
        for w in parsed.warnings
    ]
    return parsed


def page_error(exc: IngestError, pages: list[int]) -> IngestError:
    """An error naming a PDF line, re-worded to name its page too."""
    page = pages[exc.line - 1] if exc.line and 0 < exc.line <= len(pages) else 0
    where = f"第{page}页: " if page else ""
    return IngestError(exc.source, f"{where}{exc.reason}", line=exc.line)
