"""The generated question bank: deterministic, varied, consistent with the truth, and judged strictly."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evals import phrasings as ph
from evals import questions as Q
from ingest import parse_file, synth
from ingest.normalize import to_simplified

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    folder = tmp_path_factory.mktemp("questions-corpus")
    return folder, Q.build_corpus(50, 1, "moderate", folder)


@pytest.fixture(scope="module")
def items(corpus: tuple[Path, dict[str, Any]]) -> list[dict[str, Any]]:
    return Q.generate(corpus[1], 1)


def _truth_project(truth: dict[str, Any], source: str, name: str) -> dict[str, Any]:
    f = next(f for f in truth["files"] if f["file"] == source)
    return next(p for p in f["projects"] if p["project"] == name)


def _file(truth: dict[str, Any], source: str) -> dict[str, Any]:
    return next(f for f in truth["files"] if f["file"] == source)


def test_generation_is_deterministic_for_a_seed(tmp_path: Path) -> None:
    truth = Q.build_corpus(6, 3, "moderate", tmp_path / "a")
    first, again, other = Q.generate(truth, 3), Q.generate(truth, 3), Q.generate(truth, 4)
    assert first == again
    assert [i["question"] for i in first] != [i["question"] for i in other]
    assert [i["id"] for i in first] == [f"q{n:05d}" for n in range(1, len(first) + 1)]


def test_the_bank_is_large_and_every_operation_has_15_phrasings(items: list[dict[str, Any]]) -> None:
    summary = Q.summary(items)
    assert summary["questions"] >= 2000 and summary["departments"] >= 45
    for op in Q.OPS:
        assert summary["phrasings_by_op"][op] >= 15, (op, summary["phrasings_by_op"][op])
    kinds = set(summary["by_tag"])
    assert {"typo", "traditional", "english", "followup", "ordinal", "compound", "ambiguous", "described", "unknown",
            "absent", "offtopic", "unit", "short_name"} <= kinds
    # The question texts differ, not only the template ids: no op is asked one way with other names.
    shapes: dict[str, set[str]] = defaultdict(set)
    for i in items:
        shapes[i["plan"]["op"]].add(i["question"])
    assert all(len(shapes[op]) >= 15 for op in Q.OPS)


def test_items_follow_the_gold_format_with_plans(items: list[dict[str, Any]]) -> None:
    for i in items:
        assert {"id", "question", "turns", "expect", "plan", "department", "source", "tags", "form"} <= set(i)
        assert {"cite", "answer_contains", "absent", "refuse"} <= set(i["expect"])
        assert i["plan"]["op"] in Q.OPS and i["tags"][0] == i["plan"]["op"]
        assert i["plan"]["measure"] in (*Q.MEASURES, None)
        assert all(len(c) == 2 for c in i["expect"]["cite"])
        then = i["plan"].get("then")
        if then is not None:
            assert then["op"] in Q.OPS and "compound" in i["tags"]
    followups = [i for i in items if "followup" in i["tags"]]
    assert followups and all(i["turns"] for i in followups)
    offtopic_after_topic = [i for i in items if i["form"] == "refuse.after_topic"]
    assert offtopic_after_topic and all(i["turns"] and i["expect"]["refuse"] for i in offtopic_after_topic)
    ambiguous = [i for i in items if "ambiguous" in i["tags"]]
    assert all(i["expect"]["clarify"] and len(i["expect"]["options"]) >= 2 for i in ambiguous)


def test_gold_answers_agree_with_the_truth(items: list[dict[str, Any]], corpus: tuple[Path, dict[str, Any]]) -> None:
    """Recompute answers straight from truth.json, without the generator's own view of it."""
    truth = corpus[1]
    checked: dict[str, int] = defaultdict(int)
    for i in items:
        e, form, plan = i["expect"], i["form"], i["plan"]
        if form == "lookup.amount":
            p = _truth_project(truth, i["source"], plan["scope"]["projects"][0])
            assert e["answer_contains"] == [f"{p['amounts']['total']:.2f}"]
        elif form == "lookup.yuan":
            p = _truth_project(truth, i["source"], plan["scope"]["projects"][0])
            assert e["answer_contains"] == [f"{round(p['amounts']['total'] * 10000)}元"]
        elif form == "sum.dept":
            f = _file(truth, i["source"])
            assert not f["mismatches"]  # a department whose totals disagree has no single answer
            total = sum(p["amounts"]["total"] for p in f["projects"])
            assert e["answer_contains"] == [f"{total:.2f}"]
            grand = next(t for t in f["totals"] if t["kind"] == "grand")
            assert abs(grand["amounts"]["total"] - total) < 0.005
        elif form == "count.indicators":
            p = _truth_project(truth, i["source"], plan["scope"]["projects"][0])
            assert e["answer_contains"] == [f"{len(p['indicators'])}个"]
        elif form == "share.dept":
            f = _file(truth, i["source"])
            p = _truth_project(truth, i["source"], plan["scope"]["projects"][0])
            share = p["amounts"]["total"] / sum(q["amounts"]["total"] for q in f["projects"]) * 100
            assert abs(float(e["answer_contains"][0].rstrip("%")) - share) < 0.006
        elif form in ("max.amount", "min.amount"):
            f = _file(truth, i["source"])
            pick = (max if form == "max.amount" else min)(f["projects"], key=lambda p: p["amounts"]["total"])
            assert e["answer_contains"][0] == pick["project"]
        elif form == "difference.amount":
            a, b = (_truth_project(truth, s, n) for s, n in zip(Q._as_list(i["source"]) * 2, plan["scope"]["projects"],
                                                                  strict=False))
            if len(Q._as_list(i["source"])) == 1:
                assert e["answer_contains"] == [f"{abs(a['amounts']['total'] - b['amounts']['total']):.2f}"]
        elif form == "list.empty_annual":
            f = _file(truth, i["source"])
            names = [ind["indicator"] for p in f["projects"] for ind in p["indicators"] if not ind["annual_value"]]
            assert e["answer_contains"] == list(dict.fromkeys(names))
        else:
            continue
        checked[form] += 1
    assert len(checked) >= 9 and min(checked.values()) >= 5, dict(checked)


