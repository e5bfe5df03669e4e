"""The index: a Chroma collection of rows (dense) and a BM25 index over the same ids.

Chroma is the source of truth: rows live in one collection, documents (one item per source
file, with its counts and warnings) in a second. The in-memory catalog of records and the
lexical index are rebuilt from Chroma and cached on disk under a fingerprint of its
contents, so several app instances sharing one Chroma server stay consistent.

Builds parse files one by one but embed and write in groups of files (`WRITE_GROUP` rows):
the model sees large batches, Chroma sees large upserts, and a crash loses at most one
group of writes (embeddings are cached as soon as they are computed).
"""

from __future__ import annotations

import gc
import hashlib
import json
import logging
import math
import os
import pickle
import sys
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np

from errors import ConfigError, IngestError
from index.cache import EmbeddingCache
from index.embedding import Encoder, get_embed_model, get_encoder, model_key
from index.filters import Columns
from index.lexical import LexicalIndex, top_k
from index.nodes import from_metadata, node_metadata, retrieval_text
from ingest import SUPPORTED_SUFFIXES, parse_file
from ingest.records import Indicator, ParsedFile, Project, Record
from settings import Settings, configure_caches

_log = logging.getLogger(__name__)
_PAGE = 5000
_VERSION_ID = "__index_version__"  # an item of the documents collection, rewritten by every change
_CATALOG_FORMAT = 3  # bump when the pickled catalog changes shape: old pickles are then rebuilt
EXACT_ROWS = 20_000  # filtered dense search scans at most this many rows exactly (≤ 8 ms)
RECHECK_S = 5.0  # how often a loaded catalog asks Chroma whether another writer changed the index
WRITE_GROUP = 2048  # rows embedded and written to Chroma together
_INTERNED = ("source", "department", "project", "unit_name", "level1", "level1_code", "level2", "level2_code",
             "indicator", "kind")


@dataclass
class DocumentInfo:
    """One indexed source file, as the document manager lists it."""

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


