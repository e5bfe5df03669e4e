"""Documents: the same table twice is a no-op, a new version is kept beside the old one (or replaces
it when asked), every row says which document it came from, and warnings are stored as data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest import parse_file

SEED_ROWS = 35


def _copy(seed_path: Path, folder: Path, name: str, changed: bool = False) -> Path:
    text = seed_path.read_text(encoding="utf-8")
    if changed:
        text = text.replace("购置数: 实施周期指标值:2台: 年度指标值:2台", "购置数: 实施周期指标值:3台: 年度指标值:3台")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    return folder / name


def test_the_same_content_under_another_name_is_already_there(fresh_index, seed_path: Path, tmp_path: Path) -> None:
    fresh_index.build([seed_path])
    [again] = fresh_index.build([_copy(seed_path, tmp_path, "白云区工商联2024(副本).txt")])
    assert (again.status, again.duplicate_of) == ("duplicate", seed_path.name)
    assert "已存在" in again.note and again.added == 0
    assert fresh_index.rows.count() == SEED_ROWS
    assert [d.source for d in fresh_index.documents()] == [seed_path.name]
    totals = sum(p.total for p in fresh_index.catalog.projects)
    assert totals == pytest.approx(41.73)  # not 83.46
    # Two identical files in one build: the second is the duplicate of the first.
    other = tmp_path / "other"
    reports = _copy(seed_path, other, "a.txt", changed=True), _copy(seed_path, other, "b.txt", changed=True)
    first, second = fresh_index.build(list(reports))
    assert (first.status, second.status, second.duplicate_of) == ("added", "duplicate", "a.txt")


def test_a_new_version_is_kept_beside_the_old_one_and_says_so(fresh_index, seed_path: Path, tmp_path: Path) -> None:
    from assistant import Assistant

    fresh_index.build([seed_path])
    [newer] = fresh_index.build([_copy(seed_path, tmp_path, "2024_gongshanglian_v2.txt", changed=True)])
    assert newer.status == "added" and newer.same_period == [seed_path.name]
    assert "--replace" in newer.note and seed_path.name in newer.note
    catalog = fresh_index.catalog
    assert [d.source for d in catalog.same_period(seed_path.name)] == ["2024_gongshanglian_v2.txt"]
    assert catalog.label("2024_gongshanglian_v2.txt") == "广州市白云区工商业联合会 2024年(2024_gongshanglian_v2.txt)"
    for source in (seed_path.name, "2024_gongshanglian_v2.txt"):
        assert sum(p.total for p in catalog.projects if p.source == source) == pytest.approx(41.73)
        assert catalog.document(source).rows == SEED_ROWS
    answer = Assistant(fresh_index).ask("信创工作经费的购置数是多少")
    assert {(c.source, c.period_value) for c in answer.citations} == {(seed_path.name, "2台"),
                                                                      ("2024_gongshanglian_v2.txt", "3台")}
    notices = fresh_index.check().notices
    assert [n.kind for n in notices] == ["same_period"]


@pytest.mark.parametrize("kept_first", [False, True], ids=["at-once", "after-keeping-both"])
def test_replace_swaps_the_old_version_for_the_new_one(fresh_index, seed_path: Path, tmp_path: Path,
                                                       kept_first: bool) -> None:
    fresh_index.build([seed_path])
    newer = _copy(seed_path, tmp_path, "2024_gongshanglian_v2.txt", changed=True)
    if kept_first:  # added beside the old one first, then the user asks to replace
        fresh_index.build([newer])
    [report] = fresh_index.build([newer], replace=True)
    assert (report.status, report.replaced) == ("unchanged" if kept_first else "added", [seed_path.name])
    assert "已替换" in report.note
    assert [d.source for d in fresh_index.documents()] == ["2024_gongshanglian_v2.txt"]
    assert fresh_index.rows.count() == SEED_ROWS
    assert {r.period_value for r in fresh_index.catalog.indicators if r.indicator == "购置数"} == {"3台"}
    assert fresh_index.check().healthy


def test_warnings_are_stored_as_data_and_old_text_warnings_still_read(fresh_index, seed_path: Path) -> None:
    from index.store import DocumentInfo

    fresh_index.build([seed_path])
    [info] = fresh_index.documents()
    parsed = parse_file(seed_path).warnings
    assert info.parse_warnings == parsed and info.warnings == [str(w) for w in parsed]
    stored = json.loads(fresh_index.docs.get(ids=[seed_path.name], include=["metadatas"])["metadatas"][0]["info"])
    assert "warnings" not in stored and stored["parse_warnings"][0]["kind"] == parsed[0].kind
    old = {k: v for k, v in stored.items() if k not in ("parse_warnings", "path", "rows")}
    old["warnings"] = [str(w) for w in parsed] + ["t.txt 第5行: 合计总计 3.00 ≠ 2.00"]
    legacy = DocumentInfo.from_json(json.dumps(old, ensure_ascii=False))
    assert [(w.line, w.message) for w in legacy.parse_warnings[:-1]] == [(w.line, w.message) for w in parsed]
    assert legacy.parse_warnings[-1].kind == "mismatch" and legacy.parse_warnings[-1].rows == (5,)
    assert legacy.expected_rows == SEED_ROWS  # counted from projects + indicators when `rows` was not kept