def test_every_cited_row_is_a_row_the_parser_reads(items: list[dict[str, Any]], corpus: tuple[Path, dict[str, Any]]
                                                   ) -> None:
    """Gold citations name rows that ingest actually produces from the noisy tables."""
    folder, _ = corpus
    rows: dict[str, set[tuple[str, str | None]]] = {}
    for item in items[:800]:
        for (project, indicator), department in zip(item["expect"]["cite"], item["expect"]["cite_in"], strict=True):
            source = next(s for s, d in zip(Q._as_list(item["source"]), Q._as_list(item["department"]), strict=True)
                          if d == department)
            if source not in rows:
                parsed = parse_file(folder / source)
                rows[source] = {(r.project, getattr(r, "indicator", None) if r.kind == "indicator" else None)
                                for r in parsed.records}
                rows[source] |= {(r.project, Q.ANY) for r in parsed.records}
            assert (project, indicator) in rows[source], (item["question"], project, indicator)


def test_typos_misspell_one_name_and_keep_the_department(items: list[dict[str, Any]],
                                                          corpus: tuple[Path, dict[str, Any]]) -> None:
    truth = corpus[1]
    names = [p["project"] for f in truth["files"] for p in f["projects"]]
    typos = [i for i in items if "typo" in i["tags"]]
    assert len(typos) >= 50
    for i in typos:
        wrote, meant, project = i["typo"]
        assert meant in project and not any(wrote in n for n in names)
        dropped = len(wrote) == len(meant) - 1 and any(meant[:k] + meant[k + 1:] == wrote for k in range(len(meant)))
        swapped = len(wrote) == len(meant) and sorted(wrote) == sorted(meant) and \
            sum(a != b for a, b in zip(wrote, meant, strict=True)) == 2
        assert dropped or swapped, (wrote, meant)
        text = to_simplified(" ".join([*i["turns"], i["question"]]))  # the department: said now or before
        owner = next(f["department"] for f in truth["files"] if any(p["project"] == project for p in f["projects"])
                     and f["department"] in Q._as_list(i["department"]))
        assert any(form in text for form in Q.Generator.dept_forms(owner)), text
    traditional = [i for i in items if "traditional" in i["tags"]]
    assert len(traditional) >= 100
    assert all(i["question"] != to_simplified(i["question"]) for i in traditional)


def test_phrasing_banks_cover_every_operation() -> None:
    per_op: dict[str, set[str]] = defaultdict(set)
    for key, bank in ph.PHRASINGS.items():
        per_op[key.split(".")[0]].update(bank)
    for key, bank in ph.ENGLISH.items():
        per_op[key.split(".")[0]].update(bank)
    for key, chains in ph.FOLLOWUPS.items():
        per_op[key.split(".")[0]].update(q for _, q in chains)
    assert all(len(per_op[op]) >= 15 for op in Q.OPS), {op: len(per_op[op]) for op in Q.OPS}
    assert set(Q.FORMS) >= set(ph.PHRASINGS) - {"list.category"} - {"exists.category"}


