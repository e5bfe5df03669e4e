"""The index: a Chroma collection of rows (dense) and a BM25 index over the same ids.

Chroma is the source of truth: rows live in one collection, documents (one item per source
file, with its counts and warnings) in a second. The in-memory catalog of records and the
lexical index are rebuilt from Chroma and cached on disk under a fingerprint of its
contents, so several app instances sharing one Chroma server stay consistent.
"""

from __future__ import annotations

import hashlib
import json
import pickle
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np

from errors import ConfigError, IngestError
from index.cache import EmbeddingCache
from index.embedding import get_embed_model, model_key
from index.lexical import LexicalIndex
from index.nodes import from_metadata, retrieval_text, to_node
from ingest import SUPPORTED_SUFFIXES, parse_file
from ingest.records import Indicator, ParsedFile, Project, Record
from settings import Settings, configure_caches

_PAGE = 5000


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
class Catalog:
    """Every indexed record in memory, in one fixed order shared with the lexical index."""

    records: list[Record]
    documents: list[DocumentInfo]
    lexical: LexicalIndex
    fingerprint: str
    by_id: dict[str, Record] = field(init=False)
    position: dict[str, int] = field(init=False)

    def __post_init__(self) -> None:
        self.by_id = {r.id: r for r in self.records}
        self.position = {r.id: i for i, r in enumerate(self.records)}

    @property
    def projects(self) -> list[Project]:
        return [r for r in self.records if isinstance(r, Project)]

    @property
    def indicators(self) -> list[Indicator]:
        return [r for r in self.records if isinstance(r, Indicator)]


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

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings()
        configure_caches(self.settings)
        self._client: Any = None
        self._rows: Any = None
        self._docs: Any = None
        self._catalog: Catalog | None = None
        self._cache: EmbeddingCache | None = None

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
    def vector_store(self) -> Any:
        from llama_index.vector_stores.chroma import ChromaVectorStore

        return ChromaVectorStore(chroma_collection=self.rows)

    @property
    def embed_model(self) -> Any:
        return get_embed_model(self.settings.embed_model)

    @property
    def embedding_cache(self) -> EmbeddingCache:
        if self._cache is None:
            self._cache = EmbeddingCache(self.settings.cache_dir / "embeddings.sqlite3", model_key(self.settings.embed_model))
        return self._cache

    # -- writing --------------------------------------------------------------
    def documents(self) -> list[DocumentInfo]:
        """Indexed documents, from Chroma."""
        got = self.docs.get(include=["metadatas"])
        infos = [DocumentInfo(**json.loads(m["info"])) for m in got["metadatas"] or []]
        return sorted(infos, key=lambda d: (d.department, d.year, d.source))

    def is_empty(self) -> bool:
        return self.rows.count() == 0

    def build(self, paths: Iterable[str | Path], progress: Any = None) -> list[FileReport]:
        """Ingest files into the index; unchanged files are skipped, changed ones re-embed only new rows.

        A file that cannot be parsed is reported and leaves the index as it was.
        """
        files = expand(paths)
        known = {d.source: d for d in self.documents()}
        reports: list[FileReport] = []
        for n, path in enumerate(files):
            if progress is not None:
                progress(n / max(len(files), 1), f"{path.name}")
            try:
                parsed = parse_file(path)
            except IngestError as exc:
                reports.append(FileReport(source=exc.source, status="error", error=str(exc)))
                continue
            reports.append(self._write(parsed, known.get(parsed.document.source)))
        if progress is not None:
            progress(1.0, "完成")
        self._catalog = None
        return reports

    def _write(self, parsed: ParsedFile, known: DocumentInfo | None) -> FileReport:
        doc = parsed.document
        report = FileReport(source=doc.source, status="unchanged", projects=len(parsed.projects),
                            indicators=len(parsed.indicators), repaired=parsed.repaired,
                            warnings=[str(w) for w in parsed.warnings])
        if known is not None and known.content_hash == doc.content_hash:
            return report
        old_ids = set(self.rows.get(where={"source": doc.source}, include=[])["ids"])
        records = parsed.records
        new = [r for r in records if r.id not in old_ids]
        stale = sorted(old_ids - {r.id for r in records})
        if new:
            nodes = [to_node(r) for r in new]
            vectors, report.embedded = self.embedding_cache.embed(
                [retrieval_text(r) for r in new], self.embed_model.get_text_embedding_batch
            )
            for node, vector in zip(nodes, vectors, strict=True):
                node.embedding = list(vector)
            self.vector_store.add(nodes)
        if stale:
            self.rows.delete(ids=stale)
        info = DocumentInfo(source=doc.source, department=doc.department, year=doc.year,
                            content_hash=doc.content_hash, added_at=datetime.now().isoformat(timespec="seconds"),
                            projects=len(parsed.projects), indicators=len(parsed.indicators),
                            repaired=parsed.repaired, warnings=report.warnings, grand_total=doc.grand_total)
        self.docs.upsert(ids=[doc.source], embeddings=[[0.0]], metadatas=[{"info": json.dumps(asdict(info), ensure_ascii=False)}])
        report.status = "updated" if known is not None else "added"
        report.added, report.removed = len(new), len(stale)
        return report

    def remove(self, source: str) -> int:
        """Remove a document's rows from every index; returns how many rows left."""
        ids = self.rows.get(where={"source": source}, include=[])["ids"]
        if ids:
            self.rows.delete(ids=ids)
        self.docs.delete(ids=[source])
        self._catalog = None
        return len(ids)

    # -- reading --------------------------------------------------------------
    def fingerprint(self) -> str:
        docs = sorted((d.source, d.content_hash) for d in self.documents())
        raw = json.dumps([docs, self.rows.count(), self.settings.embed_model], ensure_ascii=False)
        return hashlib.sha1(raw.encode("utf-8")).hexdigest()[:16]

    @property
    def catalog(self) -> Catalog:
        """All records and the lexical index, loaded from the disk cache or rebuilt from Chroma."""
        if self._catalog is None:
            self._catalog = self._load_catalog()
        return self._catalog

    def refresh(self) -> None:
        """Drop the in-memory catalog so the next read sees what other writers added."""
        self._catalog = None

    def _load_catalog(self) -> Catalog:
        fingerprint = self.fingerprint()
        cache = self.settings.lexical_dir / f"catalog-{self.settings.collection}-{fingerprint}.pkl"
        if cache.exists():
            try:
                with cache.open("rb") as fh:
                    catalog = pickle.load(fh)
                if isinstance(catalog, Catalog) and catalog.fingerprint == fingerprint:
                    return catalog
            except (OSError, pickle.UnpicklingError, EOFError, AttributeError):
                pass  # a stale or partial cache is rebuilt below
        records: list[Record] = []
        total = self.rows.count()
        for offset in range(0, total, _PAGE):
            got = self.rows.get(include=["metadatas"], limit=_PAGE, offset=offset)
            records.extend(from_metadata(m) for m in got["metadatas"])
        records.sort(key=lambda r: (r.department, r.year, r.source, r.line, r.kind != "project",
                                    getattr(r, "item", 0), r.id))
        lexical = LexicalIndex([r.id for r in records], [retrieval_text(r) for r in records])
        catalog = Catalog(records=records, documents=self.documents(), lexical=lexical, fingerprint=fingerprint)
        cache.parent.mkdir(parents=True, exist_ok=True)
        for old in cache.parent.glob(f"catalog-{self.settings.collection}-*.pkl"):
            old.unlink(missing_ok=True)
        tmp = cache.with_suffix(".tmp")
        with tmp.open("wb") as fh:
            pickle.dump(catalog, fh, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(cache)
        return catalog

    def embed_query(self, text: str) -> list[float]:
        return _embed_query(self.settings.embed_model, text)

    def dense(self, query: str | Sequence[float], k: int = 20, where: dict[str, Any] | None = None) -> list[tuple[str, float]]:
        """(id, cosine similarity) of the k nearest rows, optionally filtered by metadata."""
        vector = self.embed_query(query) if isinstance(query, str) else list(query)
        n = self.rows.count()
        if n == 0:
            return []
        got = self.rows.query(query_embeddings=[vector], n_results=min(k, n), where=where or None, include=["distances"])
        return [(i, 1.0 - float(d)) for i, d in zip(got["ids"][0], got["distances"][0], strict=True)]

    def lexical(self, query: str) -> np.ndarray:
        """BM25 score of every catalog row for the query."""
        return self.catalog.lexical.scores(query)


@lru_cache(maxsize=2048)
def _embed_query(model: str, text: str) -> list[float]:
    return get_embed_model(model).get_query_embedding(text)


_OPEN: dict[Settings, Index] = {}


def open_index(settings: Settings | None = None) -> Index:
    """The process-wide index for these settings (opened once)."""
    settings = settings or Settings()
    if settings not in _OPEN:
        _OPEN[settings] = Index(settings)
    return _OPEN[settings]

