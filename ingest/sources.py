"""File → Source: the decoded text and/or the sheets of cells a layout reader works on.

Formats are chosen by suffix (what the bytes are); layouts by content (ingest/layouts). Every
reader works inside the file's limits (ingest.limits).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from errors import IngestError
from ingest.reader import bytes_id, detect, read_bytes
from ingest.records import stable_id
from ingest.table import Sheet, text_sheet

TEXT_SUFFIXES = {".txt", ".tsv", ".text", ""}
CSV_SUFFIXES = {".csv"}
XLSX_SUFFIXES = {".xlsx", ".xlsm"}
DOCX_SUFFIXES = {".docx"}
HTML_SUFFIXES = {".html", ".htm"}
PDF_SUFFIXES = {".pdf"}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | CSV_SUFFIXES | XLSX_SUFFIXES | DOCX_SUFFIXES | HTML_SUFFIXES | PDF_SUFFIXES


@dataclass
class Source:
    """One input file, read: text (text formats, PDF lines) and sheets of cells."""

    name: str  # file name, as cited
    path: str
    format: str  # text | csv | xlsx | docx | html | pdf
    content_hash: str
    encoding: str = ""
    text: str | None = None  # the decoded text of a text file (the OCR layout is read from it)
    _sheets: list[Sheet] | None = None
    pages: list[int] = field(default_factory=list)  # PDF: page of each line of `text`
    sheet_pages: list[int] = field(default_factory=list)  # PDF: page of each row of the sheet

    @property
    def sheets(self) -> list[Sheet]:
        """The file as sheets of cells (a text file is split the way it is delimited)."""
        if self._sheets is None:
            self._sheets = [text_sheet(self.text or "")]
        return self._sheets


def load(path: Path) -> Source:
    """Read a file into a Source. Raises IngestError for an unreadable or unsupported file."""
    suffix = path.suffix.lower()
    if suffix in TEXT_SUFFIXES:
        data = read_bytes(path)
        text, encoding = detect(data, path.name)
        return Source(path.name, str(path), "text", stable_id(text), encoding, text)
    if suffix in CSV_SUFFIXES:
        from ingest.tabular import read_csv

        data = read_bytes(path)
        grid, encoding = read_csv(data, path.name)
        return Source(path.name, str(path), "csv", bytes_id(data), encoding, _sheets=[grid.sheet()])
    if suffix in XLSX_SUFFIXES:
        from ingest.tabular import read_xlsx

        data = read_bytes(path)
        if not data:
            raise IngestError(path.name, "文件为空,需要一张项目支出绩效目标表")
        return Source(path.name, str(path), "xlsx", bytes_id(data), _sheets=[g.sheet() for g in read_xlsx(path)])
    if suffix in DOCX_SUFFIXES:
        from ingest.docx_tables import read_docx

        data = read_bytes(path)
        if not data:
            raise IngestError(path.name, "文件为空,需要一张项目支出绩效目标表")
        return Source(path.name, str(path), "docx", bytes_id(data), _sheets=read_docx(path))
    if suffix in HTML_SUFFIXES:
        from ingest.html_tables import read_html

        data = read_bytes(path)
        text, encoding = detect(data, path.name)
        return Source(path.name, str(path), "html", bytes_id(data), encoding, _sheets=read_html(text))
    if suffix in PDF_SUFFIXES:
        from ingest.pdf import load_pdf

        return load_pdf(path)
    supported = "、".join(sorted(s.lstrip(".") for s in SUPPORTED_SUFFIXES if s))
    raise IngestError(path.name, f"不支持的文件类型“{suffix}”,支持: {supported}")