# -- the judge ----------------------------------------------------------------------------------

def _item(**expect: Any) -> dict[str, Any]:
    base = {"cite": [], "cite_in": [], "answer_contains": [], "absent": False, "refuse": False}
    return {"id": "t1", "question": "?", "turns": [], "department": "广州市白云区民政局", "tags": ["lookup"],
            "form": "lookup.amount", "plan": {"op": "lookup", "measure": "amount"}, "expect": {**base, **expect}}


def _answer(text: str, cited: list[tuple[str, str | None]] = (), **more: Any) -> dict[str, Any]:  # type: ignore[assignment]
    return {"answer": text, "found": True, "refused": False,
            "citations": [{"project": p, "indicator": i, "department": "广州市白云区民政局"} for p, i in cited], **more}


def test_the_judge_accepts_a_right_answer_and_rejects_wrong_numbers_and_missing_citations() -> None:
    item = _item(cite=[["信创设备购置经费", None]], cite_in=["广州市白云区民政局"], answer_contains=["1234.50"])
    right = _answer("信创设备购置经费的预算总计 1,234.5万元[1]。", [("信创设备购置经费", None)])
    assert Q.judge(item, right) == []
    wrong_number = _answer("信创设备购置经费的预算总计 1234.56万元[1]。", [("信创设备购置经费", None)])
    assert Q.judge(item, wrong_number) == ["答案缺少“1234.50”"]
    no_citation = _answer("信创设备购置经费的预算总计 1234.50万元。")
    assert Q.judge(item, no_citation) == ["缺少引用 信创设备购置经费/项目行"]
    other_row = _answer("1234.50万元[1]", [("信创设备购置经费", "购置设备数量")])
    assert Q.judge(item, other_row) == ["缺少引用 信创设备购置经费/项目行"]
    other_department = {**right, "citations": [{**right["citations"][0], "department": "广州市天河区民政局"}]}
    why = Q.judge(item, other_department)
    assert "缺少引用 信创设备购置经费/项目行" in why and any("范围以外" in w for w in why)


def test_the_judge_reads_units_counts_and_names() -> None:
    assert Q.contains("占总预算的 40.26%[2]", "40.26%")
    assert not Q.contains("占总预算的 40.26万元", "40.26%")
    assert Q.contains("合 417,300 元", "417300元") and not Q.contains("41.73万元", "417300元")
    assert Q.contains("绩效指标共6条", "6个") and Q.contains("有 6 个项目", "6个")
    assert not Q.contains("购置数量 ≥6个[6]", "6个")  # an indicator value, not a count
    assert not Q.contains("1. 第一个[6]\n6. 第六个", "6个")  # list numbers and citation marks are not counts
    assert Q.contains("實施週期指標值 ≥95%", "≥95%")  # names compare in normal form (Traditional, symbols)
    assert Q.contains("差 711.4200 万元", "711.42") and not Q.contains("差 711.43 万元", "711.42")


def test_the_judge_checks_absent_refuse_clarify_and_order() -> None:
    absent = _item(absent=True)
    assert Q.judge(absent, {**_answer("没有"), "found": False}) == []
    assert Q.judge(absent, _answer("有")) == ["应当回答“没有”(found=false)"]
    refuse = _item(refuse=True)
    assert Q.judge(refuse, {**_answer("抱歉"), "refused": True, "found": False}) == []
    assert Q.judge(refuse, _answer("预算 12.00万元[1]", [("信创设备购置经费", None)])) == ["应当拒答"]
    clarify = _item(clarify=True, options=["广州市白云区民政局", "广州市天河区民政局"])
    assert Q.judge(clarify, _answer("两个项目合计 30.00万元")) == ["应当反问澄清(clarify 至少两个选项)"]
    asked = _answer("您指哪个?", clarify={"question": "您指哪个部门的?", "options": ["白云区民政局", "天河区民政局"]})
    assert Q.judge(clarify, asked) == []
    ordered = _item(answer_contains=["甲经费", "乙经费"], ordered=[["甲经费"], ["乙经费"]])
    assert Q.judge(ordered, _answer("1. 甲经费 2. 乙经费")) == []
    assert Q.judge(ordered, _answer("1. 乙经费 2. 甲经费")) == ["顺序不对:“乙经费”应排在后面"]


@given(st.integers(min_value=0, max_value=10**11), st.booleans())
def test_numbers_are_found_however_they_are_printed(cents: int, separators: bool) -> None:
    value = cents / 100
    printed = f"{value:,.2f}" if separators else f"{value:.2f}".rstrip("0").rstrip(".")
    text = f"合计 {printed}万元[3]。"
    assert Q.contains(text, Q.money(cents))
    assert not Q.contains(text, Q.money(cents + 2))


