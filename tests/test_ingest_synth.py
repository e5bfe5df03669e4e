"""The noisy-table generator and the benchmark that parses its tables back."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ingest import bench, parse_file, synth

ROOT = Path(__file__).resolve().parents[1]


def test_generate_is_deterministic_and_writes_truth(tmp_path: Path) -> None:
    a = synth.generate(5, "moderate", 7, tmp_path / "a")
    b = synth.generate(5, "moderate", 7, tmp_path / "b")
    c = synth.generate(5, "moderate", 8, tmp_path / "c")
    assert [p.name for p in a] == [p.name for p in b]
    assert [p.read_bytes() for p in a] == [p.read_bytes() for p in b]
    assert [p.read_bytes() for p in a] != [p.read_bytes() for p in c]
    truth = synth.load_truth(tmp_path / "a")
    assert (truth["noise"], truth["seed"], truth["departments"]) == ("moderate", 7, 5)
    first = truth["files"][0]
    assert {"file", "department", "year", "rows", "projects", "totals", "mismatches"} <= set(first)
    ind = first["projects"][0]["indicators"][0]
    assert {"level1", "level2", "indicator", "period_value", "annual_value", "flags", "noise"} <= set(ind)


def test_clean_tables_parse_back_exactly(tmp_path: Path) -> None:
    paths = synth.generate(8, "none", 3, tmp_path)
    truth = synth.load_truth(tmp_path)
    for path, tf in zip(paths, truth["files"], strict=True):
        parsed = parse_file(path)
        assert parsed.warnings == []
        assert parsed.rows_in == tf["rows"]
        assert [p.project for p in parsed.projects] == [p["project"] for p in tf["projects"]]
        assert parsed.document.department == tf["department"]
        assert parsed.document.year == tf["year"]
        assert all(not r.repairs for r in parsed.records)
    result = bench.score(truth, [parse_file(p) for p in paths])
    assert result["field_accuracy"] == 1.0 and result["flags_emitted"] == 0


def test_noise_is_injected_at_the_moderate_level(tmp_path: Path) -> None:
    paths = synth.generate(20, "moderate", 1, tmp_path)
    text = "".join(p.read_text(encoding="utf-8") for p in paths)
    for sign in ("≪", "<u>", "：", "； ".strip()):
        assert sign in text, sign
    assert any(ch in text for ch in "０１２３４５６７８９")
    truth = synth.load_truth(tmp_path)
    kinds = {k for f in truth["files"] for p in f["projects"] for i in p["indicators"] for k in i["noise"]}
    assert {"garbled_level1", "garbled_level2", "repeated_fragment", "word_split", "full_width", "markup"} <= kinds
    assert sum(len(f["mismatches"]) for f in truth["files"]) > 0


def test_benchmark_meets_the_targets_at_moderate_noise() -> None:
    result = bench.run(departments=60, noise="moderate", seed=0)
    assert result["field_accuracy"] >= 0.98
    assert all(v >= 0.98 for v in result["fields"].values()), result["fields"]
    assert result["mismatches_injected"] > 0 and result["mismatch_detection"] == 1.0
    assert result["flag_precision"] >= 0.95
    assert result["silent_losses"] == 0 and result["failed_files"] == 0
    assert result["mismatch_false_alarms"] == 0
    assert result["rows_per_s"] > 0 and result["noise"] == "moderate"


def test_high_noise_loses_nothing_silently() -> None:
    result = bench.run(departments=40, noise="high", seed=5)
    assert result["field_accuracy"] >= 0.95
    assert result["mismatch_detection"] == 1.0
    assert result["silent_losses"] == 0 and result["failed_files"] == 0


def test_unknown_noise_level() -> None:
    with pytest.raises(ValueError, match="未知的噪声级别"):
        synth.generate(1, "extreme", 0, Path("/nonexistent"))


def test_cli_synth_and_bench(tmp_path: Path) -> None:
    run = subprocess.run([sys.executable, "-m", "ingest", "synth", "--departments", "3", "--noise", "low", "--seed", "2",
                          "--out", str(tmp_path)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert len(list(tmp_path.glob("*.txt"))) == 3 and (tmp_path / "truth.json").exists()
    run = subprocess.run([sys.executable, "-m", "ingest", "bench", "--json", "--departments", "5"],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    for key in ("field_accuracy", "flag_precision", "mismatch_detection", "rows_per_s", "noise"):
        assert key in result
    assert result["noise"] == "moderate"
    for key in ("field_accuracy", "flag_precision", "mismatch_detection"):
        assert 0.0 <= result[key] <= 1.0
