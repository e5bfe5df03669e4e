"""assistant/audit.py: the completeness, value, copy, repair and totals checks, and the matrix."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant import audit
from index.store import DocumentInfo
from ingest.records import Indicator, ParseWarning, Project, Repair

SEED_WITHOUT_SATISFACTION = {"扶贫工作经费", "政府雇员工资经费", "两新组织党务工作者补贴", "政府雇员公用经费"}


@pytest.fixture(scope="module")
def seed_doc(index, seed_path: Path) -> audit.DocumentRows:  # type: ignore[no-untyped-def]
    [info] = index.catalog.documents
    return audit.document_rows(index.catalog, info.source, audit.structured_warnings(info, seed_path))


@pytest.fixture(scope="module")
def seed_findings(seed_doc: audit.DocumentRows) -> list[audit.Finding]:
    return audit.run(seed_doc)


def _project(name: str, line: int, total: float | None = 1.0) -> Project:
    return Project(id=f"p{line}", source="t.txt", line=line, department="某部门", year=2025, unit_name="某部门",
                   project=name, total=total, fiscal=total, special=None, other=None, goal="目标", text=f"{name}\t{total}")


def _indicator(project: str, line: int, item: int, code2: str, name: str, period: str, annual: str = "",
               repairs: list[Repair] | None = None) -> Indicator:
    from ingest.taxonomy import BY_CODE, level1_of

    l1 = level1_of(code2)
    return Indicator(id=f"i{line}-{item}", source="t.txt", line=line, department="某部门", year=2025, project=project,
                     level1=l1.name, level1_code=l1.code, level2=BY_CODE[code2].name, level2_code=code2, indicator=name,
                     period_value=period, annual_value=annual, text=f"{item}、{name}:{period}", item=item,
                     repairs=repairs or [])


def _doc(projects: list[Project], indicators: list[Indicator], warnings: list[ParseWarning] | None = None,
         grand_total: float | None = 2.0) -> audit.DocumentRows:
    info = DocumentInfo(source="t.txt", department="某部门", year=2025, content_hash="x", added_at="2025-01-01T00:00:00",
                        projects=len(projects), indicators=len(indicators), repaired=0, grand_total=grand_total)
    return audit.DocumentRows(info, projects, indicators, warnings or [])


def test_seed_projects_without_a_satisfaction_indicator_are_reported_with_their_row(seed_findings, seed_doc) -> None:
    missing = [f for f in seed_findings if f.rule == "missing_level1"]
    assert {f.project for f in missing} == SEED_WITHOUT_SATISFACTION
    assert all("满意度指标" in f.message for f in missing)
    wage = next(f for f in missing if f.project == "政府雇员工资经费")
    [row] = wage.records
    assert isinstance(row, Project) and row.project == "政府雇员工资经费"
    assert wage.cites() == [f"政府雇员工资经费(项目行) · {seed_doc.source}:{row.line}"]


def test_missing_output_and_benefit_are_checked_too() -> None:
    doc = _doc([_project("甲项目", 3)], [_indicator("甲项目", 3, 1, "31", "满意度", "≥90%")])
    found = {f.message.split("没有")[1].split("(")[0] for f in audit.run(doc, ["missing_level1"])}
    assert found == {"产出指标", "效益指标"}


@pytest.mark.parametrize(("value", "vague"), [
    ("≥90%", False), ("2台", False), ("称职或以上", False), ("≤合同金额", False), ("100%", False),
    ("2025年10月31日前", False), ("以上均无,不得分", False), ("验收合格", False), ("", False),
    ("单位员工主动节约用水用电, 社会责任意识加强。", True), ("通过对口帮扶,增加脱贫户收入,助力乡村建设", True),
    ("营造良好阅读氛围", True), ("有则得满分,否则酌情扣分", True),
])
def test_vague_values_have_no_number_threshold_or_criterion(value: str, vague: bool) -> None:
    assert bool(audit.vague_reason(value)) is vague


def test_seed_vague_values_are_the_wordy_ones(seed_findings) -> None:
    vague = {f.records[0].indicator for f in seed_findings if f.rule == "vague_value"}
    assert {"加强社会责任意识", "巩固拓展股贫攻坚成果", "发挥企业党员先锋模范作用"} <= vague
    assert not vague & {"购置数", "读者满意度", "费用支付及时率", "程序的规范性"}


def test_the_same_wordy_value_across_projects_is_reported_once_with_every_row(seed_findings) -> None:
    copied = [f for f in seed_findings if f.rule == "copied_value"]
    assert len(copied) == 1 and "称职或以上" in copied[0].message
    assert {r.project for r in copied[0].records} == {"政府雇员工资经费", "两新组织党务工作者补贴", "政府雇员公用经费"}
    doc = _doc([_project("甲", 3), _project("乙", 4)],
               [_indicator("甲", 3, 1, "13", "及时率", "100%", "100%"), _indicator("乙", 4, 1, "13", "及时率", "100%")])
    assert audit.run(doc, ["copied_value"]) == []  # short numeric values repeat by nature


def test_every_repaired_row_is_listed_with_what_changed(seed_findings, seed_doc) -> None:
    repaired = [f for f in seed_findings if f.rule == "ocr_repaired"]
    expected = [r for r in [*seed_doc.projects, *seed_doc.indicators] if r.repairs]
    assert len(repaired) == len(expected) > 0
    assert {f.records[0].id for f in repaired} == {r.id for r in expected}
    assert all("→" in f.message for f in repaired)


def test_seed_totals_reconcile_and_parse_warnings_cite_their_lines(seed_findings, seed_doc) -> None:
    assert [f for f in seed_findings if f.rule == "totals"] == []
    warnings = [f for f in seed_findings if f.rule == "parse_warning"]
    assert len(warnings) == len(seed_doc.warnings) > 0
    assert all(f.cites() and all(c.startswith(seed_doc.source + ":") for c in f.cites()) for f in warnings)


def test_a_totals_mismatch_and_a_missing_grand_total_are_errors() -> None:
    mismatch = ParseWarning("t.txt", 2, "第2行合计的总计 3.00 ≠ 第3、4行2个项目之和 2.00(差 +1.00)", "mismatch", (2, 3, 4))
    doc = _doc([_project("甲", 3), _project("乙", 4)], [], [mismatch])
    [f] = audit.run(doc, ["totals"])
    assert f.severity == "错误" and "≠" in f.message
    assert {r.project for r in f.records} == {"甲", "乙"} and "t.txt:2" in f.cites()
    assert "没有“合计”行" in audit.run(_doc([_project("甲", 3)], [], grand_total=None), ["totals"])[0].message


def test_warnings_stored_as_text_are_read_back_with_line_and_kind(seed_doc) -> None:
    info = seed_doc.info
    back = audit.warnings_from_info(info)
    assert [w.message for w in back] == [w.message for w in seed_doc.warnings]
    assert [w.line for w in back] == [w.line for w in seed_doc.warnings]
    stored = DocumentInfo(**{**info.__dict__, "warnings": ["t.txt 第5行: 合计总计 3.00 ≠ 2.00"]})
    assert audit.warnings_from_info(stored)[0].kind == "mismatch"
    assert audit.structured_warnings(info, None) == back


def test_the_matrix_counts_indicators_per_category_and_flags_repairs(seed_doc) -> None:
    columns = audit.matrix_columns(seed_doc)
    assert [c.code for c in columns if c.required] == ["1", "2", "3"]
    rows = {r.project.project: r for r in audit.coverage(seed_doc)}
    wage = rows["政府雇员工资经费"]
    assert wage.counts.get("3", 0) == 0 and wage.counts["1"] == 2 and wage.counts["24"] == 1
    for row in rows.values():
        assert row.counts.get("1", 0) == sum(row.counts.get(c, 0) for c in ("11", "12", "13", "14"))
    assert any(n for r in rows.values() for n in r.repaired.values())


@pytest.fixture
def extra_rule() -> Iterator[str]:
    @audit.rule("test_many_items", "指标过多", "提示", "一个项目的指标超过 4 条")
    def many(doc: audit.DocumentRows) -> Iterator[audit.Finding]:
        for p in doc.projects:
            if len(doc.indicators_of(p)) > 4:
                yield audit._finding(doc, "test_many_items", f"“{p.project}”有{len(doc.indicators_of(p))}条指标", p.project, [p])

    yield "test_many_items"
    audit.RULES[:] = [r for r in audit.RULES if r.code != "test_many_items"]


def test_rules_are_registered_in_one_place_and_new_ones_join_the_run(seed_doc, extra_rule: str) -> None:
    found = audit.run(seed_doc, [extra_rule])
    assert {f.project for f in found} == {p.project for p in seed_doc.projects if len(seed_doc.indicators_of(p)) > 4}
    assert found and all(f.title == "指标过多" for f in found)
    assert extra_rule in {f.rule for f in audit.run(seed_doc)}
    with pytest.raises(ValueError, match="registered twice"):
        audit.rule(extra_rule, "x", "提示", "x")(lambda doc: [])
    with pytest.raises(ValueError, match="unknown audit rules"):
        audit.run(seed_doc, ["no_such_rule"])
