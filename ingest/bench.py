"""Benchmark: generate noisy tables (ingest.synth), parse them back, compare with the truth.

Reports field-level accuracy (project, amounts, level1, level2, indicator, both values; the
printed value and self-evaluation columns where a layout has them; department and year), per
layout too, precision and recall of the repair flags, the share of injected total mismatches
that a warning names, indicators lost (silently or with a warning), indicators filed under the
wrong project (`misattributions`), and parse speed in table rows per second.
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
# Compared where the truth has them: the printed (joined) value and the self-evaluation columns.
EXTRA_FIELDS = ("value", "actual_value", "weight", "score", "department", "year")
DEFAULT_DEPARTMENTS = 60
_MIN_MATCH = 70  # rapidfuzz ratio below which a parsed record is not the truth record


def run(
    departments: int = DEFAULT_DEPARTMENTS,
    noise: str = synth.DEFAULT_NOISE,
    seed: int = 0,
    folder: Path | None = None,
    layouts: tuple[str, ...] = synth.LAYOUTS,
    formats: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Generate, parse and score; returns the metrics (see `score`) plus timings and volume."""
    with tempfile.TemporaryDirectory(prefix="ingest-bench-") as tmp:
        out = Path(folder) if folder else Path(tmp)
        t0 = time.perf_counter()
        paths = synth.generate(departments, noise, seed, out, layouts=layouts, formats=formats)
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


class _Tally:
    """Counters of one group of files (all, or one layout)."""

    def __init__(self) -> None:
        self.correct: Counter[str] = Counter()
        self.total: Counter[str] = Counter()
        self.flags = {"emitted": 0, "true": 0, "expected": 0, "found": 0}
        self.mismatch = {"injected": 0, "detected": 0, "false_alarms": 0}
        self.losses = {"silent": 0, "warned": 0}
        self.extra = 0
        self.misattributions = 0
        self.readings = 0
        self.files = 0
        self.indicators = 0

    def field(self, name: str, ok: bool | None) -> None:
        self.total[name] += 1
        self.correct[name] += bool(ok)

    def count_flags(self, expected: list[str], repairs_fields: list[str]) -> None:
        self.flags["emitted"] += len(repairs_fields)
        self.flags["true"] += sum(f in expected for f in repairs_fields)
        self.flags["expected"] += len(set(expected))
        self.flags["found"] += sum(f in repairs_fields for f in set(expected))

    def report(self) -> dict[str, Any]:
        all_total = sum(self.total.values())
        names = [f for f in (*FIELDS, *EXTRA_FIELDS) if self.total[f]]
        return {
            "field_accuracy": round(sum(self.correct.values()) / all_total, 4) if all_total else 1.0,
            "fields": {name: round(self.correct[name] / self.total[name], 4) for name in names},
            "flag_precision": round(self.flags["true"] / self.flags["emitted"], 4) if self.flags["emitted"] else 1.0,
            "flag_recall": round(self.flags["found"] / self.flags["expected"], 4) if self.flags["expected"] else 1.0,
            "flags_emitted": self.flags["emitted"],
            "mismatch_detection": round(self.mismatch["detected"] / self.mismatch["injected"], 4) if self.mismatch["injected"] else 1.0,
            "mismatches_injected": self.mismatch["injected"],
            "mismatch_false_alarms": self.mismatch["false_alarms"],
            "extra_records": self.extra,
            "lost_indicators": self.losses["silent"] + self.losses["warned"],
            "silent_losses": self.losses["silent"],  # lost without a warning on their row: must stay 0
            "misattributions": self.misattributions,  # an indicator filed under another project: must stay 0
            "false_readings": self.readings,  # names offered a repaired reading (the generator misreads none)
        }


