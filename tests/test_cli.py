"""The command-line contracts: `python -m assistant ask`, `python -m index build`, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run(args: list[str], settings, **kw) -> subprocess.CompletedProcess[str]:  # type: ignore[no-untyped-def]
    env = {**os.environ, "JIXIAO_HOME": str(settings.home), "JIXIAO_COLLECTION": settings.collection}
    env.update(kw.pop("env", {}))
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=180, **kw)


def test_ask_json_matches_the_contract(index, settings) -> None:
    out = run(["assistant", "ask", "扶贫工作经费的社会效益指标是什么", "--json"], settings)
    assert out.returncode == 0, out.stderr
    answer = json.loads(out.stdout)
    assert {"question", "answer", "found", "refused", "citations", "latency_ms"} <= answer.keys()
    [c] = answer["citations"]
    assert (c["ref"], c["kind"], c["project"], c["indicator"]) == (1, "indicator", "扶贫工作经费", "强化社会发动")
    assert (c["level1"], c["level2"], c["year"], c["line"]) == ("效益指标", "社会效益指标", 2024, 8)
    assert c["source"].endswith(".txt") and "强化社会发动" in c["text"] and c["amount"] is None
    assert "强化社会发动" in answer["answer"]


def test_history_and_batch_drive_the_same_conversation(index, settings, tmp_path: Path) -> None:
    single = run(["assistant", "ask", "那它的满意度指标呢", "--history", "扶贫工作经费有哪些产出指标", "--json"], settings)
    assert json.loads(single.stdout)["found"] is False
    batch = tmp_path / "q.jsonl"
    batch.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in [
        {"id": "a", "question": "信创工作经费预算多少"},
        {"id": "b", "question": "那它的满意度指标呢", "turns": ["信创工作经费有哪些产出指标"]},
    ]), encoding="utf-8")
    out = run(["assistant", "ask", "--batch", str(batch), "--json"], settings)
    assert out.returncode == 0, out.stderr
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert [r["id"] for r in rows] == ["a", "b"]
    assert rows[0]["citations"][0]["kind"] == "project" and rows[0]["citations"][0]["amount"] == pytest.approx(2.0)
    assert rows[1]["citations"][0]["indicator"] == "职工对信创终端设备使用满意度"


def test_bad_batch_file_names_the_line(index, settings, tmp_path: Path) -> None:
    batch = tmp_path / "bad.jsonl"
    batch.write_text('{"id": "a", "question": "信创工作经费预算多少"}\nnot json\n', encoding="utf-8")
    out = run(["assistant", "ask", "--batch", str(batch), "--json"], settings)
    assert out.returncode != 0
    assert "第2行" in out.stderr and out.stdout == ""


def test_asking_without_an_index_says_how_to_build_one(tmp_path: Path, settings) -> None:
    from dataclasses import replace

    empty = replace(settings, home=tmp_path / "nothing")
    out = run(["assistant", "ask", "信创工作经费预算多少"], empty)
    assert out.returncode != 0
    assert "python -m index build" in out.stderr


def test_ingest_json_summary(seed_path: Path, settings) -> None:
    out = run(["ingest", str(seed_path), "--json"], settings)
    assert out.returncode == 0, out.stderr
    [f] = json.loads(out.stdout)["files"]
    assert (f["projects"], f["indicators"]) == (7, 28) and f["repaired"] > 0


def test_batch_answers_carry_plans_and_an_unknown_key_is_an_error(index, settings, tmp_path: Path) -> None:
    batch = tmp_path / "plans.jsonl"
    batch.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in [
        {"id": "a", "question": "哪个项目最贵、占比多少"},
        {"id": "b", "question": "信创工作经费预算多少" * 100},
        {"id": "c", "question": "这几个一共多少钱", "turns": ["哪些项目设置了满意度指标"]},
    ]), encoding="utf-8")
    out = run(["assistant", "ask", "--batch", str(batch), "--json"], settings)
    assert out.returncode == 0, out.stderr
    a, b, c = (json.loads(line) for line in out.stdout.splitlines())
    assert a["plan"]["op"] == "max" and a["plan"]["then"]["op"] == "share" and "40.26%" in a["answer"]
    assert b["refused"] and "500字以内" in b["answer"]  # the batch went on past the overlong question
    assert c["plan"]["op"] == "sum" and c["plan"]["scope"]["previous"] and "13.00万元" in c["answer"]
    bad = tmp_path / "bad_key.jsonl"
    bad.write_text('{"id": "a", "question": "信创工作经费预算多少", "histroy": ["x"]}\n', encoding="utf-8")
    out = run(["assistant", "ask", "--batch", str(bad), "--json"], settings)
    assert out.returncode != 0 and "第1行" in out.stderr and "histroy" in out.stderr


def test_a_clarifying_question_is_in_the_json(index, settings) -> None:
    out = run(["assistant", "ask", "给雇员发钱的那个项目预算多少", "--json"], settings)
    answer = json.loads(out.stdout)
    assert set(answer["clarify"]["options"]) == {"政府雇员工资经费", "政府雇员公用经费"}
    # each option answered (cited) before the question, never summed
    assert [c["project"] for c in answer["citations"]] == ["政府雇员工资经费", "政府雇员公用经费"]
    assert answer["plan"]["op"] == "lookup" and "17.70" not in answer["answer"]
