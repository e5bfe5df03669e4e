"""Hybrid retrieval: metadata filters, dense (Chroma) + lexical (BM25), reciprocal rank fusion."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from index.store import Index
from ingest.records import Project, Record

RRF_K = 60


@dataclass
class Hit:
    record: Record
    score: float
    dense_rank: int | None = None
    lexical_rank: int | None = None


@dataclass
class Filters:
    """Which rows may answer: projects (by record), categories, kind."""

    projects: list[Project] = field(default_factory=list)
    level1: tuple[str, ...] = ()
    level2: tuple[str, ...] = ()
    kind: str = ""  # "project" | "indicator" | ""
    departments: list[str] = field(default_factory=list)

    def allows(self, r: Record) -> bool:
        if self.kind and r.kind != self.kind:
            return False
        if self.projects and not any((r.project, r.department, r.year) == (p.project, p.department, p.year)
                                     for p in self.projects):
            return False
        if self.departments and r.department not in self.departments:
            return False
        if self.level2 or self.level1:
            if r.kind != "indicator":
                return False
            if not (getattr(r, "level2_code", "") in self.level2 or getattr(r, "level1_code", "") in self.level1):
                return False
        return True

    def where(self) -> dict[str, Any] | None:
        """The same filter as a Chroma `where` clause (coarser; `allows` is applied after)."""
        clauses: list[dict[str, Any]] = []
        if self.kind:
            clauses.append({"kind": self.kind})
        if self.projects:
            clauses.append({"project": {"$in": sorted({p.project for p in self.projects})}})
        if self.departments:
            clauses.append({"department": {"$in": self.departments}})
        codes = [*self.level2]
        if codes and not self.level1:
            clauses.append({"level2_code": {"$in": codes}})
        elif self.level1 and not codes:
            clauses.append({"level1_code": {"$in": list(self.level1)}})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def _ranks(ids: Iterable[str]) -> dict[str, int]:
    return {i: n for n, i in enumerate(ids)}


def search(index: Index, query: str, filters: Filters | None = None, k: int = 10,
           timings: dict[str, float] | None = None, pool: list[Record] | None = None) -> list[Hit]:
    """Rows ranked for a query: dense and BM25 lists fused by reciprocal rank.

    `pool`, when given, is every row the filters can allow (e.g. the named projects' rows),
    so a filtered search never scans the whole catalog.
    """
    filters = filters or Filters()
    catalog = index.catalog
    clock = time.perf_counter()
    vector = index.embed_query(query)
    t_embed = time.perf_counter()
    dense = [(i, s) for i, s in index.dense(vector, k=max(3 * k, 30), where=filters.where())
             if i in catalog.by_id and filters.allows(catalog.by_id[i])]
    t_dense = time.perf_counter()
    positions, _ = index.lexical_top(query, max(50 * k, 500))
    lexical = [catalog.records[n].id for n in positions if filters.allows(catalog.records[n])][: 3 * k]
    if len(lexical) < k and (filters.projects or filters.level1 or filters.level2):
        # Small filtered sets: rank every allowed row, so nothing in scope is missed.
        scores = index.lexical(query)
        rows = [r for r in (pool if pool is not None else catalog.records) if filters.allows(r)]
        ranked = sorted(((float(scores[catalog.position[r.id]]), r.id) for r in rows), reverse=True)
        lexical = [i for score, i in ranked if score > 0][: 3 * k]
    t_lex = time.perf_counter()
    d_rank = _ranks(i for i, _ in dense)
    l_rank = _ranks(lexical)
    fused: dict[str, float] = {}
    for ranks in (d_rank, l_rank):
        for i, n in ranks.items():
            fused[i] = fused.get(i, 0.0) + 1.0 / (RRF_K + n + 1)
    hits = [Hit(catalog.by_id[i], s, d_rank.get(i), l_rank.get(i)) for i, s in fused.items()]
    hits.sort(key=lambda h: -h.score)
    if timings is not None:
        timings["embed"] = timings.get("embed", 0.0) + (t_embed - clock) * 1000
        timings["dense"] = timings.get("dense", 0.0) + (t_dense - t_embed) * 1000
        timings["lexical"] = timings.get("lexical", 0.0) + (t_lex - t_dense) * 1000
        timings["fuse"] = timings.get("fuse", 0.0) + (time.perf_counter() - t_lex) * 1000
    return hits[:k]


def top_similarity(index: Index, query: str) -> float:
    """Cosine similarity of the nearest row: how close the question is to anything indexed."""
    got = index.dense(query, k=1)
    return got[0][1] if got else 0.0
