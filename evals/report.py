"""`python -m evals run`: the gold evaluation as a table, a PNG chart and (with --json) one JSON object;
with no --gold, every question set side by side, each against the tables it was written for."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from evals.run import DESCRIBED, GOLD, ROOT, SETS, THRESHOLDS, below_thresholds, described, evaluate, set_for, with_tables
from index.store import open_index
from settings import Settings

METRICS = ("hit@1", "hit@5", "mrr", "ndcg@10", "answer_pass", "p50_ms", "p95_ms")
SYSTEMS = ("full", "dense", "bm25", "naive_llamaindex")


def table(systems: dict[str, dict[str, Any]]) -> str:
    """A Markdown table, one row per system."""
    lines = ["| system | " + " | ".join(METRICS) + " |", "|---|" + "---:|" * len(METRICS)]
    for name, row in systems.items():
        cells = ["—" if row.get(k) is None else f"{row[k]:.3f}" if not k.endswith("_ms") else f"{row[k]:.1f}"
                 for k in METRICS]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def tag_table(by_tag: dict[str, dict[str, dict[str, Any]]]) -> str:
    names = list(next(iter(by_tag.values())).keys()) if by_tag else []
    lines = ["| tag | n | " + " | ".join(f"{n} hit@1" for n in names) + " | full answer_pass |",
             "|---|---:|" + "---:|" * (len(names) + 1)]
    for tag, systems in sorted(by_tag.items()):
        n = next(iter(systems.values()))["questions"]
        hits = " | ".join("—" if systems[s]["hit@1"] is None else f"{systems[s]['hit@1']:.2f}" for s in names)
        passed = systems.get("full", {}).get("answer_pass")
        lines.append(f"| {tag} | {n} | {hits} | {'—' if passed is None else f'{passed:.2f}'} |")
    return "\n".join(lines)


def chart(systems: dict[str, dict[str, Any]], path: Path) -> Path:
    """Grouped bars of the quality metrics per system."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    metrics = [m for m in METRICS if not m.endswith("_ms")]
    fig, ax = plt.subplots(figsize=(9, 4.5), dpi=100)
    width = 0.8 / max(len(systems), 1)
    for n, (name, row) in enumerate(systems.items()):
        xs = [i + n * width for i in range(len(metrics))]
        ax.bar(xs, [row.get(m) or 0.0 for m in metrics], width, label=name)
    ax.set_xticks([i + width * (len(systems) - 1) / 2 for i in range(len(metrics))], metrics)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("score")
    ax.set_title("Gold Q&A: full system vs baselines")
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path


def _print_single(report: dict[str, Any], gold: Path, tables: list[str], systems: tuple[str, ...], png: Path) -> None:
    where = "、".join(tables) if tables else "$JIXIAO_HOME 的索引"
    print(f"Gold: {gold} ({report['systems'][systems[0]]['questions']} questions; tables: {where})\n")
    print(table(report["systems"]))
    print()
    print(tag_table(report["by_tag"]))
    if "described" in report:
        d = report["described"]
        print(f"\nDescribed projects ({d['questions']} questions, evals/described.jsonl): hit@1 full "
              f"{d['full']['hit@1']:.3f} (clarified {d['full']['clarified']}) vs plain dense {d['dense']['hit@1']:.3f}")
    for f in report["failures"]:
        print(f"✗ {f['id']} {f['question']} {'/'.join(f['turns'])} — {'; '.join(f['why'])}", file=sys.stderr)
    print(f"\nchart: {png}")


def _saved(settings: Settings, name: str, report: dict[str, Any], as_json: bool) -> bool:
    """Write the report under reports/; with --json also print it (True: nothing else to print)."""
    settings.reports_dir.mkdir(parents=True, exist_ok=True)
    (settings.reports_dir / name).write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    if as_json:
        print(json.dumps(report, ensure_ascii=False))
    return as_json


