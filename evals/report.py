"""`python -m evals run`: the gold evaluation as a table, a PNG chart and (with --json) one JSON object."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from evals.run import DESCRIBED, GOLD, THRESHOLDS, below_thresholds, described, evaluate
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


def main_run(args: argparse.Namespace) -> int:
    """Build the index from data/ if it is empty, evaluate, print, write the chart."""
    settings = Settings()
    index = open_index(settings)
    if index.is_empty():
        index.build([settings.data_dir])
    gold = Path(getattr(args, "gold", None) or GOLD)
    systems = tuple(getattr(args, "systems", None) or SYSTEMS)
    report = evaluate(index, gold, systems=systems)
    png = chart(report["systems"], settings.reports_dir / "eval.png")
    report["chart"] = str(png)
    if "full" in report["systems"] and DESCRIBED.exists():
        report["described"] = described(index)  # questions about the bundled table: misses elsewhere
    if "full" in report["systems"]:
        report["gate"] = {"thresholds": THRESHOLDS, "failed": below_thresholds(report)}
    (settings.reports_dir / "eval.json").write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    if getattr(args, "json", False):
        print(json.dumps(report, ensure_ascii=False))
    else:
        print(f"Gold: {gold} ({report['systems'][systems[0]]['questions']} questions)\n")
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
    return 1 if report.get("gate", {}).get("failed") else 0
