"""ingest: files → records (Document, Project, Indicator) with provenance and repair flags.

Formats: the OCR text layout (UTF-8, GB18030/GBK, Big5, UTF-16; Simplified or Traditional),
CSV and XLSX (row per indicator, or the text layout's columns), PDF with a text layer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from errors import IngestError
from ingest.reader import detect, read_bytes
from ingest.reconcile import reconcile
from ingest.records import ParsedFile
from ingest.text_table import parse_text

TEXT_SUFFIXES = {".txt", ".tsv", ".text", ""}
CSV_SUFFIXES = {".csv"}
XLSX_SUFFIXES = {".xlsx", ".xlsm"}
PDF_SUFFIXES = {".pdf"}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | CSV_SUFFIXES | XLSX_SUFFIXES | PDF_SUFFIXES


def parse_file(path: str | Path) -> ParsedFile:
    """Parse one table file into records. Raises IngestError naming the file and line."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in TEXT_SUFFIXES:
        text, encoding = detect(read_bytes(path), path.name)
        parsed = parse_text(text, path.name, str(path), encoding=encoding)
    elif suffix in CSV_SUFFIXES:
        from ingest.tabular import parse_csv

        parsed = parse_csv(path)
    elif suffix in XLSX_SUFFIXES:
        from ingest.tabular import parse_xlsx

        parsed = parse_xlsx(path)
    elif suffix in PDF_SUFFIXES:
        from ingest.pdf import parse_pdf

        parsed = parse_pdf(path)
    else:
        supported = "、".join(sorted(s.lstrip(".") for s in SUPPORTED_SUFFIXES if s))
        raise IngestError(path.name, f"不支持的文件类型“{suffix}”,支持: {supported}")
    parsed.warnings.extend(reconcile(parsed))
    return parsed


def parse_files(
    paths: Iterable[str | Path], on_file: Callable[[Path, ParsedFile | IngestError], None] | None = None
) -> tuple[list[ParsedFile], list[IngestError]]:
    """Parse many files, going on past bad ones: (parsed files, one IngestError per bad file)."""
    parsed: list[ParsedFile] = []
    errors: list[IngestError] = []
    for path in paths:
        try:
            result: ParsedFile | IngestError = parse_file(path)
            parsed.append(result)
        except IngestError as exc:
            result = exc
            errors.append(exc)
        if on_file is not None:
            on_file(Path(path), result)
    return parsed, errors


__all__ = ["IngestError", "ParsedFile", "parse_file", "parse_files", "parse_text"]
