"""A small write-ahead journal of index operations, and the fault points that test it.

Before an operation touches Chroma or the library's files it writes what it is about to do
(which rows, which document entry, which stored file) as one JSON file under
JIXIAO_HOME/journal, and deletes it when the operation is complete. A process killed in
between leaves the entry behind; the next writer (or reader that can take the lock) finds
it and finishes or undoes the operation (index.store.Index._recover), so the catalog, the
rows and the stored files agree again.

`leftovers` finds the staging directories and temporary files of processes that are gone
(their names carry the process id), which the same recovery deletes.

`fault(step)` kills the process with SIGKILL at a named step when JIXIAO_FAULT names it
(`step` or `step:N` for its N-th occurrence): the crash-safety tests run real processes
and kill them at every write step.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from settings import Settings

FAULT_ENV = "JIXIAO_FAULT"
_seen: Counter[str] = Counter()


def fault(step: str) -> None:
    """Die here, at once and without cleanup, when JIXIAO_FAULT names this step (tests only)."""
    spec = os.environ.get(FAULT_ENV, "")
    if not spec:
        return
    name, _, nth = spec.partition(":")
    if name != step:
        return
    _seen[step] += 1
    if _seen[step] == int(nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(path: Path, data: bytes) -> None:
    """Write a file so that after a crash it is either whole or absent (tmp + fsync + rename)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with tmp.open("wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    tmp.replace(path)
    _fsync_dir(path.parent)


class Journal:
    """Pending operations, one JSON file each, in the order they began."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def begin(self, entry: dict[str, Any]) -> Path:
        """Record an operation before its first write; returns the handle `done` takes."""
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f"{time.time_ns():020d}-{uuid.uuid4().hex[:8]}.json"
        write_atomic(path, json.dumps({**entry, "pid": os.getpid()}, ensure_ascii=False).encode("utf-8"))
        return path

    def done(self, path: Path) -> None:
        """The operation is complete: forget it."""
        path.unlink(missing_ok=True)
        _fsync_dir(self.directory)

    def pending(self, clean: bool = False) -> list[tuple[Path, dict[str, Any]]]:
        """Operations begun and not finished, oldest first.

        With `clean` (only under the exclusive lock) half-written entries are deleted: their
        process died before the rename, so nothing of their operation happened yet.
        """
        if not self.directory.is_dir():
            return []
        out = []
        for path in sorted(self.directory.iterdir()):
            if path.suffix == ".tmp":
                if clean:
                    path.unlink(missing_ok=True)
                continue
            if path.suffix != ".json":
                continue
            try:
                out.append((path, json.loads(path.read_text(encoding="utf-8"))))
            except (OSError, ValueError):
                if clean:  # renamed into place whole, so unreadable means not ours
                    path.unlink(missing_ok=True)
        return out

    def __bool__(self) -> bool:
        return self.directory.is_dir() and any(p.suffix == ".json" for p in self.directory.iterdir())


def pid_alive(pid: int) -> bool:
    """Whether a process with this id runs (on this machine)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


_PID_IN_NAME = re.compile(r"^(\d+)-|\.(\d+)\.tmp$")


def leftovers(settings: Settings) -> list[Path]:
    """Staging directories of uploads and temporary files whose process is gone."""
    out = []
    for folder in (settings.uploads_dir / ".staging", settings.lexical_dir):
        if not folder.is_dir():
            continue
        for path in folder.iterdir():
            m = _PID_IN_NAME.search(path.name)
            if m and not pid_alive(int(m[1] or m[2])):
                out.append(path)
    return out


def remove_tree(path: Path) -> None:
    """Delete a file or a directory with everything in it."""
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)
