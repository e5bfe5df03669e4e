"""The document library as the app uses it: uploads taken as bytes, staged, indexed and kept as the
source copy; list and remove; a record's source lines; a document's parse warnings.

Interim home: index/library.py (issue 12) takes this over. The app calls only the names below, so
switching is one import line. A file's server path never comes from a client: an upload is its
bytes and a client file name, reduced to a bare name and written under the data directory.
"""

from __future__ import annotations

import logging
import re
import shutil
import tempfile
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from assistant import audit
from errors import IngestError
from index.store import DocumentInfo, FileReport, Index
from ingest import SUPPORTED_SUFFIXES
from ingest.records import ParseWarning, Record
from settings import Settings

_log = logging.getLogger(__name__)

# The four formats people know first, then the other spellings ingest reads.
_FIRST = (".txt", ".csv", ".xlsx", ".pdf")
UPLOAD_SUFFIXES = (*(s for s in _FIRST if s in SUPPORTED_SUFFIXES), *sorted(SUPPORTED_SUFFIXES - {"", *_FIRST}))
MAX_UPLOAD_MB = 20
MAX_UPLOAD_FILES = 20
MAX_NAME_CHARS = 120
# One writer at a time, whoever asks (the UI's queue and the REST API share this lock).
WRITE_LOCK = threading.Lock()
STATUS_WORDS = {"added": "已导入", "updated": "已更新(替换同名文档)", "unchanged": "内容未变,跳过", "error": "导入失败",
                "rejected": "未导入"}


@dataclass(frozen=True)
class Upload:
    """One uploaded file: what the client called it and its bytes."""

    name: str
    data: bytes


@dataclass
class UploadOutcome:
    """What became of one upload."""

    source: str
    status: str  # added | updated | unchanged | error | rejected
    projects: int = 0
    indicators: int = 0
    repaired: int = 0
    warnings: list[str] = field(default_factory=list)
    reason: str = ""  # why it was not indexed (Chinese)

    @property
    def ok(self) -> bool:
        return self.status in ("added", "updated", "unchanged")


def sources_dir(settings: Settings) -> Path:
    """Where the source copies of uploaded documents are kept (to show their lines later)."""
    return settings.home / "uploads"


_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]")


def safe_name(client_name: str) -> str:
    """The bare file name to store an upload under, or "" when the client's name cannot be one."""
    name = re.split(r"[/\\]", client_name or "")[-1].strip()
    if not name or name.startswith(".") or _UNSAFE.search(name) or len(name) > MAX_NAME_CHARS:
        return ""
    return name


def check_upload(name: str, size: int, max_mb: float = MAX_UPLOAD_MB) -> str:
    """Why a file cannot be uploaded ("" when it can): its name, type or size."""
    if not safe_name(name):
        return f"文件名无效:只能是不超过 {MAX_NAME_CHARS} 个字符的普通文件名,不能含路径或 \\ / : * ? \" < > | 等字符"
    suffix = Path(name).suffix.lower()
    if suffix not in UPLOAD_SUFFIXES:
        kinds = "、".join(s.lstrip(".") for s in UPLOAD_SUFFIXES)
        return f"不支持的文件类型“{suffix or '无扩展名'}”,只能上传 {kinds} 文件"
    if size > max_mb * 1024 * 1024:
        return f"文件有 {size / 1024 / 1024:.1f} MB,超过单个文件 {max_mb:g} MB 的上限"
    if size == 0:
        return "文件是空的"
    return ""


def _reason(report: FileReport) -> str:
    """The parser's message without the file name it starts with (the report row names the file)."""
    text = report.error
    return text.split(": ", 1)[-1] if text.startswith(report.source) else text