def main_run(args: argparse.Namespace) -> int:
    """One gold file (against --tables, the tables a known set was written for, or the user's index),
    or with no --gold every known set side by side, each against its own tables."""
    settings = Settings()
    systems = tuple(getattr(args, "systems", None) or ())
    tables = [Path(t) for t in (getattr(args, "tables", None) or [])]
    if getattr(args, "all", False) or (not getattr(args, "gold", None) and not tables):
        return main_all(args, settings, systems or ("full",))
    gold = Path(getattr(args, "gold", None) or GOLD)
    if not gold.exists():
        print(f"--gold: 找不到 {gold}", file=sys.stderr)
        return 2
    systems = systems or SYSTEMS
    known = set_for(gold)
    if not tables and known is not None:
        tables = list(known.tables)
    scratch = None
    try:
        if tables:
            index, scratch = with_tables(tables)
        else:
            index = open_index(settings)
            if index.is_empty():
                index.build([settings.data_dir])
        report = evaluate(index, gold, systems=systems)
        report["tables"] = [str(t) for t in tables]
        png = chart(report["systems"], settings.reports_dir / "eval.png")
        report["chart"] = str(png)
        if "full" in report["systems"] and DESCRIBED.exists() and gold.resolve() == GOLD.resolve():
            report["described"] = described(index)  # questions about the bundled table: misses elsewhere
        if "full" in report["systems"] and (known is None or known.gated):
            report["gate"] = {"thresholds": THRESHOLDS, "failed": below_thresholds(report)}
    except ValueError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    finally:
        if scratch is not None:
            scratch.cleanup()
    if not _saved(settings, "eval.json", report, getattr(args, "json", False)):
        _print_single(report, gold, report["tables"], systems, png)
    return 1 if report.get("gate", {}).get("failed") else 0


def sets_table(sets: dict[str, dict[str, Any]]) -> str:
    """One row per question set (and system): the set's tables beside its scores."""
    lines = ["| set | tables | system | n | " + " | ".join(METRICS) + " |",
             "|---|---|---|---:|" + "---:|" * len(METRICS)]
    for name, one in sets.items():
        where = ", ".join(Path(t).name for t in one["tables"])
        for system, row in one["systems"].items():
            cells = ["—" if row.get(k) is None else f"{row[k]:.3f}" if not k.endswith("_ms") else f"{row[k]:.1f}"
                     for k in METRICS]
            lines.append(f"| {name} | {where} | {system} | {row['questions']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main_all(args: argparse.Namespace, settings: Settings, systems: tuple[str, ...]) -> int:
    """Every known question set against the tables it was written for (one scratch index per distinct set
    of tables), side by side; the CI thresholds apply to the gated sets."""
    out: dict[str, Any] = {"sets": {}, "thresholds": THRESHOLDS, "failed": []}
    indexes: dict[tuple[Path, ...], Any] = {}
    scratches = []
    try:
        for s in SETS:
            if not s.path.exists():
                continue
            if s.tables not in indexes:
                index, tmp = with_tables(s.tables)
                indexes[s.tables] = index
                scratches.append(tmp)
            report = evaluate(indexes[s.tables], s.path, systems=systems)
            report["tables"] = [str(t.relative_to(ROOT)) if t.is_relative_to(ROOT) else str(t) for t in s.tables]
            if s.gated and "full" in report["systems"]:
                out["failed"] += [f"{s.name}: {f}" for f in below_thresholds(report)]
            out["sets"][s.name] = report
            if s.path.resolve() == GOLD.resolve() and "full" in systems and DESCRIBED.exists():
                out["described"] = described(indexes[s.tables])  # projects named by what they do, vs dense
    except ValueError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    finally:
        for tmp in scratches:
            tmp.cleanup()
    if not _saved(settings, "eval-all.json", out, getattr(args, "json", False)):
        print(sets_table(out["sets"]))
        for name, report in out["sets"].items():
            for f in report["failures"]:
                print(f"✗ [{name}] {f['id']} {f['question']} {'/'.join(f['turns'])} — {'; '.join(f['why'])}",
                      file=sys.stderr)
        if "described" in out:
            d = out["described"]
            print(f"\nDescribed projects ({d['questions']} questions, evals/described.jsonl, on data/): hit@1 full "
                  f"{d['full']['hit@1']:.3f} (clarified {d['full']['clarified']}) vs plain dense {d['dense']['hit@1']:.3f}")
        print(f"\nreport: {settings.reports_dir / 'eval-all.json'}")
        if out["failed"]:
            print("gate failed: " + "; ".join(out["failed"]))
    return 1 if out["failed"] else 0
