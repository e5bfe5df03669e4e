"""ingest: files → records (Document, Project, Indicator) with provenance and repair flags.

Formats (by suffix): text (UTF-8, GB18030/GBK, Big5, UTF-16; Simplified or Traditional; tab-,
pipe- or space-separated, or one cell per line), CSV, XLSX, DOCX, HTML, PDF with a text layer.
Layouts (by content, ingest/layouts): the OCR packed table, row per indicator (one or many
projects), the single-project 申报表 form, the department-level 整体支出 table, the 自评表.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from errors import IngestError
from ingest.limits import Limits, limited
from ingest.readings import add_readings
from ingest.reconcile import reconcile
from ingest.records import ParsedFile, Project
from ingest.sources import SUPPORTED_SUFFIXES, load
from ingest.text_table import parse_text


def parse_file(path: str | Path, limits: Limits | None = None) -> ParsedFile:
    """Parse one table file into records. Raises IngestError naming the file (and line) and what was expected.

    The file is read within its limits (size, rows, cells, time: settings.py, or `limits`)."""
    from ingest.layouts import parse_source

    path = Path(path)
    with limited(path.name, limits) as budget:
        if path.suffix.lower() in SUPPORTED_SUFFIXES and path.exists():
            budget.check_file(path)
        source = load(path)
        if source.format == "pdf":
            from ingest.pdf import page_error

            try:
                parsed = parse_source(source)
            except IngestError as exc:
                raise page_error(exc, source.pages) from exc
        else:
            parsed = parse_source(source)
        parsed.warnings.extend(reconcile(parsed))
        add_readings(parsed)
        flag_long_text(parsed, budget.limits.max_field_chars)
    return parsed


def flag_long_text(parsed: ParsedFile, limit: int) -> None:
    """Flag records with a field longer than what is embedded (index.nodes cuts it; quotes keep it whole)."""
    for record in parsed.records:
        texts = [record.project]
        texts += [record.goal] if isinstance(record, Project) else [record.indicator, record.period_value, record.annual_value]
        if any(len(t) > limit for t in texts) and "long_text" not in record.flags:
            record.flags.append("long_text")


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


def source_lines(path: str | Path) -> dict[str, dict[int, str]]:
    """sheet ("" unless XLSX) → line as records cite it → that row's text (cells joined by tabs).

    The same reading `parse_file` does, so a citation's line finds its row in any format."""
    from ingest.sources import load as load_source

    path = Path(path)
    with limited(path.name):
        source = load_source(path)
    if source.text is not None:
        from ingest.layouts import packed

        if packed.detect_text(source.text):
            return {"": dict(enumerate(source.text.splitlines(), 1))}
        if source.format == "text":  # a row spread over lines (one cell per line) is cited at its first cell
            from ingest.layouts.common import prepared

            lines = dict(enumerate(source.text.splitlines(), 1))
            lines.update({r.line: r.text for r in prepared(source.sheets[0])[0].rows if r.text})
            return {"": lines}
    return {s.name: {r.line: r.text for r in s.rows} for s in source.sheets}


__all__ = ["SUPPORTED_SUFFIXES", "IngestError", "ParsedFile", "parse_file", "parse_files", "parse_text", "source_lines"]
