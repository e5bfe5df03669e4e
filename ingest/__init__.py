"""ingest: files → records (Document, Project, Indicator) with provenance and repair flags."""

from __future__ import annotations

from pathlib import Path

from errors import IngestError
from ingest.reader import read_text
from ingest.reconcile import reconcile
from ingest.records import ParsedFile
from ingest.text_table import parse_text

TEXT_SUFFIXES = {".txt", ".tsv", ".text", ""}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES


def parse_file(path: str | Path) -> ParsedFile:
    """Parse one table file into records. Raises IngestError naming the file and line."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in TEXT_SUFFIXES:
        parsed = parse_text(read_text(path), path.name, str(path))
    else:
        raise IngestError(path.name, f"不支持的文件类型“{suffix}”,支持: txt")
    parsed.warnings.extend(reconcile(parsed))
    return parsed


__all__ = ["IngestError", "ParsedFile", "parse_file", "parse_text"]
