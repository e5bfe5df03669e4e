"""One writer at a time per data directory: an flock on JIXIAO_HOME/index.lock.

Writers (build, remove, upload, repair) hold the lock exclusively; readers take it shared,
and only for the moments they reload the catalog, so they never load a half-written index
and never wait behind a writer (they keep serving what they had). The kernel releases a
flock when its process dies, so a killed writer never leaves the directory locked.

One `DirLock` per directory per process (`dir_lock`): threads of one process queue on a
reentrant thread lock before the flock, so two Index objects on the same directory in one
process behave like two processes, and a thread that writes may read without deadlocking.
"""

from __future__ import annotations

import fcntl
import os
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from errors import IndexBusyError

_POLL_S = 0.05


class DirLock:
    """Exclusive (writers) and shared (readers) locking of one data directory."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._thread = threading.RLock()
        self._owner: int | None = None  # thread id of the writer in this process
        self._depth = 0
        self._fh: IO[str] | None = None

    def held(self) -> bool:
        """Whether the calling thread holds the exclusive lock."""
        return self._owner == threading.get_ident()

    def holder(self) -> str:
        """Who holds (or last held) the exclusive lock, as the lock file records it."""
        try:
            return self.path.read_text(encoding="utf-8").strip()
        except OSError:
            return ""

    @contextmanager
    def exclusive(self, timeout: float, what: str = "") -> Iterator[None]:
        """Hold the directory for writing; wait at most `timeout` seconds, then IndexBusyError."""
        deadline = time.monotonic() + timeout
        if not self._thread.acquire(timeout=max(timeout, 0.0)):
            raise self._busy(timeout)
        try:
            if self._depth == 0:
                self._fh = self._flock(fcntl.LOCK_EX, deadline)
                if self._fh is None:
                    raise self._busy(timeout)
                self._fh.seek(0)
                self._fh.truncate()
                self._fh.write(f"pid {os.getpid()}: {what or ' '.join(sys.argv) or 'python'}\n")
                self._fh.flush()
                self._owner = threading.get_ident()
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if self._depth == 0:
                    self._owner = None
                    assert self._fh is not None
                    fcntl.flock(self._fh, fcntl.LOCK_UN)
                    self._fh.close()
                    self._fh = None
        finally:
            self._thread.release()

    @contextmanager
    def shared(self, timeout: float = 0.0) -> Iterator[bool]:
        """Hold the directory for reading; yields False (and holds nothing) if a writer kept it past `timeout`.

        A thread that holds the exclusive lock reads freely.
        """
        if self.held():
            yield True
            return
        fh = self._flock(fcntl.LOCK_SH, time.monotonic() + timeout)
        try:
            yield fh is not None
        finally:
            if fh is not None:
                fcntl.flock(fh, fcntl.LOCK_UN)
                fh.close()

    def _flock(self, mode: int, deadline: float) -> IO[str] | None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fh = self.path.open("a+", encoding="utf-8")
        while True:
            try:
                fcntl.flock(fh, mode | fcntl.LOCK_NB)
                return fh
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    fh.close()
                    return None
                time.sleep(_POLL_S)

    def _busy(self, timeout: float) -> IndexBusyError:
        holder = self.holder()
        return IndexBusyError(
            f"数据目录 {self.path.parent} 正被另一个进程写入({holder or '未知进程'}),已等待 {timeout:g} 秒仍未结束。"
            "同一数据目录同一时间只能有一个写入者:请等它完成后重试(等待时间由 JIXIAO_LOCK_TIMEOUT 设置);"
            "需要多个进程同时写入时,请使用服务器模式(JIXIAO_CHROMA_URL 指向 chroma run 服务,每个进程用自己的 JIXIAO_HOME)。"
        )


_LOCKS: dict[Path, DirLock] = {}
_LOCKS_GUARD = threading.Lock()


def dir_lock(home: Path) -> DirLock:
    """The process-wide lock of a data directory."""
    path = (home / "index.lock").resolve()
    with _LOCKS_GUARD:
        if path not in _LOCKS:
            _LOCKS[path] = DirLock(path)
        return _LOCKS[path]
