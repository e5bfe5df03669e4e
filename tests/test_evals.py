"""evals/: the metrics, and the CI gate on the gold Q&A."""

from __future__ import annotations

import pytest

from evals import metrics as m
from evals.run import GOLD, THRESHOLDS, below_thresholds, evaluate, load_gold


def test_ndcg_uses_the_ideal_over_min_relevant_k() -> None:
    a, b, c = ("p", "a"), ("p", "b"), ("p", "c")
    assert m.ndcg_at([a, b], {a, b}) == pytest.approx(1.0)
    assert m.ndcg_at([c, a], {a}) == pytest.approx(1 / 1.584962500721156)
    assert m.ndcg_at([c], {a}) == 0.0
    assert m.reciprocal_rank([c, a], {a}) == 0.5
    assert m.hit_at([c, a], {a}, 1) == 0.0 and m.hit_at([c, a], {a}, 5) == 1.0


def test_gold_is_well_formed() -> None:
    items = load_gold()
    assert len(items) >= 80
    assert len({i["id"] for i in items}) == len(items)
    tags = {t for i in items for t in i["tags"]}
    assert {"followup", "list", "total", "extreme", "reverse", "absent", "refuse", "paraphrase"} <= tags


def test_full_system_meets_the_gold_thresholds(index) -> None:
    report = evaluate(index, GOLD, systems=("full",))
    failing = "\n".join(f"{f['id']} {f['question']} {f['why']}" for f in report["failures"])
    assert not below_thresholds(report), f"{below_thresholds(report)} (thresholds {THRESHOLDS})\n{failing}"


def test_every_system_reports_the_contract_keys_offline(index, tmp_path) -> None:  # type: ignore[no-untyped-def]
    items = [line for line in GOLD.read_text(encoding="utf-8").splitlines() if line.strip()][:6]
    small = tmp_path / "small.jsonl"
    small.write_text("\n".join(items), encoding="utf-8")
    report = evaluate(index, small)
    assert set(report["systems"]) == {"full", "dense", "bm25", "naive_llamaindex"}
    for name, row in report["systems"].items():
        assert {"hit@1", "hit@5", "mrr", "ndcg@10", "answer_pass", "p50_ms", "p95_ms"} <= row.keys(), name
        assert 0.0 <= row["hit@1"] <= 1.0
    assert report["systems"]["naive_llamaindex"]["answer_pass"] is None
    assert report["systems"]["full"]["hit@1"] >= report["systems"]["naive_llamaindex"]["hit@1"]


def test_described_projects_beat_plain_dense_retrieval(index) -> None:
    from evals.run import described

    report = described(index)
    assert report["questions"] >= 20
    assert report["full"]["hit@1"] >= report["dense"]["hit@1"] and report["full"]["hit@1"] >= 0.9


def test_each_question_set_names_the_tables_it_was_written_for() -> None:
    from evals.run import DATA, MATAZHEN, SETS, WRITTEN_TWO_TABLES, set_for

    assert {s.name for s in SETS} >= {"gold", "holdout", "written", "written_two_tables"}
    assert all(s.path.exists() and all(t.exists() for t in s.tables) for s in SETS)
    two = set_for(WRITTEN_TWO_TABLES)
    assert two is not None and two.tables == (DATA, MATAZHEN) and not two.gated
    assert set_for(GOLD) is not None and set_for(GOLD).gated  # type: ignore[union-attr]


def test_a_gold_file_runs_against_a_scratch_index_of_its_own_tables(index, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from evals.run import MATAZHEN, WRITTEN_TWO_TABLES, scratch_index

    wanted = ('"w111"', '"w112"', '"w114"')  # questions about 马踏镇 alone
    lines = [line for line in WRITTEN_TWO_TABLES.read_text(encoding="utf-8").splitlines() if line.strip()
             and any(w in line for w in wanted)]
    small = tmp_path / "two.jsonl"
    small.write_text("\n".join(lines), encoding="utf-8")
    scratch = scratch_index([MATAZHEN], tmp_path / "home", index.embedding_cache)
    assert {d.department for d in scratch.documents()} == {"井研县马踏镇人民政府"}  # exactly the tables named
    report = evaluate(scratch, small, systems=("full",))
    assert report["systems"]["full"]["questions"] == 3 and report["systems"]["full"]["answer_pass"] == 1.0
    with pytest.raises(ValueError, match="找不到"):
        scratch_index([tmp_path / "missing.txt"], tmp_path / "other", index.embedding_cache)
