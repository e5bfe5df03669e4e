"""The index: a Chroma collection of rows (dense) and a BM25 index over the same ids.

Rows live in one Chroma collection, documents (one item per source file, with its counts
and warnings) in a second. The document entries are the source of truth: a row whose
document is not listed is never served. The in-memory catalog of records and the lexical
index are rebuilt from Chroma and cached on disk under a fingerprint of its contents, so
several app instances sharing one Chroma server stay consistent.

Builds parse files one by one but embed and write in groups of files (`WRITE_GROUP` rows):
the model sees large batches, Chroma sees large upserts (embeddings are cached as soon as
they are computed).

Safety (see README, "Index safety"): every write holds the data directory's lock
(index.lock) and is journaled (index.journal) before its first change, so a process
killed at any point leaves an entry the next writer, or the next process that opens the
index, finishes or undoes. Readers reload only between writes and reopen their Chroma
handles when another process changed the index. The collection records the embedding
model that made its vectors; another model is refused before it writes anything.
"""

from __future__ import annotations

import gc
import hashlib
import json
import logging
import os
import pickle
import re
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlparse

import numpy as np

from errors import ConfigError, IndexBusyError, IngestError, ModelMismatchError
from index.cache import EmbeddingCache
from index.embedding import Encoder, get_embed_model, get_encoder, model_key
from index.filters import Columns
from index.journal import Journal, fault, leftovers, remove_tree
from index.lexical import LexicalIndex, top_k
from index.lock import dir_lock
from index.nodes import from_metadata, node_metadata, retrieval_text
from ingest import SUPPORTED_SUFFIXES, parse_file
from ingest.records import Indicator, ParsedFile, ParseWarning, Project, Record
from settings import Settings, configure_caches

if TYPE_CHECKING:
    from index.health import Health

_log = logging.getLogger(__name__)
_PAGE = 5000
_VERSION_ID = "__index_version__"  # an item of the documents collection, rewritten by every change
_MODEL_ID = "__embedding_model__"  # an item of the documents collection: the model that made the vectors
_CATALOG_FORMAT = 5  # bump when the pickled catalog changes shape: old pickles are then rebuilt
# A fixed text whose vector identifies the model (name, dimension and weights).
PROBE_TEXT = "项目支出绩效目标 社会效益指标 强化社会发动 服务对象满意度≥90%"
SAME_MODEL = 0.99  # cosine between two probe vectors of one model (rounding, BLAS) is ~1.0; another model's ≪ 0.99
RECHECK_S = 5.0  # how often a loaded catalog asks Chroma whether another writer changed the index
WRITE_GROUP = 2048  # rows embedded and written to Chroma together
_INTERNED = ("source", "department", "project", "unit_name", "level1", "level1_code", "level2", "level2_code",
             "indicator", "kind")


_WARNING_TEXT = re.compile(r"^(?P<source>.+?) 第(?P<line>\d+)行: (?P<message>.*)$", re.S)
_WARNING_FIELDS = {f.name for f in fields(ParseWarning)}


def _warning_from_text(source: str, text: str) -> ParseWarning:
    """A warning stored as text by indexes built before warnings were stored as data."""
    m = _WARNING_TEXT.match(text)
    line, message = (int(m["line"]), m["message"]) if m else (0, text.split(": ", 1)[-1])
    kind = "mismatch" if "≠" in message else ""  # the reconciliation writes every mismatch as `a ≠ b`
    return ParseWarning(source, line, message, kind, (line,) if line else ())


def _warning_from_dict(data: dict[str, Any]) -> ParseWarning:
    known = {k: v for k, v in data.items() if k in _WARNING_FIELDS}
    known["rows"] = tuple(known.get("rows", ()))
    return ParseWarning(**known)