def score(truth: dict[str, Any], parsed: list[ParsedFile]) -> dict[str, Any]:
    """Compare parsed files with the generator's truth, overall and per layout (`layouts`).

    Accuracy counts a truth field as correct only when its matched record has the same value;
    a record the parser lost makes all its fields wrong. Flags are (record, field) pairs. An
    indicator whose row was quarantined (its project row unreadable) must be named by a warning,
    and never appear under another project (`misattributions`).
    """
    by_source = {p.document.source: p for p in parsed}
    overall = _Tally()
    per_layout: dict[str, _Tally] = defaultdict(_Tally)
    per_format: dict[str, _Tally] = defaultdict(_Tally)
    for tf in truth["files"]:
        pf = by_source.get(tf["file"])
        layout = tf.get("layout", "packed")
        for tally in (overall, per_layout[layout], per_format[f"{layout}/{tf.get('fmt', 'text')}"]):
            tally.files += 1
            _score_file(tally, tf, pf)
    result = overall.report()
    result["layouts"] = {name: t.report() | {"files": t.files, "indicators": t.indicators} for name, t in sorted(per_layout.items())}
    # How each layout does in each form it arrives in (web copies, files, copies that lost their rows).
    result["formats"] = {name: {"files": t.files, "indicators": t.indicators, "field_accuracy": r["field_accuracy"],
                                "silent_losses": r["silent_losses"], "misattributions": r["misattributions"]}
                         for name, t in sorted(per_format.items()) for r in (t.report(),)}
    return result


def _warned(pf: ParsedFile | None, lines: set[int]) -> bool:
    if pf is None:
        return False
    return any(w.kind not in ("mismatch", "header", "unit") and (w.line in lines or lines & set(w.rows)) for w in pf.warnings)


def _score_file(t: _Tally, tf: dict[str, Any], pf: ParsedFile | None) -> None:
    projects: list[Project] = pf.projects if pf else []
    indicators: list[Indicator] = pf.indicators if pf else []
    t.readings += sum(bool(r.reading) for r in (pf.records if pf else []))
    kept = [tp for tp in tf["projects"] if "lost" not in tp.get("noise", [])]
    for tp in tf["projects"]:
        if tp in kept:
            continue
        for ti in tp["indicators"]:  # quarantined: a warning must name the row, no project may hold it
            if not _warned(pf, {ti["line"]}):
                t.losses["silent"] += 1
            else:
                t.losses["warned"] += 1
    matched = _match(kept, projects, lambda x: x["project"], lambda p: p.project)
    t.extra += len(projects) - sum(m is not None for m in matched)
    if pf is not None:
        t.field("department", pf.document.department == tf["department"])
        t.field("year", pf.document.year == tf["year"])
    else:
        t.field("department", False)
        t.field("year", False)
    for tp, pp in zip(kept, matched, strict=True):
        t.field("project", pp is not None and pp.project == tp["project"])
        t.field("amounts", pp is not None and all(_same_amount(getattr(pp, k), tp["amounts"].get(k)) for k, _ in FUNDING_COLUMNS))
        t.count_flags(tp["flags"], [r.field for r in pp.repairs] if pp else [])
        mine = [i for i in indicators if pp is not None and i.project == pp.project and (i.sheet == pp.sheet)]
        found = _match(tp["indicators"], mine, lambda x: x["indicator"], lambda i: i.indicator)
        t.extra += len(mine) - sum(m is not None for m in found)
        for ti, pi in zip(tp["indicators"], found, strict=True):
            t.indicators += 1
            if pi is None:
                lines = {ti.get("line") or 0, pp.line if pp else 0}
                t.losses["warned" if _warned(pf, lines) else "silent"] += 1
            for name in FIELDS[2:]:
                t.field(name, pi is not None and getattr(pi, name) == ti[name])
            for name in EXTRA_FIELDS:
                if name in ti:
                    t.field(name, pi is not None and getattr(pi, name) == ti[name])
            t.count_flags(ti["flags"], [r.field for r in pi.repairs] if pi else [])
    # Misattribution: a parsed indicator on a row whose truth indicators all belong to another project.
    owners: dict[int, set[str]] = defaultdict(set)
    for tp in tf["projects"]:
        for ti in tp["indicators"]:
            if ti.get("line"):
                owners[ti["line"]].add(tp["project"] if tp in kept else "\0lost")
    for ind in indicators:
        want = owners.get(ind.line)
        if want and ind.project not in want:
            t.misattributions += 1
    warnings = [w for w in (pf.warnings if pf else []) if w.kind == "mismatch"]
    injected_lines = {m["line"] for m in tf["mismatches"]}
    for m in tf["mismatches"]:
        t.mismatch["injected"] += 1
        t.mismatch["detected"] += any(m["line"] in w.rows for w in warnings)
    t.mismatch["false_alarms"] += sum(not (injected_lines & set(w.rows)) for w in warnings)
