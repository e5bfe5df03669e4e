"""Run the gold Q&A against the full system and baselines, with the same embedding model.

Systems: full (the assistant), dense (Chroma only), bm25 (lexical only), and
naive_llamaindex (raw file text → SentenceSplitter → VectorStoreIndex → top-k), the
afternoon-build a user would compare us with.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from assistant import Assistant
from evals import metrics as m
from index.store import Index
from ingest.normalize import for_matching
from ingest.records import Indicator, Record

GOLD = Path(__file__).with_name("gold.jsonl")
HOLDOUT = Path(__file__).with_name("holdout.jsonl")
WRITTEN = Path(__file__).with_name("written.jsonl")
WRITTEN_TWO_TABLES = Path(__file__).with_name("written_two_tables.jsonl")
WRITTEN_MORE = Path(__file__).with_name("written_more.jsonl")
BLIND = Path(__file__).with_name("blind.jsonl")
BLIND2 = Path(__file__).with_name("blind2.jsonl")
BLIND2_TWO_TABLES = Path(__file__).with_name("blind2_two_tables.jsonl")
ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
MATAZHEN = ROOT / "tests" / "fixtures" / "real_tables" / "sc_jingyan_matazhen_2023.txt"
THRESHOLDS = {"hit@1": 0.95, "answer_pass": 0.90}  # the CI gate on the full system
K = 10


@dataclass
class Outcome:
    """What one system did with one gold question."""

    ranked: list[m.Key]
    latency_ms: float
    answer: str | None = None
    found: bool | None = None
    refused: bool | None = None
    passed: bool | None = None
    why: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class GoldSet:
    """A question file and the tables it was written for (files or folders)."""

    name: str
    path: Path
    tables: tuple[Path, ...]
    gated: bool  # the CI thresholds apply (sets used while building); the others are measurements


SETS: tuple[GoldSet, ...] = (
    GoldSet("gold", GOLD, (DATA,), True),
    GoldSet("holdout", HOLDOUT, (DATA,), True),
    GoldSet("written", WRITTEN, (DATA,), False),
    GoldSet("written_two_tables", WRITTEN_TWO_TABLES, (DATA, MATAZHEN), False),
    # Five new phrasings per class of failure found on the written sets, written by the helper who fixed them
    # (so not blind): a check that a fix is general, not a measurement.
    GoldSet("written_more", WRITTEN_MORE, (DATA, MATAZHEN), False),
    # Written without the code before the query plans; scored blind once (0.818), then its failures were read:
    # now a development set like the written ones.
    GoldSet("blind", BLIND, (DATA,), False),
    # Written by someone who had not seen the code, after the query plans: scored blind once (0.922 over both
    # files, 0.678 with the assistant before the plans), then read.
    GoldSet("blind2", BLIND2, (DATA,), False),
    GoldSet("blind2_two_tables", BLIND2_TWO_TABLES, (DATA, MATAZHEN), False),
)


def set_for(path: Path) -> GoldSet | None:
    """The known set a gold file belongs to (by resolved path), if any."""
    return next((s for s in SETS if s.path.resolve() == path.resolve()), None)


def scratch_index(tables: list[Path] | tuple[Path, ...], home: Path, embedding_cache: Any = None) -> Index:
    """An index of exactly `tables` in a scratch data directory, sharing the user's embedding cache (or the
    one given): a table embedded once stays embedded. Raises ValueError naming a missing path or a failed file."""
    from index.cache import EmbeddingCache
    from index.embedding import model_key
    from settings import Settings

    missing = [str(t) for t in tables if not Path(t).exists()]
    if missing:
        raise ValueError(f"--tables: 找不到 {'、'.join(missing)}")
    default = Settings()
    settings = Settings(home=home, collection="evals-tables", chroma_url="", embed_model=default.embed_model)
    cache = embedding_cache or EmbeddingCache(default.cache_dir / "embeddings.sqlite3", model_key(default.embed_model))
    index = Index(settings, embedding_cache=cache)
    reports = index.build([Path(t) for t in tables])
    failed = [f"{r.source}: {r.error}" for r in reports if r.status == "error"]
    if failed:
        raise ValueError(f"--tables: {len(failed)} 个文件导入失败: {'; '.join(failed[:3])}")
    if index.is_empty():
        raise ValueError(f"--tables: {'、'.join(str(t) for t in tables)} 中没有可导入的表格")
    return index


def with_tables(tables: list[Path] | tuple[Path, ...], embedding_cache: Any = None
                ) -> tuple[Index, tempfile.TemporaryDirectory[str]]:
    """A scratch index of `tables` and the directory holding it (clean it up when done)."""
    tmp = tempfile.TemporaryDirectory(prefix="jixiao-evals-")
    try:
        return scratch_index(tables, Path(tmp.name), embedding_cache), tmp
    except BaseException:
        tmp.cleanup()
        raise


def load_gold(path: Path = GOLD) -> list[dict[str, Any]]:
    """Gold questions, one JSON object per line (DESIGN.md section 5)."""
    items = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                items.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path} 第{n}行: 不是有效的 JSON ({exc.msg})") from exc
    return items


def record_key(r: Record) -> m.Key:
    return m.key(r.project, r.indicator if isinstance(r, Indicator) else None)


def judge(item: dict[str, Any], outcome: Outcome, cited: set[m.Key]) -> None:
    """Answer pass: expected citations present, expected strings present, absent/refuse handled."""
    expect = item["expect"]
    why = outcome.why
    for project, indicator in expect.get("cite", []):
        if m.key(project, indicator) not in cited:
            why.append(f"缺少引用 {project}/{indicator or '项目行'}")
    text = for_matching(outcome.answer or "")
    for s in expect.get("answer_contains", []):
        if for_matching(s) not in text:
            why.append(f"答案缺少“{s}”")
    if expect.get("refuse"):
        if not outcome.refused:
            why.append("应当拒答")
    elif outcome.refused:
        why.append("不应拒答")
    if expect.get("absent"):
        if outcome.found:
            why.append("应当回答“没有”(found=false)")
    elif not expect.get("refuse") and outcome.found is False:
        why.append("不应 found=false")
    outcome.passed = not why


def run_full(assistant: Assistant) -> Callable[[dict[str, Any]], Outcome]:
    def run(item: dict[str, Any]) -> Outcome:
        answer = assistant.converse(item.get("turns") or [], item["question"])
        ranked = [record_key(r) for r in answer.citations]
        out = Outcome(ranked, answer.latency_ms, answer.answer, answer.found, answer.refused)
        judge(item, out, set(ranked))
        return out

    return run


def _with_turns(item: dict[str, Any]) -> str:
    # Baselines have no dialogue state: the usual trick is to prepend earlier turns.
    return " ".join([*(item.get("turns") or []), item["question"]])


def run_dense(index: Index) -> Callable[[dict[str, Any]], Outcome]:
    def run(item: dict[str, Any]) -> Outcome:
        start = time.perf_counter()
        hits = index.dense(_with_turns(item), k=K)
        ranked = [record_key(index.catalog.by_id[i]) for i, _ in hits if i in index.catalog.by_id]
        return Outcome(ranked, (time.perf_counter() - start) * 1000)

    return run


def run_bm25(index: Index) -> Callable[[dict[str, Any]], Outcome]:
    def run(item: dict[str, Any]) -> Outcome:
        start = time.perf_counter()
        scores = index.lexical(_with_turns(item))
        order = [n for n in np.argsort(-scores)[:K] if scores[n] > 0]
        ranked = [record_key(index.catalog.records[n]) for n in order]
        return Outcome(ranked, (time.perf_counter() - start) * 1000)

    return run


def run_naive(index: Index, files: list[Path]) -> Callable[[dict[str, Any]], Outcome]:
    """Plain LlamaIndex over the raw text; a chunk 'contains' a row when it holds the row's text."""
    from llama_index.core import Document, VectorStoreIndex
    from llama_index.core.node_parser import SentenceSplitter

    docs = [Document(text=f.read_text(encoding="utf-8", errors="replace"), metadata={"source": f.name}) for f in files]
    # Characters as tokens: the default tokenizer (tiktoken) downloads its vocabulary at run time.
    splitter = SentenceSplitter(chunk_size=256, chunk_overlap=32, tokenizer=list)
    vindex = VectorStoreIndex.from_documents(docs, embed_model=index.embed_model, transformations=[splitter])
    retriever = vindex.as_retriever(similarity_top_k=5)
    signatures = [(record_key(r), for_matching(r.text if isinstance(r, Indicator) else r.goal)[:30])
                  for r in index.catalog.records]

    def run(item: dict[str, Any]) -> Outcome:
        start = time.perf_counter()
        chunks = [for_matching(n.node.get_content()) for n in retriever.retrieve(_with_turns(item))]
        ranked: list[m.Key] = []
        for chunk in chunks:
            ranked.extend(k for k, sig in signatures if sig and sig in chunk and k not in ranked)
        return Outcome(ranked, (time.perf_counter() - start) * 1000)

    return run