@dataclass
class FileReport:
    """What a build did with one file."""

    source: str
    status: str  # added | updated | unchanged | error
    projects: int = 0
    indicators: int = 0
    repaired: int = 0
    added: int = 0
    removed: int = 0
    embedded: int = 0
    warnings: list[str] = field(default_factory=list)
    error: str = ""


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

    # Only the records, documents and lexical index are pickled; the derived maps are
    # rebuilt on load (faster than unpickling them, and the pickle stays small).
    def __getstate__(self) -> dict[str, Any]:
        return {"records": self.records, "documents": self.documents, "lexical": self.lexical,
                "fingerprint": self.fingerprint, "vectors": self.vectors}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update({"vectors": None, **state})
        self._columns = None
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
        self.recheck_s = RECHECK_S
        self.last_build = BuildStats()

    # -- Chroma ---------------------------------------------------------------
    @property
    def client(self) -> Any:
        if self._client is None:
            import chromadb
            from chromadb.config import Settings as ChromaSettings

            chroma_settings = ChromaSettings(anonymized_telemetry=False)
            url = self.settings.chroma_url
            if url:
                parts = urlparse(url if "://" in url else f"http://{url}")
                if not parts.hostname or not parts.port:
                    raise ConfigError(f"JIXIAO_CHROMA_URL={url!r}: 需要 http://主机:端口")
                self._client = chromadb.HttpClient(host=parts.hostname, port=parts.port, settings=chroma_settings)
            else:
                self.settings.chroma_dir.mkdir(parents=True, exist_ok=True)
                self._client = chromadb.PersistentClient(path=str(self.settings.chroma_dir), settings=chroma_settings)
        return self._client

    @property
    def rows(self) -> Any:
        """The Chroma collection of rows (our own embeddings; cosine space)."""
        if self._rows is None:
            self._rows = self.client.get_or_create_collection(
                self.settings.collection, metadata={"hnsw:space": "cosine"}, embedding_function=None
            )
        return self._rows

    @property
    def docs(self) -> Any:
        if self._docs is None:
            self._docs = self.client.get_or_create_collection(
                f"{self.settings.collection}-documents", embedding_function=None
            )
        return self._docs

    @property
    def embed_model(self) -> Any:
        """The model as a llama-index BaseEmbedding (for llama-index code; imports llama-index)."""
        return get_embed_model(self.settings.embed_model)

    @property
    def encoder(self) -> Encoder:
        """The model as a plain numpy encoder (what building and asking use)."""
        return get_encoder(self.settings.embed_model)

    @property
    def embedding_cache(self) -> EmbeddingCache:
        if self._cache is None:
            self._cache = EmbeddingCache(self.settings.cache_dir / "embeddings.sqlite3", model_key(self.settings.embed_model))
        return self._cache

    # -- writing --------------------------------------------------------------
    def documents(self) -> list[DocumentInfo]:
        """Indexed documents, from Chroma."""
        got = self.docs.get(include=["metadatas"])
        infos = [DocumentInfo(**json.loads(m["info"])) for m in got["metadatas"] or [] if "info" in m]
        return sorted(infos, key=lambda d: (d.department, d.year, d.source))

    def is_empty(self) -> bool:
        return self.rows.count() == 0

    def build(self, paths: Iterable[str | Path], progress: Any = None) -> list[FileReport]:
        """Ingest files into the index; unchanged files are skipped, changed ones re-embed only new rows.

        A file that cannot be parsed is reported and leaves the index as it was.
        `last_build` tells where the time went.
        """
        stats = self.last_build = BuildStats()
        started = time.perf_counter()
        files = expand(paths)
        clock = time.perf_counter()
        known = {d.source: d for d in self.documents()}
        stats.chroma_s += time.perf_counter() - clock
        reports: list[FileReport] = []
        group: list[tuple[ParsedFile, FileReport, DocumentInfo | None]] = []
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
                                warnings=[str(w) for w in parsed.warnings])
            reports.append(report)
            before = known.get(doc.source)
            if before is not None and before.content_hash == doc.content_hash:
                continue
            if any(g[0].document.source == doc.source for g in group):
                self._write(group)  # the same file name twice in one build: the later one wins
                group, pending = [], 0
            group.append((parsed, report, before))
            stats.files += 1
            stats.rows += len(parsed.records)
            pending += len(parsed.records)
            if pending >= WRITE_GROUP:
                self._write(group)
                group, pending = [], 0
        if group:
            self._write(group)
        if progress is not None:
            progress(1.0, "完成")
        self._catalog = None
        stats.total_s = time.perf_counter() - started
        return reports

    def _write(self, group: list[tuple[ParsedFile, FileReport, DocumentInfo | None]]) -> None:
        """Embed (through the cache) and upsert the new rows of several files, drop their stale rows."""
        stats = self.last_build
        clock = time.perf_counter()
        old = self._ids_by_source([parsed.document.source for parsed, _, _ in group])
        stats.chroma_s += time.perf_counter() - clock
        new: list[Record] = []
        stale: list[str] = []
        spans: list[tuple[FileReport, int, int]] = []
        for parsed, report, _ in group:
            old_ids = old.get(parsed.document.source, set())
            fresh = [r for r in parsed.records if r.id not in old_ids]
            spans.append((report, len(new), len(new) + len(fresh)))
            new.extend(fresh)
            stale.extend(sorted(old_ids - {r.id for r in parsed.records}))
            report.added, report.removed = len(fresh), len(old_ids - {r.id for r in parsed.records})
        if new:
            model_s = 0.0

            def compute(texts: list[str]) -> np.ndarray:
                nonlocal model_s
                t = time.perf_counter()
                vectors = self.encoder.passages(texts)
                model_s += time.perf_counter() - t
                return vectors

            clock = time.perf_counter()
            vectors, computed = self.embedding_cache.embed([retrieval_text(r) for r in new], compute)
            stats.embed_s += model_s
            stats.cache_s += time.perf_counter() - clock - model_s
            stats.embedded += sum(computed)
            for report, a, b in spans:
                report.embedded = sum(computed[a:b])
            clock = time.perf_counter()
            step = min(self.client.get_max_batch_size(), WRITE_GROUP)
            for i in range(0, len(new), step):
                chunk = new[i : i + step]
                self._upsert(ids=[r.id for r in chunk], embeddings=vectors[i : i + step],
                             metadatas=[node_metadata(r) for r in chunk], documents=[retrieval_text(r) for r in chunk])
            stats.written += len(new)
            stats.chroma_s += time.perf_counter() - clock
        clock = time.perf_counter()
        if stale:
            self.rows.delete(ids=stale)
        # The document entry is written last: a build interrupted before it sees the file as
        # new next time, and `_ids_by_source` then finds the rows already written.
        now = datetime.now().isoformat(timespec="seconds")
        infos = []
        for parsed, report, before in group:
            doc = parsed.document
            infos.append(DocumentInfo(source=doc.source, department=doc.department, year=doc.year,
                                      content_hash=doc.content_hash, added_at=now,
                                      projects=len(parsed.projects), indicators=len(parsed.indicators),
                                      repaired=parsed.repaired, warnings=report.warnings, grand_total=doc.grand_total))
            report.status = "updated" if before is not None else "added"
        self.docs.upsert(ids=[i.source for i in infos], embeddings=[[0.0]] * len(infos),
                         metadatas=[{"info": json.dumps(asdict(i), ensure_ascii=False)} for i in infos])
        self._bump_version()
        stats.chroma_s += time.perf_counter() - clock

    def _bump_version(self) -> None:
        self.docs.upsert(ids=[_VERSION_ID], embeddings=[[0.0]], metadatas=[{"version": uuid.uuid4().hex}])

    def version(self) -> str:
        """A token that changes whenever any writer changes the index ("" for indexes built before it existed)."""
        got = self.docs.get(ids=[_VERSION_ID], include=["metadatas"])
        return str(got["metadatas"][0]["version"]) if got["ids"] else ""

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
        """Remove a document's rows from every index; returns how many rows left."""
        ids = self.rows.get(where={"source": source}, include=[])["ids"]
        if ids:
            self.rows.delete(ids=ids)
        self.docs.delete(ids=[source])
        self._bump_version()
        self._catalog = None
        return len(ids)

    # -- reading --------------------------------------------------------------
    def fingerprint(self) -> str:
        """A short hash of the index's contents: the version token (or the document list) and row count."""
        return self._fingerprint(self.version())

    def _fingerprint(self, version: str) -> str:
        content: Any = version or sorted((d.source, d.content_hash) for d in self.documents())
        raw = json.dumps([content, self.rows.count(), self.settings.embed_model, _CATALOG_FORMAT], ensure_ascii=False)
        return hashlib.sha1(raw.encode("utf-8")).hexdigest()[:16]

    @property
    def catalog(self) -> Catalog:
        """All records and the lexical index, loaded from the disk cache or rebuilt from Chroma.

        Every `recheck_s` seconds a loaded catalog is checked against Chroma (one read of the
        version token, ~1 ms; a row count would cost ~15 ms at 100k rows), so an app instance
        sees what another instance sharing the Chroma server built.
        """
        now = time.monotonic()
        if self._catalog is not None and now - self._checked >= self.recheck_s:
            self._checked = now
            version = self.version()
            if version != self._catalog_version or (not version and self._fingerprint("") != self._catalog.fingerprint):
                self._catalog = None
        if self._catalog is None:
            self._catalog = self._load_catalog()
            self._checked = time.monotonic()
        return self._catalog

    def refresh(self) -> None:
        """Drop the in-memory catalog so the next read sees what other writers added."""
        self._catalog = None

    def _load_catalog(self) -> Catalog:
        self._catalog_version = self.version()
        fingerprint = self._fingerprint(self._catalog_version)
        cache = self.settings.lexical_dir / f"catalog-{self.settings.collection}-{fingerprint}.pkl"
        with _no_gc():
            catalog = _read_catalog(cache, fingerprint) or self._rebuild_catalog(cache, fingerprint)
        # The catalog lives as long as the process: keep the cyclic GC from walking its
        # ~1M objects again and again (each full collection would cost ~100 ms mid-question).
        gc.freeze()
        return catalog

    def _rebuild_catalog(self, cache: Path, fingerprint: str) -> Catalog:
        records: list[Record] = []
        pages: list[np.ndarray] = []
        total = self.rows.count()
        for offset in range(0, total, _PAGE):
            got = self.rows.get(include=["metadatas", "embeddings"], limit=_PAGE, offset=offset)
            records.extend(_interned(from_metadata(m)) for m in got["metadatas"])
            # float32, not float16: numpy converts float16 at ~0.5 GB/s, which would make an
            # exact search over 16k rows cost 17 ms instead of 5 ms (+90 MB at 100k rows).
            pages.append(np.asarray(got["embeddings"], dtype=np.float32))
        order = sorted(range(len(records)), key=lambda n: _order_key(records[n]))
        records = [records[n] for n in order]
        vectors = np.concatenate(pages)[order] if pages else None
        lexical = LexicalIndex([r.id for r in records], [retrieval_text(r) for r in records])
        catalog = Catalog(records=records, documents=self.documents(), lexical=lexical, fingerprint=fingerprint,
                          vectors=vectors)
        cache.parent.mkdir(parents=True, exist_ok=True)
        for old in cache.parent.glob(f"catalog-{self.settings.collection}-*.pkl"):
            old.unlink(missing_ok=True)
        tmp = cache.with_suffix(f".{os.getpid()}.tmp")  # app instances sharing a home write in turn
        with tmp.open("wb") as fh:
            pickle.dump(catalog, fh, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(cache)
        return catalog

    def embed_query(self, text: str) -> list[float]:
        return _embed_query(self.settings.embed_model, text)

    def dense(self, query: str | Sequence[float], k: int = 20, where: dict[str, Any] | None = None) -> list[tuple[str, float]]:
        """(id, cosine similarity) of the k nearest rows, optionally filtered by metadata.

        Unfiltered: Chroma's HNSW graph. Filtered: the `where` clause is evaluated on the
        catalog (index.filters); a narrow set of rows (≤ `EXACT_ROWS`) is searched exactly
        from the catalog's vectors, a wide one through the graph with oversampling. Either
        way 1-8 ms at 100k rows, where Chroma's own filtered query takes 50-500 ms.
        """
        vector = self.embed_query(query) if isinstance(query, str) else list(query)
        if not where:
            # No count() first: Chroma returns fewer than k when it holds fewer, and in server
            # mode every call is an HTTP round trip.
            return self._graph(vector, k)
        catalog = self.catalog
        mask = catalog.columns.mask(where) if catalog.vectors is not None else None
        if mask is None:  # a clause the catalog cannot evaluate: let Chroma filter
            got = self.rows.query(query_embeddings=[vector], n_results=k, where=where, include=["distances"])
            return [(i, 1.0 - float(d)) for i, d in zip(got["ids"][0], got["distances"][0], strict=True)]
        allowed = int(mask.sum())
        if allowed == 0:
            return []
        if allowed > EXACT_ROWS:
            wanted = min(len(catalog.records), math.ceil(k * len(catalog.records) / allowed * 2) + k)
            position = catalog.position
            hits = [(i, s) for i, s in self._graph(vector, wanted) if i in position and mask[position[i]]]
            if len(hits) >= min(k, allowed):
                return hits[:k]
        rows = np.flatnonzero(mask)
        assert catalog.vectors is not None
        sims = catalog.vectors[rows] @ np.asarray(vector, dtype=np.float32)
        best, _ = top_k(sims + 2.0, k)  # shifted: top_k keeps positive scores only
        return [(catalog.records[rows[n]].id, float(sims[n])) for n in best]

    def _graph(self, vector: Sequence[float], k: int) -> list[tuple[str, float]]:
        got = self.rows.query(query_embeddings=[vector], n_results=k, include=["distances"])
        return [(i, 1.0 - float(d)) for i, d in zip(got["ids"][0], got["distances"][0], strict=True)]

    def lexical(self, query: str) -> np.ndarray:
        """BM25 score of every catalog row for the query."""
        return self.catalog.lexical.scores(query)

    def lexical_top(self, query: str, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(catalog positions, BM25 scores) of the k best rows with a positive score, best first."""
        return self.catalog.lexical.top(query, k)


def _order_key(r: Record) -> tuple[Any, ...]:
    return (r.department, r.year, r.source, r.line, r.kind != "project", getattr(r, "item", 0), r.id)


def _read_catalog(path: Path, fingerprint: str) -> Catalog | None:
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
def _embed_query(model: str, text: str) -> list[float]:
    return get_encoder(model).query(text).tolist()


_OPEN: dict[Settings, Index] = {}


def open_index(settings: Settings | None = None) -> Index:
    """The process-wide index for these settings (opened once)."""
    settings = settings or Settings()
    if settings not in _OPEN:
        _OPEN[settings] = Index(settings)
    return _OPEN[settings]

