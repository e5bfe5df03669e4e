"""The seed table parses to the same 7 projects and 28 indicators as before, with provenance."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ingest import parse_file, parse_files
from ingest.records import from_dict, to_dict

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "data" / "2024_baiyun_gongshanglian_performance_targets.txt"
EXPECTED = json.loads((ROOT / "tests" / "fixtures" / "seed_expected.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def seed():  # type: ignore[no-untyped-def]
    return parse_file(SEED)


def test_seed_projects_and_amounts_unchanged(seed) -> None:  # type: ignore[no-untyped-def]
    got = [
        {"project": p.project, "line": p.line, "unit_name": p.unit_name, "total": p.total, "fiscal": p.fiscal,
         "special": p.special, "other": p.other, "goal": p.goal}
        for p in seed.projects
    ]
    assert got == EXPECTED["projects"]
    assert len(seed.projects) == 7
    assert round(sum(p.total for p in seed.projects), 2) == 41.73
    assert seed.document.grand_total == 41.73
    assert seed.document.subtotals == {"广州市白云区工商业联合会": 41.73}
    assert (seed.document.department, seed.document.year) == ("广州市白云区工商业联合会", 2024)


def test_seed_indicators_unchanged(seed) -> None:  # type: ignore[no-untyped-def]
    got = [
        {"project": i.project, "line": i.line, "item": i.item, "level1": i.level1, "level1_code": i.level1_code,
         "level2": i.level2, "level2_code": i.level2_code, "indicator": i.indicator, "period_value": i.period_value,
         "annual_value": i.annual_value, "repaired_fields": sorted({r.field for r in i.repairs})}
        for i in seed.indicators
    ]
    assert len(got) == 28
    assert got == EXPECTED["indicators"]


def test_seed_reconciles_and_accounts_for_every_row(seed) -> None:  # type: ignore[no-untyped-def]
    assert not [w for w in seed.warnings if w.kind == "mismatch"]
    acc = seed.row_accounting()
    assert acc == {"rows_in": 13, "record_rows": 7, "total_rows": 2, "header_rows": 3, "blank_rows": 1, "dropped_rows": 0,
                   "quarantined_rows": 0, "records_out": 35, "warnings": 4}
    # Every line is accounted for: the title block too.
    assert seed.rows == {1: "header", 2: "blank", 3: "header", 4: "header", 5: "total", 6: "subtotal",
                         **{n: "project" for n in range(7, 14)}}


def test_seed_garbled_categories_are_repaired_and_flagged(seed) -> None:  # type: ignore[no-untyped-def]
    ind = next(i for i in seed.indicators if i.indicator == "加强社会责任意识")
    assert (ind.level1, ind.level2) == ("效益指标", "社会效益指标")
    by_field = {r.field: r for r in ind.repairs}
    assert by_field["level1"].original == "2-效监指标" and "代码2" in by_field["level1"].reason
    assert by_field["level2"].original.startswith("22-社会通")
    ind = next(i for i in seed.indicators if i.indicator == "走访情况")
    assert ind.level2 == "数量指标" and any(r.field == "level2" and r.original == "1-数量指标" for r in ind.repairs)


def test_seed_warnings_name_line_and_what_was_dropped(seed) -> None:  # type: ignore[no-untyped-def]
    texts = [str(w) for w in seed.warnings]
    assert any("第7行" in t and "第4项" in t and "被监持标" in t for t in texts)
    assert any("第9行" in t and "名称和类别丢失" in t for t in texts)
    assert all(w.rows == (w.line,) for w in seed.warnings)


def test_quotes_are_verbatim_spans_of_the_source(seed) -> None:  # type: ignore[no-untyped-def]
    lines = SEED.read_text(encoding="utf-8").splitlines()
    for record in seed.records:
        assert record.text in lines[record.line - 1], record
    ind = next(i for i in seed.indicators if i.indicator == "帮助帮扶对象解决问题")
    assert "帮扶对 象" in ind.text  # the OCR space stays in the quote, not in the field


def test_ids_are_stable_and_records_round_trip(seed) -> None:  # type: ignore[no-untyped-def]
    again = parse_file(SEED)
    assert [r.id for r in seed.records] == [r.id for r in again.records]
    assert len({r.id for r in seed.records}) == len(seed.records)
    for record in seed.records:
        assert from_dict(to_dict(record)) == record


def test_parse_files_keeps_going_past_bad_files(tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    parsed, errors = parse_files([empty, SEED, tmp_path / "missing.txt"])
    assert [p.document.source for p in parsed] == [SEED.name]
    assert [e.source for e in errors] == ["empty.txt", "missing.txt"]


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ingest", *args], cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_cli_json_is_one_object_and_exit_code_reports_failures(tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\x00\x01\x02binary")
    run = _cli(str(SEED), str(bad), "--json")
    assert run.returncode == 1
    report = json.loads(run.stdout)
    assert list(report) == ["files"]
    ok, failed = report["files"]
    assert (ok["projects"], ok["indicators"], ok["repaired"], ok["rows_in"], ok["records_out"]) == (7, 28, 13, 13, 35)
    assert len(ok["warnings"]) == 4 and ok["error"] is None
    assert failed["source"] == "bad.txt" and "二进制" in failed["error"]
    assert _cli(str(SEED), "--json").returncode == 0


def test_cli_table_summary(tmp_path: Path) -> None:
    run = _cli(str(SEED))
    assert run.returncode == 0
    assert "解析结果" in run.stdout and "输入 13 行" in run.stdout and "指标 28 条" in run.stdout