@dataclass
class DocumentInfo:
    """One indexed source file, as the document manager lists it.

    `parse_warnings` are the parser's warnings as data (kind, line, rows, message);
    `warnings` is the same list printed, for lists and reports. Indexes built before
    warnings were stored as data hold only the text: their kind and rows are inferred.
    """

    source: str
    department: str
    year: int
    content_hash: str
    added_at: str
    projects: int
    indicators: int
    repaired: int
    warnings: list[str] = field(default_factory=list)
    grand_total: float | None = None
    parse_warnings: list[ParseWarning] = field(default_factory=list)
    path: str = ""  # the file it was read from (for uploads: the library's stored copy)
    rows: int = 0  # distinct rows it put in the index (0: built before this was recorded)

    def __post_init__(self) -> None:
        if self.parse_warnings and not self.warnings:
            self.warnings = [str(w) for w in self.parse_warnings]
        elif self.warnings and not self.parse_warnings:
            self.parse_warnings = [_warning_from_text(self.source, t) for t in self.warnings]

    @property
    def expected_rows(self) -> int:
        """How many rows of this document the index should hold."""
        return self.rows or self.projects + self.indicators

    @property
    def period(self) -> tuple[str, int] | None:
        """(department, year) when both are known: two documents sharing it are two versions of one table."""
        return (self.department, self.year) if self.department and self.year else None

    def to_json(self) -> str:
        """What the documents collection stores: the warnings as data, not as their printed form."""
        data = asdict(self)
        data.pop("warnings")
        return json.dumps(data, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> DocumentInfo:
        """Read `to_json` output, or the older form with `warnings` as strings."""
        data = json.loads(text)
        data["parse_warnings"] = [_warning_from_dict(w) for w in data.get("parse_warnings") or []]
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass
class FileReport:
    """What a build did with one file.

    `duplicate`: the same content is already indexed under `duplicate_of` (nothing written).
    `same_period`: other documents of the same department and year, kept beside this one;
    `replaced`: those this one replaced (`replace=True`). `note` says it in a sentence.
    """

    source: str
    status: str  # added | updated | unchanged | duplicate | error
    projects: int = 0
    indicators: int = 0
    repaired: int = 0
    added: int = 0
    removed: int = 0
    embedded: int = 0
    warnings: list[str] = field(default_factory=list)
    error: str = ""
    parse_warnings: list[ParseWarning] = field(default_factory=list)
    duplicate_of: str = ""
    same_period: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    note: str = ""


STATUSES = ("added", "updated", "unchanged", "duplicate", "error")


@dataclass
class BuildStats:
    """Where a build spent its time (seconds) and how many rows it handled."""

    files: int = 0
    rows: int = 0  # records parsed from changed files
    written: int = 0  # rows upserted into Chroma
    embedded: int = 0  # rows the model computed (the rest came from the cache)
    parse_s: float = 0.0
    embed_s: float = 0.0  # time inside the model
    cache_s: float = 0.0  # embedding-cache lookups and inserts
    chroma_s: float = 0.0  # Chroma reads, upserts, deletes
    total_s: float = 0.0


def _project_key(r: Record) -> tuple[str, str, int, str]:
    return (r.project, r.department, r.year, r.source)


@dataclass
class Catalog:
    """Every indexed record in memory, in one fixed order shared with the lexical index.

    `projects`, `indicators`, `by_id`, `position` and `indicators_of` are derived once (on
    load), not per call: at 100k rows a list comprehension over `records` costs ~5 ms.
    """

    records: list[Record]
    documents: list[DocumentInfo]
    lexical: LexicalIndex
    fingerprint: str
    vectors: np.ndarray | None = None  # row embeddings in `records` order, float32 (exact filtered search)
    by_id: dict[str, Record] = field(init=False, repr=False)
    position: dict[str, int] = field(init=False, repr=False)
    projects: list[Project] = field(init=False, repr=False)
    indicators: list[Indicator] = field(init=False, repr=False)
    _of_project: dict[tuple[str, str, int, str], list[Indicator]] = field(init=False, repr=False)
    _project_at: dict[tuple[str, str, int, str], Project] = field(init=False, repr=False)
    _named: dict[str, list[Project]] = field(init=False, repr=False)
    _document_of: dict[str, DocumentInfo] = field(init=False, repr=False)
    _period_of: dict[tuple[str, int], list[DocumentInfo]] = field(init=False, repr=False)
    _columns: Columns | None = field(init=False, repr=False, default=None)

    def __post_init__(self) -> None:
        self._derive()

    def _derive(self) -> None:
        self.by_id = {r.id: r for r in self.records}
        self.position = {r.id: i for i, r in enumerate(self.records)}
        self.projects = [r for r in self.records if isinstance(r, Project)]
        self.indicators = [r for r in self.records if isinstance(r, Indicator)]
        self._project_at = {_project_key(p): p for p in self.projects}
        self._named = {}
        for p in self.projects:
            self._named.setdefault(p.project, []).append(p)
        self._of_project = {}
        for i in self.indicators:
            self._of_project.setdefault(_project_key(i), []).append(i)
        self._document_of = {d.source: d for d in self.documents}
        self._period_of = {}
        for d in self.documents:
            if d.period is not None:
                self._period_of.setdefault(d.period, []).append(d)

    # The records, documents, lexical index and filter columns are pickled; the derived maps are
    # rebuilt on load (faster than unpickling them, and the pickle stays small). The filter
    # columns are not: at 100k rows they take ~0.5 s to build, which a question should not pay.
    def __getstate__(self) -> dict[str, Any]:
        return {"records": self.records, "documents": self.documents, "lexical": self.lexical,
                "fingerprint": self.fingerprint, "vectors": self.vectors,
                "columns": self._columns.state() if self._columns is not None else None}

    def __setstate__(self, state: dict[str, Any]) -> None:
        columns = state.pop("columns", None)
        self.__dict__.update({"vectors": None, **state})
        self._columns = Columns(self.records, columns) if columns is not None else None
        self._derive()

    @property
    def columns(self) -> Columns:
        """The rows' filterable metadata as arrays (built on first use)."""
        if self._columns is None:
            self._columns = Columns(self.records)
        return self._columns

    def indicators_of(self, project: Project) -> list[Indicator]:
        """The project's indicator rows in table order: a dict lookup, not a scan."""
        return self._of_project.get(_project_key(project), [])

    def project_of(self, record: Record) -> Project | None:
        """The project row a record belongs to (a project row is its own)."""
        if isinstance(record, Project):
            return record
        return self._project_at.get(_project_key(record))

    def projects_named(self, name: str) -> list[Project]:
        """Projects with exactly this name, across departments and years."""
        return self._named.get(name, [])

    def document(self, source: str) -> DocumentInfo | None:
        """The document a row came from (`record.source`)."""
        return self._document_of.get(source)

    def same_period(self, source: str) -> list[DocumentInfo]:
        """The other documents of this document's department and year (two versions of one table):
        rows from them must not be added up together without saying which document each came from."""
        info = self._document_of.get(source)
        if info is None or info.period is None:
            return []
        return [d for d in self._period_of.get(info.period, []) if d.source != source]

    def label(self, source: str) -> str:
        """How an answer names a row's document: "部门 2024年", with the file name when another
        document has the same department and year."""
        info = self._document_of.get(source)
        if info is None:
            return source
        name = f"{info.department} {info.year}年" if info.year else info.department
        return f"{name}({source})" if self.same_period(source) else name


def expand(paths: Iterable[str | Path]) -> list[Path]:
    """Files named, and the supported files inside folders named, in a stable order."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out.extend(sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in SUPPORTED_SUFFIXES
                              and not f.name.startswith(".")))
        else:
            out.append(p)
    return out


@dataclass
class _Pending:
    """A parsed file waiting in a write group."""

    parsed: ParsedFile
    report: FileReport
    before: DocumentInfo | None
    path: Path  # where it was read from
    replaces: list[str] = field(default_factory=list)


_T = TypeVar("_T")


class Index:
    """Open with `open_index()`; everything heavy loads lazily, once."""

    def __init__(self, settings: Settings | None = None, embedding_cache: EmbeddingCache | None = None) -> None:
        """`embedding_cache` overrides the one in the data directory (e.g. one cache shared by many homes)."""
        self.settings = settings or Settings()
        configure_caches(self.settings)
        self._client: Any = None
        self._rows: Any = None
        self._docs: Any = None
        self._catalog: Catalog | None = None
        self._cache: EmbeddingCache | None = embedding_cache
        self._checked = 0.0
        self._catalog_version = ""
        self._client_version = ""  # the version token this process's Chroma handles are known to be current at
        self._model_checked = False
        self._opening = threading.RLock()
        self._reloading = threading.Lock()  # one thread of this Index (re)loads the catalog at a time
        self.lock = dir_lock(self.settings.home)
        self.journal = Journal(self.settings.home / "journal")
        self.recheck_s = RECHECK_S
        self.last_build = BuildStats()
        self.recovered: list[str] = []  # what the last recovery of interrupted operations did

    # -- Chroma ---------------------------------------------------------------
    @property
    def client(self) -> Any:
        self._open()
        return self._client

    @property
    def rows(self) -> Any:
        """The Chroma collection of rows (our own embeddings; cosine space)."""
        self._open()
        return self._rows

    @property
    def docs(self) -> Any:
        self._open()
        return self._docs

    def _open(self, recover: bool = True) -> None:
        """Connect once: create the collections (under the lock, so two first runs cannot race),
        refuse another embedding model, and finish operations a killed process left (`recover`)."""
        if self._rows is not None:
            return
        with self._opening:
            if self._rows is not None:
                return
            marker = self.settings.chroma_dir / f".ready-{self.settings.collection}"
            if self.settings.chroma_url or marker.exists():
                self._connect()
            else:
                with self.lock.exclusive(self.settings.lock_timeout, "初始化索引"):
                    self._connect()
                    marker.touch()
            identity = self._identity()
            if identity is not None and identity.get("model") != self.settings.embed_model:
                self.check_model()  # another name may still be the same model (a path to it): compare vectors
        if recover:
            self.tidy()

    def tidy(self) -> list[Path]:
        """Finish or undo operations killed processes left, and delete their staging and temporary
        files; skipped (returns []) while another process writes, whose work in progress they may be."""
        if not self.journal and not leftovers(self.settings):
            return []
        try:
            with self.lock.exclusive(0.0, "恢复中断的操作"):
                self._recover()
                stale = leftovers(self.settings)
                for path in stale:
                    remove_tree(path)
                if stale:
                    self.recovered.append(f"清理了中断的操作留下的 {len(stale)} 个暂存目录或临时文件")
                return stale
        except IndexBusyError:
            return []

    def _connect(self) -> None:
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        chroma_settings = ChromaSettings(anonymized_telemetry=False)
        url = self.settings.chroma_url
        if url:
            parts = urlparse(url if "://" in url else f"http://{url}")
            if not parts.hostname or not parts.port:
                raise ConfigError(f"JIXIAO_CHROMA_URL={url!r}: 需要 http://主机:端口")
            client = chromadb.HttpClient(host=parts.hostname, port=parts.port, settings=chroma_settings)
        else:
            self.settings.chroma_dir.mkdir(parents=True, exist_ok=True)
            client = chromadb.PersistentClient(path=str(self.settings.chroma_dir), settings=chroma_settings)
        docs = client.get_or_create_collection(f"{self.settings.collection}-documents", embedding_function=None)
        rows = client.get_or_create_collection(self.settings.collection, metadata={"hnsw:space": "cosine"},
                                               embedding_function=None)
        self._client_version = _version_of(docs)
        self._client, self._docs, self._rows = client, docs, rows

    def _reopen(self) -> None:
        """Fresh Chroma handles on the same data.

        An embedded PersistentClient keeps its vector segment in memory; after another process
        writes, the row metadata it reads from SQLite runs ahead of it and reads that include
        embeddings fail with "Error finding id" until the process restarts. Chroma shares one
        System per path in a process, so it is dropped from that cache first (not stopped:
        handles other threads still hold keep answering from it until they reopen too).
        """
        with self._opening:
            if self._client is not None and not self.settings.chroma_url:
                from chromadb.api.shared_system_client import SharedSystemClient

                identifier = self._client._identifier
                SharedSystemClient._identifier_to_system.pop(identifier, None)
                SharedSystemClient._identifier_to_refcount.pop(identifier, None)
            self._connect()

    def _sync_client(self, version: str | None = None) -> None:
        """Reopen the handles when another process changed the index since they were opened."""
        version = self.version() if version is None else version
        if version != self._client_version:
            self._model_checked = False  # the other writer may have been the first to record a model
            if not self.settings.chroma_url:
                self._reopen()
        self._client_version = version

    def _retrying(self, call: Callable[[], _T]) -> _T:
        """A Chroma read, tried once more on fresh handles when the embedded client is stale."""
        from chromadb.errors import InternalError

        try:
            return call()
        except InternalError as exc:
            if self.settings.chroma_url:
                raise
            _log.info("Chroma 读取失败(%s),重新打开后重试", exc)
            self._reopen()
            return call()

    @property
    def embed_model(self) -> Any:
        """The model as a llama-index BaseEmbedding (for llama-index code; imports llama-index)."""
        return get_embed_model(self.settings.embed_model)

    @property
    def encoder(self) -> Encoder:
        """The model as a plain numpy encoder (what building and asking use), checked against the collection."""
        self.check_model()
        return get_encoder(self.settings.embed_model)

    @property
    def embedding_cache(self) -> EmbeddingCache:
        if self._cache is None:
            self._cache = EmbeddingCache(self.settings.cache_dir / "embeddings.sqlite3", model_key(self.settings.embed_model))
        return self._cache

    # -- model identity -------------------------------------------------------
    def _identity(self) -> dict[str, Any] | None:
        got = self._docs.get(ids=[_MODEL_ID], include=["metadatas"])
        return dict(got["metadatas"][0]) if got["ids"] else None

    def check_model(self) -> None:
        """Raise ModelMismatchError when the collection's vectors were made by another model
        than JIXIAO_EMBED_MODEL (other weights or another dimension), before anything is written.

        The collection records the model's name, dimension and the vector of a fixed probe
        text; a collection built before that was recorded is compared with one of its rows.
        The probe goes through the embedding cache like every row (keyed by model name), so
        a process that finds everything cached does not load the model at all.
        """
        if self._model_checked:
            return
        self._open(recover=False)
        probe = self._probe()
        identity = self._identity()
        if identity is not None:
            stored = np.asarray(json.loads(identity["probe"]), dtype=np.float32)
            same = stored.shape == probe.shape and float(stored @ probe) / (np.linalg.norm(stored) or 1.0) >= SAME_MODEL
        else:
            got = self._retrying(lambda: self._rows.get(limit=1, include=["embeddings", "documents"]))
            if got["ids"]:
                stored = np.asarray(got["embeddings"][0], dtype=np.float32)
                vector = np.asarray(self.encoder_unchecked.passages([got["documents"][0]])[0], dtype=np.float32)
                same = stored.shape == vector.shape and float(stored @ vector) >= SAME_MODEL
            else:
                stored, same = probe, True
        if not same:
            raise ModelMismatchError(self._mismatch(identity, len(stored), len(probe)))
        self._model_checked = True

    def _probe(self) -> np.ndarray:
        cache = self.embedding_cache
        if cache.model != model_key(self.settings.embed_model):  # a cache handed in for another model
            return np.asarray(self.encoder_unchecked.passages([PROBE_TEXT])[0], dtype=np.float32)
        vectors, _ = cache.embed([PROBE_TEXT], lambda texts: self.encoder_unchecked.passages(texts))
        return np.asarray(vectors[0], dtype=np.float32)

    @property
    def encoder_unchecked(self) -> Encoder:
        return get_encoder(self.settings.embed_model)

    def _mismatch(self, identity: dict[str, Any] | None, stored_dim: int, dim: int) -> str:
        s = self.settings
        built = f"嵌入模型“{identity['model']}”({stored_dim} 维)" if identity else f"另一个嵌入模型({stored_dim} 维)"
        return (f"索引集合“{s.collection}”({s.home})是用{built}建立的,当前设置 JIXIAO_EMBED_MODEL={s.embed_model}"
                f"({dim} 维)是另一个模型。不同模型的向量不能混在同一个集合里,本次没有写入任何内容。解决办法:"
                + (f"把 JIXIAO_EMBED_MODEL 改回 {identity['model']};" if identity else "改回建立索引时用的模型;")
                + "或换一个集合(设置 JIXIAO_COLLECTION=新名称)后用新模型运行 python -m index build 重建;"
                f"或删除 {s.chroma_dir} 后用新模型重建索引。")

    def _record_model(self) -> None:
        if self._identity() is not None:
            return
        probe = self._probe()
        self._docs.upsert(ids=[_MODEL_ID], embeddings=[[0.0]], metadatas=[{
            "model": self.settings.embed_model, "dim": len(probe),
            "probe": json.dumps([round(float(v), 5) for v in probe])}])

    # -- writing --------------------------------------------------------------
    @contextmanager
    def writing(self, what: str = "") -> Iterator[None]:
        """Hold the data directory for writing (waits at most JIXIAO_LOCK_TIMEOUT seconds, then
        IndexBusyError), on current Chroma handles, after finishing any interrupted operation."""
        with self.lock.exclusive(self.settings.lock_timeout, what):
            self._open()
            self._sync_client()
            if self.journal:
                self._recover()
            try:
                yield
            finally:
                self._catalog = None

    def documents(self) -> list[DocumentInfo]:
        """Indexed documents, from Chroma."""
        got = self.docs.get(include=["metadatas"])
        infos = [DocumentInfo.from_json(m["info"]) for m in got["metadatas"] or [] if "info" in m]
        return sorted(infos, key=lambda d: (d.department, d.year, d.source))

    def document(self, source: str) -> DocumentInfo | None:
        """One indexed document by file name, from Chroma."""
        got = self.docs.get(ids=[source], include=["metadatas"])
        metas = [m for m in got["metadatas"] or [] if m and "info" in m]
        return DocumentInfo.from_json(metas[0]["info"]) if metas else None

    def is_empty(self) -> bool:
        """No document is indexed (the document entries are the source of truth; rows without
        one are never served). Reads only the small documents collection: counting the rows
        makes embedded Chroma load its vector segment (~240 MB at 100k rows)."""
        got = self.docs.get(include=["metadatas"])
        return not any(m and "info" in m for m in got["metadatas"] or [])

    def build(self, paths: Iterable[str | Path], progress: Any = None, replace: bool = False,
              stored: Mapping[Path, Path] | None = None) -> list[FileReport]:
        """Ingest files into the index; unchanged files are skipped, changed ones re-embed only new rows.

        A file that cannot be parsed is reported and leaves the index as it was. A file whose
        content is already indexed (under any name) is a `duplicate` and changes nothing. A
        file of the same department and year as an indexed one is kept beside it with a note,
        or replaces it with `replace=True`. `stored` maps a file read here to where the
        document library keeps its copy (moved there when the document is committed).
        `last_build` tells where the time went.
        """
        with self.writing("python -m index build"):
            return self._build(paths, progress, replace, stored or {})

    def _build(self, paths: Iterable[str | Path], progress: Any, replace: bool, stored: Mapping[Path, Path],
               force: frozenset[str] = frozenset()) -> list[FileReport]:
        stats = self.last_build = BuildStats()
        started = time.perf_counter()
        self.check_model()
        files = expand(paths)
        clock = time.perf_counter()
        known = {d.source: d for d in self.documents()}
        stats.chroma_s += time.perf_counter() - clock
        by_hash = {d.content_hash: d.source for d in known.values()}
        periods: dict[tuple[str, int], list[str]] = {}
        for d in known.values():
            if d.period is not None:
                periods.setdefault(d.period, []).append(d.source)
        reports: list[FileReport] = []
        group: list[_Pending] = []
        pending = 0
        for n, path in enumerate(files):
            if progress is not None:
                progress(n / max(len(files), 1), f"{path.name}")
            clock = time.perf_counter()
            try:
                parsed = parse_file(path)
            except IngestError as exc:
                reports.append(FileReport(source=exc.source, status="error", error=str(exc)))
                continue
            finally:
                stats.parse_s += time.perf_counter() - clock
            doc = parsed.document
            report = FileReport(source=doc.source, status="unchanged", projects=len(parsed.projects),
                                indicators=len(parsed.indicators), repaired=parsed.repaired,
                                warnings=[str(w) for w in parsed.warnings], parse_warnings=list(parsed.warnings))
            reports.append(report)
            before = known.get(doc.source)
            if before is not None and before.content_hash == doc.content_hash and doc.source not in force:
                if replace and before.period:  # indexed earlier beside an older version: replace it now
                    report.replaced = [s for s in periods.get(before.period, []) if s != doc.source]
                    for old in report.replaced:
                        self._remove(old)
                    periods[before.period] = [doc.source]
                    if report.replaced:
                        report.note = f"已替换同一部门同一年度的旧版本:{'、'.join(report.replaced)}。"
                continue
            twin = by_hash.get(doc.content_hash)
            if twin is not None and twin != doc.source:
                report.status, report.duplicate_of = "duplicate", twin
                report.note = f"已存在:内容与已导入的“{twin}”完全相同,未重复导入。"
                continue
            by_hash[doc.content_hash] = doc.source
            info = DocumentInfo(source=doc.source, department=doc.department, year=doc.year, content_hash="",
                                added_at="", projects=0, indicators=0, repaired=0)
            others = [s for s in periods.get(info.period, []) if s != doc.source] if info.period else []
            if others and replace:
                report.replaced = others
                report.note = f"已替换同一部门同一年度的旧版本:{'、'.join(others)}。"
                periods[info.period] = []  # type: ignore[index]
            elif others:
                report.same_period = others
                report.note = (f"注意:索引中已有{doc.department} {doc.year}年的文档“{'、'.join(others)}”,两份都保留,"
                               "统计和列表会分别标明每行来自哪份文档;如果这是新版本,请选择替换旧版本重新导入"
                               "(命令行加 --replace)。")
            if info.period:
                periods.setdefault(info.period, []).append(doc.source)
            if any(g.parsed.document.source == doc.source for g in group):
                self._write(group, stored)  # the same file name twice in one build: the later one wins
                group, pending = [], 0
            group.append(_Pending(parsed, report, before, path, report.replaced))
            stats.files += 1
            stats.rows += len(parsed.records)
            pending += len(parsed.records)
            if pending >= WRITE_GROUP:
                self._write(group, stored)
                group, pending = [], 0
        if group:
            self._write(group, stored)
        if progress is not None:
            progress(1.0, "完成")
        self._catalog = None
        stats.total_s = time.perf_counter() - started
        return reports

    def _write(self, group: list[_Pending], stored: Mapping[Path, Path]) -> None:
        """Embed (through the cache) and write the new rows of several files, drop their stale rows,
        then commit their document entries; journaled, so a crash anywhere is finished or undone."""
        stats = self.last_build
        clock = time.perf_counter()
        old = self._ids_by_source([g.parsed.document.source for g in group])
        stats.chroma_s += time.perf_counter() - clock
        new: list[Record] = []
        stale: list[str] = []
        spans: list[tuple[FileReport, int, int]] = []
        entries: list[dict[str, Any]] = []
        infos: list[DocumentInfo] = []
        now = datetime.now().isoformat(timespec="seconds")
        for g in group:
            parsed, report, doc = g.parsed, g.report, g.parsed.document
            ids = list(dict.fromkeys(r.id for r in parsed.records))
            old_ids = old.get(doc.source, set())
            seen = set(old_ids)
            fresh = [r for r in parsed.records if r.id not in seen and not seen.add(r.id)]  # type: ignore[func-returns-value]
            spans.append((report, len(new), len(new) + len(fresh)))
            new.extend(fresh)
            gone = sorted(old_ids - set(ids))
            stale.extend(gone)
            report.added, report.removed = len(fresh), len(gone)
            copy = stored.get(g.path)
            info = DocumentInfo(source=doc.source, department=doc.department, year=doc.year,
                                content_hash=doc.content_hash, added_at=now, projects=len(parsed.projects),
                                indicators=len(parsed.indicators), repaired=parsed.repaired,
                                warnings=report.warnings, grand_total=doc.grand_total,
                                parse_warnings=report.parse_warnings, path=str(copy or g.path.resolve()), rows=len(ids))
            infos.append(info)
            entries.append({"source": doc.source, "read": str(g.path.resolve()), "hash": doc.content_hash,
                            "info": info.to_json(), "ids": ids, "added": [r.id for r in fresh],
                            "stored": str(copy) if copy else "", "replaces": g.replaces})
        vectors = self._embed(new, spans) if new else None
        self._record_model()
        journal = self.journal.begin({"op": "write", "files": entries})
        fault("write.journal")
        clock = time.perf_counter()
        if vectors is not None:
            step = min(self.client.get_max_batch_size(), WRITE_GROUP)
            for i in range(0, len(new), step):
                chunk = new[i : i + step]
                self._upsert(ids=[r.id for r in chunk], embeddings=vectors[i : i + step],
                             metadatas=[node_metadata(r) for r in chunk], documents=[retrieval_text(r) for r in chunk])
                fault("write.rows")
            stats.written += len(new)
        if stale:
            self.rows.delete(ids=stale)
            fault("write.stale")
        for entry in entries:
            if entry["stored"]:
                _place(Path(entry["read"]), Path(entry["stored"]))
                fault("write.stored")
        # The document entries are written after their rows: until then the rows are not served
        # (the catalog keeps only rows of listed documents) and the journal says what to do.
        self.docs.upsert(ids=[i.source for i in infos], embeddings=[[0.0]] * len(infos),
                         metadatas=[{"info": i.to_json()} for i in infos])
        fault("write.docs")
        for g in group:
            g.report.status = "updated" if g.before is not None else "added"
            for old_source in g.replaces:
                self._drop(old_source, step="write.replaced")
        self._bump_version()
        fault("write.version")
        self.journal.done(journal)
        stats.chroma_s += time.perf_counter() - clock

    def _embed(self, new: list[Record], spans: list[tuple[FileReport, int, int]]) -> np.ndarray:
        stats = self.last_build
        model_s = 0.0

        def compute(texts: list[str]) -> np.ndarray:
            nonlocal model_s
            t = time.perf_counter()
            vectors = self.encoder.passages(texts)  # the model loads only when something is not cached
            model_s += time.perf_counter() - t
            return vectors

        clock = time.perf_counter()
        vectors, computed = self.embedding_cache.embed([retrieval_text(r) for r in new], compute)
        stats.embed_s += model_s
        stats.cache_s += time.perf_counter() - clock - model_s
        stats.embedded += sum(computed)
        for report, a, b in spans:
            report.embedded = sum(computed[a:b])
        return vectors

    def _bump_version(self) -> None:
        token = uuid.uuid4().hex
        self.docs.upsert(ids=[_VERSION_ID], embeddings=[[0.0]], metadatas=[{"version": token}])
        self._client_version = token  # our own write: our handles are current

    def version(self) -> str:
        """A token that changes whenever any writer changes the index ("" for indexes built before it existed)."""
        return _version_of(self.docs)

    def _upsert(self, **batch: Any) -> None:
        """One Chroma upsert, tried again when embedded Chroma's compaction fails.

        Chroma 1.x sometimes rejects a large write with "Error in compaction: Failed to apply
        logs to the metadata segment" (chroma-core/chroma#5366, #5552; seen once in ~10
        100k-row builds here). The batch is not applied and the collection stays usable, so
        the same batch is written again (twice at most) before the error is raised.
        """
        from chromadb.errors import InternalError

        for attempt in range(3):
            try:
                self.rows.upsert(**batch)
                return
            except InternalError as exc:
                if attempt == 2:
                    raise
                _log.warning("Chroma 写入失败(%s),重试第 %d 次", exc, attempt + 1)
                time.sleep(0.5 * (attempt + 1))

    def _ids_by_source(self, sources: list[str]) -> dict[str, set[str]]:
        """Ids of the rows already indexed for these source files (one Chroma read)."""
        out: dict[str, set[str]] = {}
        for i in range(0, len(sources), 100):
            chunk = sources[i : i + 100]
            got = self.rows.get(where={"source": {"$in": chunk}} if len(chunk) > 1 else {"source": chunk[0]},
                                include=["metadatas"])
            for row_id, meta in zip(got["ids"], got["metadatas"] or [], strict=True):
                out.setdefault(meta["source"], set()).add(row_id)
        return out

    def remove(self, source: str) -> int:
        """Remove a document from every index, with the library's stored copy; returns how many rows left."""
        with self.writing("python -m index remove"):
            return self._remove(source)

    def _remove(self, source: str) -> int:
        ids = self.rows.get(where={"source": source}, include=[])["ids"]
        if not ids and self.document(source) is None:
            return 0
        journal = self.journal.begin({"op": "remove", "source": source})
        fault("remove.journal")
        self._drop(source, step="remove")
        self._bump_version()
        fault("remove.version")
        self.journal.done(journal)
        return len(ids)

    def stored_copy(self, source: str) -> Path:
        """Where the document library keeps its copy of an uploaded file (it may not exist)."""
        return self.settings.uploads_dir / Path(source).name

    def _drop(self, source: str, step: str) -> None:
        """Document entry first (its rows stop being served), then the rows, then the stored copy."""
        self.docs.delete(ids=[source])
        fault(f"{step}.doc")
        ids = self.rows.get(where={"source": source}, include=[])["ids"]
        if ids:
            self.rows.delete(ids=ids)
        fault(f"{step}.rows")
        self.stored_copy(source).unlink(missing_ok=True)
        fault(f"{step}.file")

    # -- recovery and health --------------------------------------------------
    def _recover(self) -> list[str]:
        """Finish or undo what killed processes left in the journal (the caller holds the lock)."""
        entries = self.journal.pending(clean=True)
        if not entries:
            return []
        self._reopen()  # the dead writer changed Chroma behind our handles
        done: list[str] = []
        for path, entry in entries:
            if entry.get("op") == "write":
                done.extend(self._finish_write(entry))
            elif entry.get("op") == "remove":
                self._drop(entry["source"], step="recover")
                done.append(f"完成了中断的删除“{entry['source']}”")
            self.journal.done(path)
        self._bump_version()
        self._catalog = None
        for line in done:
            _log.warning("索引恢复: %s", line)
        self.recovered.extend(done)
        return done

    def _finish_write(self, entry: dict[str, Any]) -> list[str]:
        """A write is finished when all its rows made it, redone from its file when that file is
        still there, else undone (its new rows deleted; the previous version, if any, stays)."""
        done = []
        for f in entry["files"]:
            source, read = f["source"], Path(f["read"])
            wanted = set(f["ids"])
            current = self._ids_by_source([source]).get(source, set())
            if wanted <= current:
                if current - wanted:
                    self.rows.delete(ids=sorted(current - wanted))
                if f["stored"] and read.is_file():
                    _place(read, Path(f["stored"]))
                info = DocumentInfo.from_json(f["info"])
                self.docs.upsert(ids=[source], embeddings=[[0.0]], metadatas=[{"info": info.to_json()}])
                for old in f["replaces"]:
                    self._drop(old, step="recover")
                done.append(f"完成了中断的导入“{source}”")
                continue
            parsed = _parse_if_same(read, f["hash"])
            if parsed is not None:
                self.last_build = BuildStats()
                report = FileReport(source=source, status="unchanged", warnings=[str(w) for w in parsed.warnings],
                                    parse_warnings=list(parsed.warnings))
                stored = {read: Path(f["stored"])} if f["stored"] else {}
                self._write([_Pending(parsed, report, self.document(source), read, f["replaces"])], stored)
                done.append(f"重新导入了中断的“{source}”")
                continue
            leftover = current if self.document(source) is None else current & set(f["added"])
            if leftover:
                self.rows.delete(ids=sorted(leftover))
            done.append(f"撤销了中断的导入“{source}”(源文件已不在,请重新导入)")
        return done

    def check(self) -> Health:
        """Consistency of the rows, the document entries, the cached catalog and lexical index, and
        the data directory's leftovers (index.health). Reads only."""
        from index.health import check

        return check(self)

    def repair(self) -> Health:
        """Fix what `check` finds and finish interrupted operations (index.health); the health afterwards."""
        from index.health import repair

        return repair(self)

    def source_file(self, source: str) -> Path | None:
        """The file a document can be re-read from: the library's copy, where it was built from, data/."""
        info = self.document(source)
        for path in (self.stored_copy(source), Path(info.path) if info and info.path else None,
                     self.settings.data_dir / Path(source).name):
            if path is not None and path.is_file() and path.name == Path(source).name:
                return path
        return None

    # -- reading --------------------------------------------------------------
    def fingerprint(self) -> str:
        """A short hash of the index's contents: the version token (or the document list) and row count."""
        return self._fingerprint(self.version())

    def _fingerprint(self, version: str) -> str:
        # The version token changes with every write; only indexes built before it existed need
        # the row count (which makes embedded Chroma load its vector segment, see `is_empty`).
        content: Any = version or [sorted((d.source, d.content_hash) for d in self.documents()), self.rows.count()]
        raw = json.dumps([content, self.settings.embed_model, _CATALOG_FORMAT], ensure_ascii=False)
        return hashlib.sha1(raw.encode("utf-8")).hexdigest()[:16]

    @property
    def catalog(self) -> Catalog:
        """All records and the lexical index, loaded from the disk cache or rebuilt from Chroma.

        Every `recheck_s` seconds a loaded catalog is checked against Chroma (one read of the
        version token, ~1 ms; a row count would cost ~15 ms at 100k rows), so an app instance
        sees what another process built. It reloads only when no writer holds the data
        directory, and until then keeps answering from what it has.
        """
        self._open()
        catalog = self._catalog
        if catalog is not None and time.monotonic() - self._checked >= self.recheck_s:
            self._checked = time.monotonic()
            self._reload_if_changed()
            catalog = self._catalog
        if catalog is None:
            # One thread loads (or rebuilds) while the others wait on `_reloading` and then take
            # what it loaded. The result is returned from a local: a writer in another thread may
            # reset `_catalog` the moment the lock is released.
            with self._reloading, self.lock.shared(self.settings.lock_timeout):
                catalog = self._catalog
                if catalog is None:
                    catalog = self._catalog = self._load_catalog()
                    self._checked = time.monotonic()
        return catalog

    def _reload_if_changed(self) -> None:
        from chromadb.errors import ChromaError

        if not self._reloading.acquire(blocking=False):
            return  # another thread is reloading: answer from the current catalog meanwhile
        try:
            catalog = self._catalog
            version = self.version()
            if catalog is None or (version == self._catalog_version
                                   and (version or self._fingerprint("") == catalog.fingerprint)):
                return
            with self.lock.shared(0.0) as free:
                if not free:
                    return  # a writer is at work: reload once it is done
                self._sync_client(version)
                self._catalog = self._load_catalog()
        except ChromaError as exc:
            _log.warning("重新加载索引目录失败,继续使用已加载的目录: %s", exc)
        finally:
            self._reloading.release()

    def refresh(self) -> None:
        """Drop the in-memory catalog so the next read sees what other writers added."""
        self._catalog = None

    def _load_catalog(self) -> Catalog:
        def load() -> Catalog:
            self._catalog_version = self.version()
            fingerprint = self._fingerprint(self._catalog_version)
            cache = self.settings.lexical_dir / f"catalog-{self.settings.collection}-{fingerprint}.pkl"
            with _no_gc():
                return read_catalog(cache, fingerprint) or self._rebuild_catalog(cache, fingerprint)

        catalog = self._retrying(load)
        # The catalog lives as long as the process: keep the cyclic GC from walking its
        # ~1M objects again and again (each full collection would cost ~100 ms mid-question).
        gc.freeze()
        return catalog

    def _rebuild_catalog(self, cache: Path, fingerprint: str) -> Catalog:
        documents = self.documents()
        listed = {d.source for d in documents}
        records: list[Record] = []
        pages: list[np.ndarray] = []
        total = self.rows.count()
        for offset in range(0, total, _PAGE):
            got = self.rows.get(include=["metadatas", "embeddings"], limit=_PAGE, offset=offset)
            # Rows of a document that is not listed (a write cut short) are never served.
            keep = [n for n, m in enumerate(got["metadatas"]) if m.get("source") in listed]
            records.extend(_interned(from_metadata(got["metadatas"][n])) for n in keep)
            # float32, not float16: numpy converts float16 at ~0.5 GB/s, which would make an
            # exact search over 16k rows cost 17 ms instead of 5 ms (+90 MB at 100k rows).
            pages.append(np.asarray(got["embeddings"], dtype=np.float32)[keep])
        order = sorted(range(len(records)), key=lambda n: _order_key(records[n]))
        records = [records[n] for n in order]
        vectors = np.concatenate(pages)[order] if pages else None
        lexical = LexicalIndex([r.id for r in records], [retrieval_text(r) for r in records])
        catalog = Catalog(records=records, documents=documents, lexical=lexical, fingerprint=fingerprint,
                          vectors=vectors)
        catalog.columns.prepare()  # saved with the catalog: the first filtered question finds them built
        cache.parent.mkdir(parents=True, exist_ok=True)
        for old in cache.parent.glob(f"catalog-{self.settings.collection}-*.pkl"):
            old.unlink(missing_ok=True)
        # A name of its own per write: other Index objects of this process (and other processes)
        # sharing the home may rebuild at the same time. It ends in `.<pid>.tmp`, so the file of a
        # killed process is found and removed as a leftover (index.journal.leftovers).
        tmp = cache.with_name(f"{cache.stem}-{uuid.uuid4().hex[:12]}.{os.getpid()}.tmp")
        with tmp.open("wb") as fh:
            pickle.dump(catalog, fh, protocol=pickle.HIGHEST_PROTOCOL)
        fault("catalog.write")
        tmp.replace(cache)
        return catalog

    def embed_query(self, text: str) -> np.ndarray:
        """The question's vector (float32, read-only; the last 2048 questions are cached)."""
        self.check_model()
        started = time.perf_counter()
        try:
            return _embed_query(self.settings.embed_model, text)
        finally:
            _model_time.embed_ms = embed_ms() + (time.perf_counter() - started) * 1000

    def dense(self, query: str | Sequence[float], k: int = 20, where: dict[str, Any] | None = None) -> list[tuple[str, float]]:
        """(id, cosine similarity) of the k nearest rows, optionally filtered by metadata.

        Searched exactly over the catalog's vectors, the `where` clause evaluated on the catalog
        (index.filters): ~12 ms for all of 118k rows on 2 cores, less for a filtered set, where
        Chroma's own filtered query takes 50-500 ms. Reading never queries Chroma's HNSW graph,
        so an app never holds a second copy of the vectors in memory (the graph costs ~240 MB
        at 100k rows); the graph serves only catalogs without vectors.
        """
        vector = self.embed_query(query) if isinstance(query, str) else np.asarray(query, dtype=np.float32)
        catalog = self.catalog
        if catalog.vectors is None:
            return self._graph(vector, k) if not where else self._chroma_filtered(vector, k, where)
        if not where:
            if not catalog.records:
                return []
            sims = catalog.vectors @ np.asarray(vector, dtype=np.float32)
            best, _ = top_k(sims + 2.0, k)  # shifted: top_k keeps positive scores only
            return [(catalog.records[n].id, float(sims[n])) for n in best]
        mask = catalog.columns.mask(where)
        if mask is None:  # a clause the catalog cannot evaluate: let Chroma filter
            return self._chroma_filtered(vector, k, where)
        rows = np.flatnonzero(mask)
        if rows.size == 0:
            return []
        sims = catalog.vectors[rows] @ np.asarray(vector, dtype=np.float32)
        best, _ = top_k(sims + 2.0, k)  # shifted: top_k keeps positive scores only
        return [(catalog.records[rows[n]].id, float(sims[n])) for n in best]

    def _chroma_filtered(self, vector: np.ndarray, k: int, where: dict[str, Any]) -> list[tuple[str, float]]:
        got = self._retrying(lambda: self.rows.query(query_embeddings=[list(map(float, vector))], n_results=k, where=where,
                                                     include=["distances"]))
        return [(i, 1.0 - float(d)) for i, d in zip(got["ids"][0], got["distances"][0], strict=True)]

    def _graph(self, vector: np.ndarray, k: int) -> list[tuple[str, float]]:
        got = self._retrying(lambda: self.rows.query(query_embeddings=[list(map(float, vector))], n_results=k,
                                                            include=["distances"]))
        return [(i, 1.0 - float(d)) for i, d in zip(got["ids"][0], got["distances"][0], strict=True)]

    def lexical(self, query: str) -> np.ndarray:
        """BM25 score of every catalog row for the query."""
        return self.catalog.lexical.scores(query)

    def lexical_top(self, query: str, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(catalog positions, BM25 scores) of the k best rows with a positive score, best first."""
        return self.catalog.lexical.top(query, k)


def _version_of(docs: Any) -> str:
    got = docs.get(ids=[_VERSION_ID], include=["metadatas"])
    return str(got["metadatas"][0]["version"]) if got["ids"] else ""


def _place(read: Path, stored: Path) -> None:
    """Move a staged upload to where the library keeps it (a no-op once it is there)."""
    if read.resolve() == stored.resolve() or not read.is_file():
        return
    stored.parent.mkdir(parents=True, exist_ok=True)
    os.replace(read, stored)


def _parse_if_same(path: Path, content_hash: str) -> ParsedFile | None:
    """The file parsed, if it is still there with the content a journal entry recorded."""
    if not path.is_file():
        return None
    try:
        parsed = parse_file(path)
    except IngestError:
        return None
    return parsed if parsed.document.content_hash == content_hash else None


def _order_key(r: Record) -> tuple[Any, ...]:
    return (r.department, r.year, r.source, r.line, r.kind != "project", getattr(r, "item", 0), r.id)


def read_catalog(path: Path, fingerprint: str) -> Catalog | None:
    """The pickled catalog if it is there, whole, and of this fingerprint."""
    try:
        with path.open("rb") as fh:
            catalog = pickle.load(fh)
    except FileNotFoundError:
        return None
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, TypeError):
        return None  # a stale or partial cache is rebuilt
    return catalog if isinstance(catalog, Catalog) and catalog.fingerprint == fingerprint else None


@contextmanager
def _no_gc() -> Iterator[None]:
    """Cyclic GC off while ~1M long-lived objects are created (unpickling 100k rows: 2.2 s → 0.6 s)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _interned(record: Record) -> Record:
    """The record with its repeated strings (names, categories, file) shared, not copied.

    100k rows hold a few thousand distinct names; sharing them saves ~100 MB of RSS and
    makes the pickled catalog smaller and faster to load.
    """
    values = record.__dict__
    for name in _INTERNED:
        value = values.get(name)
        if isinstance(value, str):
            values[name] = sys.intern(value)
    return record


@lru_cache(maxsize=2048)
def _embed_query(model: str, text: str) -> np.ndarray:
    # An array, not a list of floats: 1.5 KB a question instead of 12 KB, so the cache stays ~3 MB.
    started = time.perf_counter()
    vector = np.asarray(get_encoder(model).query(text), dtype=np.float32)
    vector.flags.writeable = False
    _model_time.ms = model_ms() + (time.perf_counter() - started) * 1000
    return vector


_model_time = threading.local()


def model_ms() -> float:
    """Milliseconds this thread has spent in the embedding model on questions (cache hits cost
    none): the difference over one answer tells whether, and how long, it waited for the model."""
    return float(getattr(_model_time, "ms", 0.0))


def embed_ms() -> float:
    """Milliseconds this thread has spent getting question vectors (model or cache), wherever asked."""
    return float(getattr(_model_time, "embed_ms", 0.0))


_OPEN: dict[Settings, Index] = {}


def open_index(settings: Settings | None = None) -> Index:
    """The process-wide index for these settings (opened once)."""
    settings = settings or Settings()
    if settings not in _OPEN:
        _OPEN[settings] = Index(settings)
    return _OPEN[settings]