def test_plans_are_compared_on_op_measure_and_composition() -> None:
    gold = {"op": "max", "measure": "amount", "then": {"op": "share", "measure": "amount"}}
    assert Q.plan_matches(gold, {"op": "max", "measure": "amount", "then": {"op": "share"}, "k": 1})
    assert not Q.plan_matches(gold, {"op": "max", "measure": "amount"})
    assert not Q.plan_matches(gold, {"op": "lookup", "measure": "amount", "then": {"op": "share"}})
    assert Q.plan_matches({"op": "refuse", "measure": None}, {"op": "refuse", "measure": "amount"})
    assert not Q.plan_matches({"op": "sum", "measure": "amount"}, None)

    @dataclass
    class Step:
        op: str
        measure: str | None = None
        then: Step | None = None

    typed = Step("max", "amount", Step("share", "amount"))  # a typed plan, as the assistant may return it
    assert Q.plan_matches(gold, typed) and Q.plan_matches(gold, Q._plain(typed))
    assert Q._plain(typed) == {"op": "max", "measure": "amount", "then": {"op": "share", "measure": "amount", "then": None}}


# -- end to end -----------------------------------------------------------------------------------

def test_scoring_three_departments_end_to_end(tmp_path: Path, index) -> None:  # type: ignore[no-untyped-def]
    """Real corpus, real Chroma in a temp dir, the real model: the report has its shape, and a
    deliberately wrong expectation is counted wrong."""
    from assistant import Assistant

    truth = Q.build_corpus(3, 5, "moderate", tmp_path / "corpus")
    every = Q.generate(truth, 5)
    items = [next(i for i in every if i["form"] == f) for f in dict.fromkeys(i["form"] for i in every)]  # one per form
    built = Q.build_index(tmp_path / "corpus", tmp_path / "home", index.embedding_cache)
    assert built.settings.home == tmp_path / "home"
    assistant = Assistant(built)
    answers, seconds = Q.ask_all(items, assistant)
    assert len(answers) == len(seconds) == len(items)
    report = Q.score(items, answers, failures=len(items))
    assert report["questions"] == len(items) and report["departments"] >= 2
    assert {"answer_accuracy", "parser", "by_op", "by_tag", "by_form", "failures", "wrong"} <= set(report)
    assert set(report["by_op"]) == set(Q.OPS)
    assert report["parser"]["available"] == any("plan" in a for a in answers)
    assert 0.0 <= report["answer_accuracy"] <= 1.0
    assert report["wrong"] == len(report["failures"])
    assert all({"question", "expected", "got", "why"} <= set(f) for f in report["failures"])
    # Right answers exist (lookups of a named project's budget are answered today) …
    right = [n for n, (i, a) in enumerate(zip(items, answers, strict=True))
             if i["form"] == "lookup.amount" and not Q.judge(i, a)]
    assert right
    # … and the same answer fails once the gold says something else.
    n = right[0]
    broken = json.loads(json.dumps(items[n]))
    number = float(broken["expect"]["answer_contains"][0])
    broken["expect"]["answer_contains"] = [f"{number + 1:.2f}"]
    rescored = Q.score([*items, broken], [*answers, answers[n]], failures=len(items) + 1)
    assert rescored["wrong"] == report["wrong"] + 1
    assert rescored["failures"][-1]["why"] == [f"答案缺少“{number + 1:.2f}”"]
    assert rescored["answer_accuracy"] < report["answer_accuracy"]


def test_the_command_writes_the_bank(tmp_path: Path) -> None:
    out = tmp_path / "bank.jsonl"
    proc = subprocess.run([sys.executable, "-m", "evals", "questions", "--departments", "4", "--seed", "2",
                           "--out", str(out), "--json"], cwd=ROOT, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    lines = out.read_text(encoding="utf-8").splitlines()
    assert result["questions"] == len(lines) > 100
    assert set(result["by_op"]) == set(Q.OPS)
    assert json.loads(lines[0])["id"] == "q00001"
    bad = subprocess.run([sys.executable, "-m", "evals", "questions", "--departments", "0", "--out", str(out)],
                         cwd=ROOT, capture_output=True, text=True, check=False)
    assert bad.returncode == 2 and "departments" in bad.stderr


def test_the_corpus_is_the_ingest_generator(corpus: tuple[Path, dict[str, Any]]) -> None:
    folder, truth = corpus
    assert truth == synth.load_truth(folder) and len(truth["files"]) == 50
