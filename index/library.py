"""The document library: the one way the app touches files.

Uploads arrive as bytes with the client's file name. The library keeps only the name's last
component, made safe (`safe_name`), checks type and size, writes the bytes into a staging
directory of its own under JIXIAO_HOME/uploads/.staging, and indexes them through
`Index.build`, which moves each file into JIXIAO_HOME/uploads when its document is
committed (journaled: a crash at any point is finished or undone by the next process). The
stored copies let cited lines be shown later: `source_lines` and `source_path` read only
files in the library's folder or the configured data directory, never a path a client named.
Staging left by a killed process is removed when a library is opened.
"""

from __future__ import annotations

import os
import re
import shutil
import unicodedata
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, BinaryIO

from errors import IngestError
from index.journal import fault
from index.store import DocumentInfo, FileReport, Index, open_index
from ingest import SUPPORTED_SUFFIXES
from ingest.records import Record

# The four formats people know first, then the other spellings ingest reads.
_FIRST = (".txt", ".csv", ".xlsx", ".pdf")
UPLOAD_SUFFIXES = (*(s for s in _FIRST if s in SUPPORTED_SUFFIXES), *sorted(SUPPORTED_SUFFIXES - {"", *_FIRST}))
MAX_NAME = 120  # characters of a stored file name
_CHUNK = 1 << 20
_UNSAFE = set('<>:"|?*')


def safe_name(name: str) -> str:
    """The last component of a client's file name, safe to store: no folders, no control or
    reserved characters, no leading dots, at most MAX_NAME characters ("" when nothing is left)."""
    name = re.split(r"[\\/]", unicodedata.normalize("NFC", name or ""))[-1]
    name = "".join("_" if c in _UNSAFE or unicodedata.category(c)[0] == "C"
                   else " " if unicodedata.category(c)[0] == "Z" else c for c in name)
    name = name.strip().lstrip(".").strip()
    if len(name) > MAX_NAME:
        stem, dot, suffix = name.rpartition(".")
        suffix = f".{suffix}" if dot and len(suffix) <= 8 else ""
        name = (stem if suffix else name)[: MAX_NAME - len(suffix)] + suffix
    return name


@dataclass
class UploadResult:
    """What an upload did: one report per file that reached the index, and the files refused before."""

    reports: list[FileReport] = field(default_factory=list)
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (file name, why, in Chinese)

    @property
    def message(self) -> str:
        """One sentence for the user."""
        if not self.reports and not self.rejected:
            return "请先选择要上传的文件。"
        count = {s: sum(r.status == s for r in self.reports) for s in ("added", "updated", "unchanged", "duplicate")}
        failed = sum(r.status == "error" for r in self.reports) + len(self.rejected)
        parts = [f"导入 {count['added'] + count['updated']} 个文件"]
        if count["unchanged"]:
            parts.append(f"{count['unchanged']} 个内容未变")
        if count["duplicate"]:
            parts.append(f"{count['duplicate']} 个已存在(内容与已导入的文档相同)")
        if failed:
            parts.append(f"{failed} 个未能导入(原因见表)")
        kept = sum(bool(r.same_period) for r in self.reports)
        if kept:
            parts.append(f"{kept} 个与已有文档同部门同年度,两份都保留")
        replaced = sum(len(r.replaced) for r in self.reports)
        if replaced:
            parts.append(f"替换了 {replaced} 份同部门同年度的旧版本")
        return ",".join(parts) + "。"


