"""Index health: what `python -m index check` reports and `python -m index repair` fixes.

The document entries are the source of truth. A row whose document is not listed, a
document with fewer or more rows than it recorded, a cached catalog that disagrees with
Chroma, an operation left unfinished in the journal, and staging or temporary files of
dead processes are problems; two documents with the same content or the same department
and year are notices (reported, not unhealthy: the user decides).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from index.journal import leftovers, remove_tree

if TYPE_CHECKING:
    from index.store import Index

_PAGE = 5000


@dataclass
class Problem:
    """One inconsistency `Index.check` found."""

    kind: str  # see PROBLEM_KINDS
    message: str
    source: str = ""
    rows: int = 0


PROBLEM_KINDS = {
    "unfinished": "中断的操作",
    "orphan_rows": "无文档的行",
    "missing_rows": "文档缺行",
    "extra_rows": "文档多出的行",
    "stale_catalog": "过期的目录缓存",
    "staging": "残留的上传暂存文件",
    "temp_files": "残留的临时文件",
    "busy": "正在写入",
    # notices: reported, not unhealthy
    "duplicate": "内容相同的文档",
    "same_period": "同部门同年度的多份文档",
}
NOTICE_KINDS = ("duplicate", "same_period")


@dataclass
class Health:
    """What `Index.check` found; `repaired` lists what `Index.repair` did."""

    healthy: bool
    rows: int
    documents: int
    problems: list[Problem] = field(default_factory=list)
    notices: list[Problem] = field(default_factory=list)
    repaired: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def check(index: Index) -> Health:
    """Consistency of the rows, the document entries, the cached catalog and lexical index, and
    the data directory's leftovers. Reads only; waits for a running writer (JIXIAO_LOCK_TIMEOUT)."""
    index._open(recover=False)
    with index.lock.shared(index.settings.lock_timeout) as free:
        if not free:
            busy = Problem("busy", f"另一个进程正在写入索引({index.lock.holder()}),稍后再检查。")
            return Health(False, 0, 0, [busy])
        return inspect(index)


def repair(index: Index) -> Health:
    """Fix what `check` finds: finish or undo interrupted operations, re-ingest documents whose
    rows are incomplete (or adopt orphan rows) from their file when it is still there, else drop
    them; delete stale caches and leftover files. Returns the health afterwards, with what was done."""
    index.recovered = []
    with index.writing("python -m index repair"):
        done = list(index.recovered)
        health = inspect(index)
        force: dict[str, Path] = {}
        for p in health.problems:
            if p.kind in ("orphan_rows", "missing_rows", "extra_rows"):
                path = index.source_file(p.source)
                if path is not None:
                    force[p.source] = path
                    continue
                index._drop(p.source, step="repair")
                done.append(f"“{p.source}”的行不完整且源文件已不在,已从索引移除,请重新导入")
            elif p.kind == "stale_catalog":
                for old in index.settings.lexical_dir.glob(f"catalog-{index.settings.collection}-*.pkl"):
                    old.unlink(missing_ok=True)
                done.append("删除了过期的目录缓存(下次使用时重建)")
            elif p.kind in ("staging", "temp_files"):
                for path in leftovers(index.settings):
                    remove_tree(path)
                done.append(f"清理了残留文件:{p.message}")
        if force:
            reports = index._build(list(force.values()), None, False, {}, frozenset(force))
            for r in reports:
                done.append(f"从源文件重新导入了“{r.source}”" if r.status != "error" else f"无法重新导入: {r.error}")
                if r.status in ("error", "duplicate") and r.source in force:
                    index._drop(r.source, step="repair")
        if len(done) > len(index.recovered):
            index._bump_version()
        health = inspect(index)
    health.repaired = list(dict.fromkeys(done))
    return health


def inspect(index: Index) -> Health:
    """The problems and notices now (the caller holds the lock, shared or exclusive)."""
    problems: list[Problem] = []
    notices: list[Problem] = []
    for _, entry in index.journal.pending():
        what = "导入" if entry.get("op") == "write" else "删除"
        names = [f["source"] for f in entry.get("files", [])] or [entry.get("source", "")]
        problems.append(Problem("unfinished", f"中断的{what}操作未完成({'、'.join(names)});"
                                "python -m index repair(或任何写入索引的命令)会完成或撤销它。", names[0]))
    docs = {d.source: d for d in index.documents()}
    counts: Counter[str] = Counter()
    ids: set[str] = set()
    total = index.rows.count()
    for offset in range(0, total, _PAGE):
        got = index.rows.get(include=["metadatas"], limit=_PAGE, offset=offset)
        for row_id, meta in zip(got["ids"], got["metadatas"] or [], strict=True):
            counts[meta.get("source", "")] += 1
            if meta.get("source", "") in docs:
                ids.add(row_id)
    for source, n in sorted(counts.items()):
        if source not in docs:
            problems.append(Problem("orphan_rows", f"{n} 行来自未登记的文档“{source}”(不会被引用)", source, n))
    for d in docs.values():
        n, want = counts.get(d.source, 0), d.expected_rows
        if n < want:
            problems.append(Problem("missing_rows", f"文档“{d.source}”应有 {want} 行,索引中只有 {n} 行", d.source, want - n))
        elif n > want:
            problems.append(Problem("extra_rows", f"文档“{d.source}”应有 {want} 行,索引中有 {n} 行", d.source, n - want))
    stale = _stale_catalog(index, ids, list(docs))
    if stale:
        problems.append(Problem("stale_catalog", stale))
    left = leftovers(index.settings)
    staging = [p for p in left if p.parent.name == ".staging"]
    if staging:
        problems.append(Problem("staging", f"{len(staging)} 个中断的上传留下的暂存目录", rows=len(staging)))
    if len(left) > len(staging):
        problems.append(Problem("temp_files", f"{len(left) - len(staging)} 个中断的写入留下的临时文件"))
    by_hash: dict[str, list[str]] = {}
    by_period: dict[tuple[str, int], list[str]] = {}
    for d in docs.values():
        by_hash.setdefault(d.content_hash, []).append(d.source)
        if d.period is not None:
            by_period.setdefault(d.period, []).append(d.source)
    for sources in by_hash.values():
        if len(sources) > 1:
            notices.append(Problem("duplicate", f"内容完全相同的文档:{'、'.join(sources)}(合计会重复计算,请移除其一)",
                                   sources[0]))
    for (department, year), sources in by_period.items():
        if len(sources) > 1:
            notices.append(Problem("same_period", f"{department} {year}年有 {len(sources)} 份文档:{'、'.join(sources)}",
                                   sources[0]))
    return Health(not problems, total, len(docs), problems, notices)


def _stale_catalog(index: Index, ids: set[str], sources: list[str]) -> str:
    """Why the cached catalog of the current fingerprint disagrees with Chroma ("" when it agrees or is absent)."""
    from index.store import read_catalog  # store imports this module lazily

    fingerprint = index.fingerprint()
    cached = read_catalog(index.settings.lexical_dir / f"catalog-{index.settings.collection}-{fingerprint}.pkl",
                           fingerprint)
    if cached is None:
        return ""
    if set(cached.by_id) != ids or sorted(d.source for d in cached.documents) != sorted(sources):
        return "缓存的目录与索引中的行不一致(会在修复时删除并重建)"
    if cached.lexical.ids != [r.id for r in cached.records]:
        return "缓存的词法索引与目录的行不一致"
    return ""