def ingest(index: Index, uploads: Sequence[Upload], progress: Callable[[float, str], None] | None = None,
           max_mb: float = MAX_UPLOAD_MB) -> list[UploadOutcome]:
    """Check, stage and index uploaded files; a bad file never stops the others.

    A file is kept as the source copy only when it was indexed, so an earlier good copy of the same
    name survives a failed replacement.
    """
    if len(uploads) > MAX_UPLOAD_FILES:
        raise ValueError(f"一次最多上传 {MAX_UPLOAD_FILES} 个文件,这次有 {len(uploads)} 个。")
    kept = sources_dir(index.settings)
    (kept / ".staging").mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="upload-", dir=kept / ".staging"))
    rejected: list[UploadOutcome] = []
    staged: dict[str, Path] = {}
    try:
        for upload in uploads:
            name = safe_name(upload.name)
            problem = check_upload(upload.name, len(upload.data), max_mb)
            if not problem and name in staged:
                problem = "同名文件在这次上传中出现了两次,只导入第一个"
            if problem:
                rejected.append(UploadOutcome(name or "(无效文件名)", "rejected", reason=problem))
                continue
            staged[name] = staging / name
            staged[name].write_bytes(upload.data)
        with WRITE_LOCK:
            reports = index.build(list(staged.values()), progress=progress) if staged else []
            for r in reports:
                copy = staged.get(r.source)
                if copy is not None and r.status != "error":
                    copy.replace(kept / r.source)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    outcomes = [UploadOutcome(r.source, r.status, r.projects, r.indicators, r.repaired, list(r.warnings),
                              _reason(r) if r.status == "error" else "") for r in reports]
    return outcomes + rejected


def summary(outcomes: Sequence[UploadOutcome]) -> str:
    """One sentence on a batch: how many went in, were unchanged, failed."""
    ok = sum(o.status in ("added", "updated") for o in outcomes)
    same = sum(o.status == "unchanged" for o in outcomes)
    failed = sum(not o.ok for o in outcomes)
    return (f"导入 {ok} 个文件" + (f",{same} 个内容未变" if same else "")
            + (f",{failed} 个未能导入(原因见表)" if failed else "") + "。")


def documents(index: Index) -> list[DocumentInfo]:
    """Indexed documents (department, year, counts, when added)."""
    return index.documents()


def remove(index: Index, source: str) -> int | None:
    """Remove a document from every index and drop its source copy; rows removed, None when unknown."""
    with WRITE_LOCK:
        if source not in {d.source for d in index.documents()}:
            return None
        n = index.remove(source)
        name = safe_name(source)
        if name:
            (sources_dir(index.settings) / name).unlink(missing_ok=True)
    return n


# -- reading the source files back ----------------------------------------------------------------
def source_path(settings: Settings, source: str) -> Path | None:
    """The file a document was read from: its kept upload, else the bundled data directory."""
    name = safe_name(source)
    if not name:
        return None
    for folder in (sources_dir(settings), settings.data_dir):
        path = folder / name
        if path.is_file():
            return path
    return None


def _read_lines(path: Path) -> dict[str, dict[int, str]]:
    """sheet ("" unless XLSX) -> line (as records cite it) -> row text, cells joined by tabs."""
    suffix = path.suffix.lower()
    if suffix in (".csv", ".xlsx", ".xlsm"):
        from ingest.reader import read_bytes
        from ingest.tabular import read_csv, read_xlsx

        grids = [read_csv(read_bytes(path), path.name)[0]] if suffix == ".csv" else read_xlsx(path)
        return {g.name: {n: "\t".join(cells).rstrip("\t") for n, cells in g.rows} for g in grids}
    if suffix == ".pdf":
        from ingest.pdf import extract_lines

        lines, _pages = extract_lines(path)
    else:
        from ingest.reader import detect, read_bytes

        lines = detect(read_bytes(path), path.name)[0].splitlines()
    return {"": dict(enumerate(lines, 1))}


@lru_cache(maxsize=32)
def _cached_lines(path: str, mtime: float) -> dict[str, dict[int, str]]:
    return _read_lines(Path(path))


def source_lines(settings: Settings, record: Record) -> dict[int, str] | None:
    """The lines of the record's source file (its worksheet for XLSX), or None when unavailable."""
    path = source_path(settings, record.source)
    if path is None:
        return None
    try:
        sheets = _cached_lines(str(path), path.stat().st_mtime)
    except (IngestError, OSError, ValueError) as exc:
        _log.warning("无法读取原文件 %s: %s", path, exc)
        return None
    return sheets.get(record.sheet) or (next(iter(sheets.values())) if len(sheets) == 1 else None)


_WARNINGS: dict[tuple[str, str, str, float], list[ParseWarning]] = {}


def parse_warnings(index: Index, info: DocumentInfo) -> list[ParseWarning]:
    """A document's parse warnings with their kinds and rows (re-read from its source copy when at hand)."""
    path = source_path(index.settings, info.source)
    key = (info.source, info.content_hash, str(path), path.stat().st_mtime if path else 0.0)
    if key not in _WARNINGS:  # re-parsing a large file on every click would be slow
        _WARNINGS[key] = audit.structured_warnings(info, path)
    return _WARNINGS[key]