def score(items: list[dict[str, Any]], outcomes: list[Outcome]) -> dict[str, Any]:
    """Metrics over questions that expect citations (retrieval) and over all (answers, latency)."""
    retrieval = [(i, o) for i, o in zip(items, outcomes, strict=True) if i["expect"].get("cite")]
    rel = [({m.key(p, ind) for p, ind in i["expect"]["cite"]}, o.ranked) for i, o in retrieval]
    passes = [o.passed for o in outcomes if o.passed is not None]
    lat = [o.latency_ms for o in outcomes]

    def mean(values: list[float]) -> float | None:
        return round(float(np.mean(values)), 4) if values else None  # None: no question of this kind

    return {
        "questions": len(items),
        "hit@1": mean([m.hit_at(r, s, 1) for s, r in rel]),
        "hit@5": mean([m.hit_at(r, s, 5) for s, r in rel]),
        "mrr": mean([m.reciprocal_rank(r, s) for s, r in rel]),
        "ndcg@10": mean([m.ndcg_at(r, s, 10) for s, r in rel]),
        "answer_pass": mean([float(p) for p in passes]),
        "p50_ms": round(m.percentile(lat, 0.5), 2),
        "p95_ms": round(m.percentile(lat, 0.95), 2),
    }


def evaluate(index: Index, gold: Path = GOLD, systems: tuple[str, ...] = ("full", "dense", "bm25", "naive_llamaindex"),
             files: list[Path] | None = None) -> dict[str, Any]:
    """Run every system over the gold; returns {"systems": …, "by_tag": …, "failures": …}."""
    items = load_gold(gold)
    index.catalog  # load before timing  # noqa: B018
    runners: dict[str, Callable[[dict[str, Any]], Outcome]] = {}
    for name in systems:
        if name == "full":
            assistant = Assistant(index)
            assistant.warm()
            runners[name] = run_full(assistant)
        elif name == "dense":
            runners[name] = run_dense(index)
        elif name == "bm25":
            runners[name] = run_bm25(index)
        elif name == "naive_llamaindex":
            runners[name] = run_naive(index, files or [index.settings.data_dir / d.source for d in index.documents()])
    results: dict[str, list[Outcome]] = {name: [run(item) for item in items] for name, run in runners.items()}
    by_tag: dict[str, dict[str, Any]] = defaultdict(dict)
    tags = sorted({t for i in items for t in i.get("tags", [])})
    for name, outcomes in results.items():
        for tag in tags:
            chosen = [(i, o) for i, o in zip(items, outcomes, strict=True) if tag in i.get("tags", [])]
            by_tag[tag][name] = score([i for i, _ in chosen], [o for _, o in chosen])
    failures = []
    if "full" in results:
        failures = [{"id": i["id"], "question": i["question"], "turns": i.get("turns", []), "why": o.why,
                     "answer": o.answer} for i, o in zip(items, results["full"], strict=True) if o.passed is False]
    return {"systems": {name: score(items, outcomes) for name, outcomes in results.items()},
            "by_tag": dict(by_tag), "failures": failures}


