"""The performance bench's parts: its question mix and the app measured over HTTP (not timings: shapes)."""

from __future__ import annotations

from pathlib import Path

from evals import bench
from evals.app_bench import measure_app, slope_mb_per_100


def test_the_mix_covers_every_operation_with_distinct_questions(tmp_path: Path) -> None:
    from ingest import synth

    files = synth.generate(6, "moderate", 3, tmp_path)
    mix = bench.questions(tmp_path, files)
    keys = [(*q["turns"], q["question"]) for q in mix]
    assert len(keys) == len(set(keys)) > 100
    kinds = {q["kind"] for q in mix}
    assert {"lookup", "list", "count", "sum", "share", "sort", "top", "search", "unknown", "refuse"} <= kinds
    needing_model = sum(q["kind"] in bench._EMBEDDING_KINDS for q in mix)
    assert needing_model >= len(mix) / 10


def test_the_app_is_measured_from_process_start_over_http(tmp_path: Path, index, seed_path: Path) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    from index.store import Index

    own = Index(replace(index.settings, home=tmp_path, collection="bench-test"))
    own._cache = index.embedding_cache
    own.build([seed_path])
    questions = [{"id": "1", "question": "扶贫工作经费的社会效益指标是什么"},
                 {"id": "2", "question": "哪个项目预算最多"}, {"id": "3", "question": "群众满意度要达到多少"}]
    got = measure_app(tmp_path, questions, tmp_path / "log.txt", env={"JIXIAO_COLLECTION": "bench-test"})
    assert got["first_answer_found"] and 0 < got["first_answer_s"] <= got["pages_ready_s"]
    assert got["ask_ms"]["n"] == 3 and got["error_count"] == 0 and got["rss_mb"]["ready"] > 50
    assert slope_mb_per_100([(0, 100.0), (100, 110.0), (200, 120.0), (300, 130.0)]) == 10.0
