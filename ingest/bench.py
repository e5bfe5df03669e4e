"""Benchmark: generate noisy tables (ingest.synth), parse them back, compare with the truth.

Reports field-level accuracy (project, amounts, level1, level2, indicator, both values),
precision and recall of the repair flags, the share of injected total mismatches that a
warning names, and parse speed in table rows per second.
"""

from __future__ import annotations

import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz

from errors import IngestError
from ingest import parse_file, synth
from ingest.records import Indicator, ParsedFile, Project
from ingest.taxonomy import FUNDING_COLUMNS

FIELDS = ("project", "amounts", "level1", "level2", "indicator", "period_value", "annual_value")
DEFAULT_DEPARTMENTS = 60
_MIN_MATCH = 70  # rapidfuzz ratio below which a parsed record is not the truth record


def run(
    departments: int = DEFAULT_DEPARTMENTS, noise: str = synth.DEFAULT_NOISE, seed: int = 0, folder: Path | None = None
) -> dict[str, Any]:
    """Generate, parse and score; returns the metrics (see `score`) plus timings and volume."""
    with tempfile.TemporaryDirectory(prefix="ingest-bench-") as tmp:
        out = Path(folder) if folder else Path(tmp)
        t0 = time.perf_counter()
        paths = synth.generate(departments, noise, seed, out)
        generated = time.perf_counter() - t0
        t0 = time.perf_counter()
        parsed: list[ParsedFile] = []
        errors: list[str] = []
        for path in paths:
            try:
                parsed.append(parse_file(path))
            except IngestError as exc:
                errors.append(str(exc))
        parse_seconds = time.perf_counter() - t0
        truth = synth.load_truth(out)
    result = score(truth, parsed)
    rows = sum(p.rows_in for p in parsed)
    result.update(
        noise=noise,
        seed=seed,
        departments=departments,
        files=len(paths),
        failed_files=len(errors),
        errors=errors[:5],
        rows=rows,
        projects=sum(len(p.projects) for p in parsed),
        indicators=sum(len(p.indicators) for p in parsed),
        rows_per_s=round(rows / parse_seconds, 1) if parse_seconds else 0.0,
        indicators_per_s=round(result_indicators(parsed) / parse_seconds, 1) if parse_seconds else 0.0,
        seconds={"generate": round(generated, 3), "parse": round(parse_seconds, 3)},
    )
    return result


def result_indicators(parsed: list[ParsedFile]) -> int:
    return sum(len(p.indicators) for p in parsed)


def _same_amount(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) < 0.005


def _match(truth: list[Any], parsed: list[Any], key_truth: Any, key_parsed: Any) -> list[Any | None]:
    """One-to-one matching: equal names first, then the most similar remaining name (if similar enough)."""
    free = list(parsed)
    out: list[Any | None] = [None] * len(truth)
    for n, t in enumerate(truth):
        same = next((p for p in free if key_parsed(p) == key_truth(t)), None)
        if same is not None:
            free.remove(same)
            out[n] = same
    for n, t in enumerate(truth):
        if out[n] is not None or not free:
            continue
        best = max(free, key=lambda p: fuzz.ratio(key_truth(t), key_parsed(p)))
        if fuzz.ratio(key_truth(t), key_parsed(best)) >= _MIN_MATCH:
            free.remove(best)
            out[n] = best
    return out


def score(truth: dict[str, Any], parsed: list[ParsedFile]) -> dict[str, Any]:
    """Compare parsed files with the generator's truth.

    Accuracy counts a truth field as correct only when its matched record has the same value;
    a record the parser lost makes all its fields wrong. Flags are (record, field) pairs.
    """
    by_source = {p.document.source: p for p in parsed}
    correct: Counter[str] = Counter()
    total: Counter[str] = Counter()
    flags = {"emitted": 0, "true": 0, "expected": 0, "found": 0}
    mismatch = {"injected": 0, "detected": 0, "false_alarms": 0}
    losses = {"silent": 0, "warned": 0}
    extra = 0

    def count_flags(expected: list[str], repairs_fields: list[str]) -> None:
        flags["emitted"] += len(repairs_fields)
        flags["true"] += sum(f in expected for f in repairs_fields)
        flags["expected"] += len(set(expected))
        flags["found"] += sum(f in repairs_fields for f in set(expected))

    for tf in truth["files"]:
        pf = by_source.get(tf["file"])
        projects: list[Project] = pf.projects if pf else []
        indicators_by_line: dict[int, list[Indicator]] = defaultdict(list)
        for ind in pf.indicators if pf else []:
            indicators_by_line[ind.line].append(ind)
        matched = _match(tf["projects"], projects, lambda t: t["project"], lambda p: p.project)
        extra += len(projects) - sum(m is not None for m in matched)
        for tp, pp in zip(tf["projects"], matched, strict=True):
            total["project"] += 1
            total["amounts"] += 1
            if pp is not None:
                correct["project"] += pp.project == tp["project"]
                correct["amounts"] += all(_same_amount(getattr(pp, k), tp["amounts"][k]) for k, _ in FUNDING_COLUMNS)
            count_flags(tp["flags"], [r.field for r in pp.repairs] if pp else [])
            mine = indicators_by_line.get(pp.line, []) if pp else []
            found = _match(tp["indicators"], mine, lambda t: t["indicator"], lambda p: p.indicator)
            extra += len(mine) - sum(m is not None for m in found)
            warned_lines = {w.line for w in pf.warnings if w.kind in ("item_dropped", "row_dropped")} if pf else set()
            for ti, pi in zip(tp["indicators"], found, strict=True):
                if pi is None:
                    losses["warned" if pp is not None and pp.line in warned_lines else "silent"] += 1
                for name in FIELDS[2:]:
                    total[name] += 1
                    if pi is not None:
                        correct[name] += getattr(pi, name) == ti[name]
                count_flags(ti["flags"], [r.field for r in pi.repairs] if pi else [])
        warnings = [w for w in (pf.warnings if pf else []) if w.kind == "mismatch"]
        injected_lines = {m["line"] for m in tf["mismatches"]}
        for m in tf["mismatches"]:
            mismatch["injected"] += 1
            mismatch["detected"] += any(m["line"] in w.rows for w in warnings)
        mismatch["false_alarms"] += sum(not (injected_lines & set(w.rows)) for w in warnings)

    all_total = sum(total.values())
    return {
        "field_accuracy": round(sum(correct.values()) / all_total, 4) if all_total else 1.0,
        "fields": {name: round(correct[name] / total[name], 4) if total[name] else 1.0 for name in FIELDS},
        "flag_precision": round(flags["true"] / flags["emitted"], 4) if flags["emitted"] else 1.0,
        "flag_recall": round(flags["found"] / flags["expected"], 4) if flags["expected"] else 1.0,
        "flags_emitted": flags["emitted"],
        "mismatch_detection": round(mismatch["detected"] / mismatch["injected"], 4) if mismatch["injected"] else 1.0,
        "mismatches_injected": mismatch["injected"],
        "mismatch_false_alarms": mismatch["false_alarms"],
        "extra_records": extra,
        "lost_indicators": losses["silent"] + losses["warned"],
        "silent_losses": losses["silent"],  # lost without a warning on their row: must stay 0
    }