def below_thresholds(report: dict[str, Any]) -> list[str]:
    """The gate: which thresholds the full system misses."""
    full = report["systems"]["full"]
    return [f"{k} {full[k]:.3f} < {v}" for k, v in THRESHOLDS.items() if (full.get(k) or 0.0) < v]


DESCRIBED = Path(__file__).with_name("described.jsonl")


def described(index: Index, path: Path = DESCRIBED) -> dict[str, Any]:
    """Projects named by what they do: the assistant's choice (its first citation, or a clarifying
    question, which counts as a miss) against plain dense retrieval (the first row's project)."""
    items = load_gold(path)
    assistant = Assistant(index)
    catalog = index.catalog
    full: list[float] = []
    dense: list[float] = []
    asked = 0
    for item in items:
        want = m.key(item["project"], None)[0]
        answer = assistant.ask(item["question"])
        asked += answer.clarify is not None
        full.append(float(bool(answer.citations) and m.key(answer.citations[0].project, None)[0] == want))
        hits = index.dense(item["question"], k=1)
        top = catalog.by_id.get(hits[0][0]) if hits else None
        dense.append(float(top is not None and m.key(top.project, None)[0] == want))
    n = len(items)
    return {"questions": n, "full": {"hit@1": round(sum(full) / n, 4) if n else None, "clarified": asked},
            "dense": {"hit@1": round(sum(dense) / n, 4) if n else None}}