class Library:
    """Upload, list, remove and read back the indexed documents' files."""

    def __init__(self, index: Index | None = None) -> None:
        """Opens the index (finishing interrupted operations) and removes stale staging."""
        self.index = index or open_index()
        self.settings = self.index.settings
        self.index.tidy()

    @property
    def uploads_dir(self) -> Path:
        return self.settings.uploads_dir

    @property
    def staging_dir(self) -> Path:
        return self.settings.uploads_dir / ".staging"

    def clean_staging(self) -> list[Path]:
        """Remove staging (and temporary files) left by processes that are gone, after finishing
        their journaled work; skipped while another process writes."""
        return self.index.tidy()

    def check_upload(self, name: str, size: int) -> str:
        """Why a file cannot be uploaded ("" when it can): its name, type or size."""
        return _name_problem(name) or self._size_problem(size)

    def _size_problem(self, size: int) -> str:
        limit = self.settings.upload_max_mb
        if size > limit * 1024 * 1024:
            return f"文件超过单个文件 {limit:g} MB 的上限(JIXIAO_UPLOAD_MAX_MB)"
        if size == 0:
            return "文件是空的"
        return ""

    def upload(self, files: Iterable[tuple[str, bytes | BinaryIO]], replace: bool = False,
               progress: Callable[[float, str], Any] | None = None) -> UploadResult:
        """Index uploaded files given as (client file name, bytes or a binary stream).

        A bad file never stops the others. A file is stored in the library only when its
        document was indexed, so an earlier good copy of the same name survives a bad one.
        `replace=True`: a table of the same department and year replaces the indexed one
        (default: both are kept, and the report says so).
        """
        items = list(files)
        result = UploadResult()
        if len(items) > self.settings.upload_max_files:
            reason = f"一次最多上传 {self.settings.upload_max_files} 个文件,这次选了 {len(items)} 个(JIXIAO_UPLOAD_MAX_FILES)"
            result.rejected = [(safe_name(name) or name, reason) for name, _ in items]
            return result
        staging = self.staging_dir / f"{os.getpid()}-{uuid.uuid4().hex[:12]}"
        staging.mkdir(parents=True)
        try:
            staged: dict[str, Path] = {}
            for name, data in items:
                clean = safe_name(name)
                problem = _name_problem(clean)
                if not problem and clean in staged:
                    problem = "同名文件在这次上传中出现了两次,只导入第一个"
                if not problem:
                    problem = self._stage(staging / clean, data)
                if problem:
                    result.rejected.append((clean or str(name), problem))
                    continue
                staged[clean] = staging / clean
            fault("upload.staged")
            if staged:
                stored = {path: self.uploads_dir / name for name, path in staged.items()}
                result.reports = self.index.build(list(staged.values()), progress=progress, replace=replace,
                                                  stored=stored)
            fault("upload.done")
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return result

    def upload_files(self, paths: Sequence[Path], replace: bool = False,
                     progress: Callable[[float, str], Any] | None = None) -> UploadResult:
        """`upload` for files on this machine that its operator named (the CLI)."""
        opened: list[tuple[str, BinaryIO]] = []
        missing: list[tuple[str, str]] = []
        try:
            for path in paths:
                try:
                    opened.append((path.name, path.open("rb")))
                except OSError:
                    missing.append((path.name, "文件不存在或无法读取"))
            result = self.upload(opened, replace=replace, progress=progress)
        finally:
            for _, fh in opened:
                fh.close()
        result.rejected = missing + result.rejected
        return result

    def _stage(self, path: Path, data: bytes | BinaryIO) -> str:
        """Write an upload into staging, reading at most the size limit (+1 byte); why not, or ""."""
        limit = int(self.settings.upload_max_mb * 1024 * 1024)
        size = 0
        with path.open("wb") as out:
            if isinstance(data, bytes | bytearray):
                size = len(data)
                if size <= limit:
                    out.write(data)
            else:
                while size <= limit:
                    chunk = data.read(min(_CHUNK, limit + 1 - size))
                    if not chunk:
                        break
                    size += len(chunk)
                    out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        problem = self._size_problem(size)
        if problem:
            path.unlink(missing_ok=True)
        return problem

    def documents(self) -> list[DocumentInfo]:
        """Indexed documents, by department, year and file name."""
        return self.index.documents()

    def remove(self, source: str) -> int:
        """Remove a document from every index and its stored copy; how many rows left (0: not indexed)."""
        return self.index.remove(source)

    def source_path(self, source: str) -> Path | None:
        """The file a document was read from: the library's copy, else the data directory. Only a
        plain file name inside those two folders is ever read."""
        name = Path(source).name
        if not name or name != source or name.startswith("."):
            return None
        for folder in (self.uploads_dir, self.settings.data_dir):
            path = folder / name
            try:
                inside = path.resolve().is_relative_to(folder.resolve())
            except OSError:
                continue
            if inside and path.is_file():
                return path
        return None

    def source_lines(self, record: Record) -> dict[int, str] | None:
        """The lines of the record's source file (its worksheet for XLSX), or None when unavailable."""
        path = self.source_path(record.source)
        if path is None:
            return None
        try:
            sheets = _cached_lines(str(path), path.stat().st_mtime)
        except (IngestError, OSError, ValueError):
            return None
        return sheets.get(record.sheet) or (next(iter(sheets.values())) if len(sheets) == 1 else None)


def _name_problem(name: str) -> str:
    if not name:
        return "文件名为空或只含不能用的字符"
    suffix = Path(name).suffix.lower()
    if suffix not in UPLOAD_SUFFIXES:
        kinds = "、".join(s.lstrip(".") for s in UPLOAD_SUFFIXES)
        return f"不支持的文件类型“{suffix or '无扩展名'}”,只能上传 {kinds} 文件"
    return ""


def read_lines(path: Path) -> dict[str, dict[int, str]]:
    """sheet ("" unless XLSX) -> line (as records cite it) -> row text: ingest's own reading of the file."""
    from ingest import source_lines

    return source_lines(path)


@lru_cache(maxsize=32)
def _cached_lines(path: str, mtime: float) -> dict[str, dict[int, str]]:
    return read_lines(Path(path))
