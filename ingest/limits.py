"""Bounds on one input file: size, rows, cells (and merged-range area), parse time, field length.

Each limit is a setting (settings.py, from the environment); exceeding one raises an IngestError
that names the file, what was too big, and the setting to change. `parse_file` opens a Budget for
the file it parses; readers call `budget().tick()` in their loops and `check_*` before expanding
anything a file declares (a merged range, a rowspan).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from errors import IngestError


@dataclass(frozen=True)
class Limits:
    max_file_mb: float = 50.0
    max_cells: int = 2_000_000
    max_rows: int = 200_000
    max_field_chars: int = 2000
    parse_seconds: float = 120.0


@lru_cache(maxsize=1)
def configured() -> Limits:
    """The limits of settings.py (read once per process)."""
    from settings import Settings

    s = Settings()
    return Limits(s.max_file_mb, s.max_cells, s.max_rows, s.max_field_chars, s.parse_seconds)


def field_limit() -> int:
    """Characters of one field that go into the retrieval text (JIXIAO_MAX_FIELD_CHARS)."""
    return configured().max_field_chars


class Budget:
    """What one file may still use: rows, cells, and time until its deadline."""

    def __init__(self, source: str, limits: Limits) -> None:
        self.source = source
        self.limits = limits
        self.deadline = time.monotonic() + limits.parse_seconds
        self.rows = 0

    def tick(self) -> None:
        """Raise when the file's parse time is used up (cheap: call it once per row)."""
        if time.monotonic() > self.deadline:
            raise IngestError(self.source, f"解析超过 {self.limits.parse_seconds:g} 秒仍未完成,已停止"
                                           f"(上限由 JIXIAO_PARSE_SECONDS 设置)")

    def add_rows(self, n: int = 1) -> None:
        self.rows += n
        if self.rows > self.limits.max_rows:
            raise IngestError(self.source, f"行数超过上限 {self.limits.max_rows}(JIXIAO_MAX_ROWS),请拆分文件或调大该设置")
        self.tick()

    def check_cells(self, cells: int, where: str) -> None:
        if cells > self.limits.max_cells:
            raise IngestError(self.source, f"{where}有 {cells} 个单元格,超过上限 {self.limits.max_cells}(JIXIAO_MAX_CELLS)")

    def check_merged(self, area: int, ref: str, where: str) -> None:
        """Refuse a merged range (or rowspan × colspan) before it is expanded."""
        if area > self.limits.max_cells:
            raise IngestError(self.source, f"{where}的合并单元格 {ref} 覆盖 {area} 个单元格,超过上限 {self.limits.max_cells}"
                                           f"(JIXIAO_MAX_CELLS),为防止内存耗尽已拒绝该文件")

    def check_size(self, size: int, what: str = "文件大小") -> None:
        limit = self.limits.max_file_mb * 1024 * 1024
        if size > limit:
            raise IngestError(self.source, f"{what} {size / 1024 / 1024:.1f} MB 超过上限 {self.limits.max_file_mb:g} MB"
                                           f"(JIXIAO_MAX_FILE_MB)")

    def check_file(self, path: Path) -> None:
        try:
            size = path.stat().st_size
        except OSError as exc:
            raise IngestError(path.name, f"无法读取文件: {exc.strerror or exc}") from exc
        self.check_size(size)


_current: ContextVar[Budget | None] = ContextVar("ingest_budget", default=None)


def budget() -> Budget:
    """The budget of the file being parsed (an unlimited-time default outside `parse_file`)."""
    current = _current.get()
    return current if current is not None else Budget("", configured())


@contextmanager
def limited(source: str, limits: Limits | None = None) -> Iterator[Budget]:
    """Parse one file under its own budget."""
    b = Budget(source, limits or configured())
    token = _current.set(b)
    try:
        yield b
    finally:
        _current.reset(token)
