"""Layouts are recognised by content, in every form a table arrives in, and nothing is misattributed.

One generated table is written as a web copy (pipe-, tab-, space-separated, one cell per line),
CSV, HTML and DOCX: every form must give the same records. Then the rules that keep rows with
their own project: a project row whose name is lost quarantines its rows, an unreadable amount
keeps the project (with a warning), rows before any project are never given to one.
"""

from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path

import pytest

from errors import IngestError
from index.nodes import retrieval_text
from ingest import headers, parse_file, synth, synth_grid
from ingest.records import ParsedFile

ROOT = Path(__file__).resolve().parents[1]
CLEAN = synth.NOISE_LEVELS["none"]


def key(parsed: ParsedFile) -> tuple:
    doc = parsed.document
    projects = [(p.project, p.total, p.fiscal, p.other, p.goal) for p in parsed.projects]
    indicators = [(i.project, i.level1, i.level2, i.indicator, i.period_value, i.annual_value, i.operator, i.number, i.unit,
                   i.weight, i.actual_value, i.score) for i in parsed.indicators]
    return doc.department, doc.year, doc.kind, projects, indicators


def write_all(tmp_path: Path, layout: str, formats: tuple[str, ...], seed: int = 3) -> dict[str, ParsedFile]:
    make = synth_grid.make_rows if layout in ("rows", "selfeval-rows") else synth_grid.make_form
    kind = {"selfeval-rows": "selfeval"}.get(layout, layout)
    spec, truth = make(0, CLEAN, random.Random(seed), "csv", kind)
    out: dict[str, ParsedFile] = {}
    for fmt in formats:
        path = synth_grid.write(replace(spec, fmt=fmt), truth, tmp_path, f"{layout}_{fmt}")
        out[fmt] = parse_file(path)
    return out


@pytest.mark.parametrize(("layout", "formats"), [
    ("rows", ("csv", "pipe", "tab", "space", "html", "docx")),
    ("form", ("csv", "space", "cells", "tab", "pipe", "html", "docx", "lines", "closer", "flat")),
    ("overall", ("csv", "pipe", "cells", "html", "lines", "mirror")),
    ("selfeval", ("csv", "tab", "html", "flat", "lines")),
    ("selfeval-rows", ("csv", "pipe", "tab")),
])
def test_one_table_in_every_form_gives_the_same_records(tmp_path: Path, layout: str, formats: tuple[str, ...]) -> None:
    parsed = write_all(tmp_path, layout, formats)
    first = key(parsed[formats[0]])
    assert first[3] and first[4]
    for fmt, result in parsed.items():
        assert key(result) == first, fmt
        assert result.document.layout == ("selfeval" if layout.startswith("selfeval") else layout), fmt
        assert not [w for w in result.warnings if w.kind in ("row_dropped", "quarantined", "item_dropped")], (fmt, result.warnings)


def test_department_level_targets_are_reachable_as_the_departments_spending(tmp_path: Path) -> None:
    parsed = write_all(tmp_path, "overall", ("pipe",))["pipe"]
    (project,) = parsed.projects
    doc = parsed.document
    assert doc.kind == "overall" and project.project == f"{doc.department}整体支出"
    assert project.total is not None and project.goal
    assert all(i.project == project.project for i in parsed.indicators)
    assert "整体支出" in retrieval_text(parsed.indicators[0]) and doc.department in retrieval_text(project)


def test_self_evaluation_keeps_its_columns(tmp_path: Path) -> None:
    parsed = write_all(tmp_path, "selfeval", ("tab",))["tab"]
    assert parsed.document.kind == "self_evaluation"
    assert all(i.actual_value and i.weight is not None and i.score is not None for i in parsed.indicators)
    assert all(i.period_value == "" and i.annual_value for i in parsed.indicators)  # a 自评表 states the year's target


PIPE_HEADER = [
    "| 2023年部门预算项目绩效目标申报表 |",
    "| 金额单位:万元 |",
    "| 单位名称 | 项目名称 | 预算数 | 年度目标 | 一级指标 | 二级指标 | 三级指标 | 指标值 |",
]


def pipe_table(tmp_path: Path, rows: list[str], name: str = "t.txt") -> ParsedFile:
    path = tmp_path / name
    path.write_text("\n".join([*PIPE_HEADER, *rows]) + "\n", encoding="utf-8")
    return parse_file(path)


def test_rows_of_a_project_whose_name_was_lost_are_quarantined_not_misattributed(tmp_path: Path) -> None:
    parsed = pipe_table(tmp_path, [
        "| 测试局 | 甲项目经费 | 5.00 | 目标甲 | 产出指标 | 数量指标 | 购置数 | 2台 |",
        "| 产出指标 | 时效指标 | 支付及时率 | 100% |",
        "| 测试局 |  | 3.00 | 目标乙 | 产出指标 | 数量指标 | 培训人次 | ≥20人次 |",  # the name cell is empty
        "| 效益指标 | 社会效益指标 | 群众知晓率 | ≥90% |",
        "| 满意度指标 | 服务对象满意度指标 | 群众满意度 | ≥95% |",
        "| 测试局 | 丙项目经费 | 1.00 | 目标丙 | 产出指标 | 数量指标 | 检查次数 | ≥4次 |",
    ])
    assert [(i.project, i.indicator) for i in parsed.indicators] == [
        ("甲项目经费", "购置数"), ("甲项目经费", "支付及时率"), ("丙项目经费", "检查次数")]
    (q,) = [w for w in parsed.warnings if w.kind == "quarantined"]
    assert q.rows == (6, 6, 7, 8) and "第6行的项目无法读取(项目名称缺失)" in q.message
    assert all(n in q.message for n in ("培训人次", "群众知晓率", "群众满意度"))
    assert [parsed.rows[n] for n in (6, 7, 8)] == ["quarantined"] * 3
    acc = parsed.row_accounting()
    assert acc["quarantined_rows"] == 3 and acc["rows_in"] == 9


def test_an_unreadable_amount_keeps_its_project_and_rows(tmp_path: Path) -> None:
    parsed = pipe_table(tmp_path, [
        "| 测试局 | 甲项目经费 | 5.00 | 目标甲 | 产出指标 | 数量指标 | 购置数 | 2台 |",
        "| 测试局 | 乙项目经费 | 见附件 | 目标乙 | 产出指标 | 数量指标 | 培训人次 | ≥20人次 |",
        "| 满意度指标 | 服务对象满意度指标 | 群众满意度 | ≥95% |",
    ])
    second = parsed.projects[1]
    assert (second.project, second.total, second.amount_text, second.flags) == ("乙项目经费", None, "见附件", ["amount_unreadable"])
    assert [i.project for i in parsed.indicators] == ["甲项目经费", "乙项目经费", "乙项目经费"]
    assert any(w.kind == "amount" and w.line == 5 and "见附件" in w.message for w in parsed.warnings)


def test_amounts_written_with_words_keep_the_rest_as_a_note(tmp_path: Path) -> None:
    parsed = pipe_table(tmp_path, [
        "| 测试局 | 高标准农田项目 | 854万(其中高标准农田建设400万元,其他454万元) | 目标 | 产出指标 | 数量指标 | 建设面积 | ≥1万亩 |",
    ])
    (p,) = parsed.projects
    assert (p.total, p.amount_unit, p.amount_note) == (854.0, "万", "其中高标准农田建设400万元,其他454万元")
    assert "amount_words" in p.flags


def test_rows_before_any_project_row_are_quarantined(tmp_path: Path) -> None:
    parsed = pipe_table(tmp_path, [
        "| 产出指标 | 数量指标 | 购置数 | 2台 |",
        "| 测试局 | 甲项目经费 | 5.00 | 目标甲 | 产出指标 | 时效指标 | 支付及时率 | 100% |",
    ])
    assert [(i.project, i.indicator) for i in parsed.indicators] == [("甲项目经费", "支付及时率")]
    (q,) = [w for w in parsed.warnings if w.kind == "quarantined"]
    assert q.rows == (4,) and "购置数" in q.message


def test_no_stated_unit_is_warned_and_flagged(tmp_path: Path) -> None:
    path = tmp_path / "nounit.txt"
    path.write_text("2023年项目绩效目标表\n部门名称:测试局\n"
                    "项目名称\t预算数\t一级指标\t二级指标\t三级指标\t指标值\n"
                    "甲项目经费\t5\t产出指标\t数量指标\t购置数\t2台\n", encoding="utf-8")
    parsed = parse_file(path)
    assert parsed.document.unit_stated is False and parsed.projects[0].total == 5.0
    assert "unit_assumed" in parsed.projects[0].flags
    assert any(w.kind == "unit" and "按万元计" in w.message for w in parsed.warnings)


def test_department_and_year_from_the_file_name_only_as_a_last_resort(tmp_path: Path) -> None:
    path = tmp_path / "2022_某局.txt"
    path.write_text("项目名称 | 一级指标 | 二级指标 | 三级指标 | 指标值\n甲项目经费 | 产出指标 | 数量指标 | 购置数 | 2台\n"
                    "| 时效指标 | 支付及时率 | 100% |\n", encoding="utf-8")
    parsed = parse_file(path)
    doc = parsed.document
    assert (doc.department, doc.department_from, doc.year, doc.year_from) == ("2022_某局", "文件名", 2022, "文件名")
    assert sum(w.kind == "header" for w in parsed.warnings) == 2


def test_a_file_matching_no_layout_names_what_was_looked_for(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("一级指标说明\n本表填写要求:按实际填写。\n", encoding="utf-8")
    with pytest.raises(IngestError) as info:
        parse_file(path)
    message = str(info.value)
    for words in ("notes.txt", "无法判断表格版式", "绩效指标", "一级指标", "项目支出绩效目标申报表", "整体支出", "自评表"):
        assert words in message


def test_header_words_are_extendable_in_one_place(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "custom.txt"
    path.write_text("2023年项目绩效目标表 单位:万元\n项目名称 | 一级指标 | 二级指标 | 考核内容 | 指标值\n"
                    "甲项目经费 | 产出指标 | 数量指标 | 购置数 | 2台\n", encoding="utf-8")
    before = parse_file(path)  # `考核内容` names no column yet: the row has no indicator (and says so)
    assert before.indicators == [] and any("缺少三级指标名称" in w.message for w in before.warnings)
    monkeypatch.setitem(headers.COLUMN_WORDS, "indicator", (*headers.COLUMN_WORDS["indicator"], "考核内容"))
    headers.refresh()
    try:
        assert [i.indicator for i in parse_file(path).indicators] == ["购置数"]
    finally:
        monkeypatch.undo()
        headers.refresh()


def test_seed_html_and_docx_give_the_seed_records() -> None:
    seed = parse_file(ROOT / "data" / "2024_baiyun_gongshanglian_performance_targets.txt")
    want = {(i.project, i.level1, i.level2, i.indicator, i.period_value, i.annual_value) for i in seed.indicators}
    for name in ("seed.html", "seed.docx"):
        parsed = parse_file(ROOT / "tests" / "fixtures" / name)
        assert parsed.document.format == name.split(".")[1] and parsed.document.layout == "rows"
        assert (parsed.document.department, parsed.document.year, parsed.document.grand_total) == ("广州市白云区工商业联合会", 2024, 41.73)
        assert [(p.project, p.total) for p in parsed.projects] == [(p.project, p.total) for p in seed.projects]
        assert {(i.project, i.level1, i.level2, i.indicator, i.period_value, i.annual_value) for i in parsed.indicators} == want
        assert parsed.warnings == []


SELF_EVALUATION = """项目支出绩效自评表
(2021年度)
项目名称 农村公路养护经费
主管部门 衡阳市南岳区交通运输局 实施单位 南岳区公路建设养护中心
项目资金(万元) 年初预算数 全年预算数 全年执行数 分值 执行率 得分
年度资金总额 120 120 118.5 10 98.75% 9.9
其中:当年财政拨款 120 120 118.5 - - -
其他资金 0 0 0 - - -
绩效指标 一级指标 二级指标 三级指标 年度指标值 实际完成值 分值 得分 偏差原因分析及改进措施
产出指标 数量指标 养护里程 ≥120公里 125公里 20 20
质量指标 路况优良率 ≥85% 86% 20 20
满意度指标 服务对象满意度指标 沿线群众满意度 ≥90% 88% 10 8 部分路段施工影响出行
总分 100 98
"""


def test_self_evaluation_form_copied_as_space_separated_text(tmp_path: Path) -> None:
    path = tmp_path / "selfeval.txt"
    path.write_text(SELF_EVALUATION, encoding="utf-8")
    parsed = parse_file(path)
    doc = parsed.document
    assert (doc.kind, doc.layout, doc.department, doc.year) == ("self_evaluation", "selfeval", "衡阳市南岳区交通运输局", 2021)
    (project,) = parsed.projects
    assert (project.total, project.fiscal) == (120.0, 120.0)  # the row of figures gives its first: 年初预算数
    last = parsed.indicators[-1]
    assert (last.indicator, last.annual_value, last.actual_value, last.weight, last.score, last.deviation) == (
        "沿线群众满意度", "≥90%", "88%", 10.0, 8.0, "部分路段施工影响出行")
    assert len(parsed.indicators) == 3 and parsed.rows[13] == "total"  # 总分 sums the scores: no indicator


def test_department_level_table_with_its_amount_and_unit_in_the_grid(tmp_path: Path) -> None:
    path = tmp_path / "overall.txt"
    path.write_text("\n".join([
        "| 部门整体支出绩效目标申报表(2023年度) | ||||||||||",
        "| 金额单位:元 | ||||||||||",
        "| 单位名称 | 年度预算 | 年度目标 | 一级指标 | 二级指标 | 三级指标 | 指标性质 | 指标值 | 度量单位 | 权重 | 指标方向性 |",
        "| 820001-井研县马踏镇人民政府 | 8,827,620.53 | 保障全镇机关正常运转。 | 产出指标 | 数量指标 | 保障人员数 | ≥ | 60 | 人 | 20 "
        "| 正向指标 |",
        "| 产出指标 | 时效指标 | 资金支付及时率 | ≥ | 95 | % | 20 | 正向指标 | ||",
        "| 满意度指标 | 服务对象满意度指标 | 群众满意度 | ≥ | 90 | % | 20 | 正向指标 | ||",
    ]) + "\n", encoding="utf-8")
    parsed = parse_file(path)
    (project,) = parsed.projects
    assert parsed.document.kind == "overall" and parsed.document.department == "井研县马踏镇人民政府"
    assert (project.project, project.total, project.goal) == ("井研县马踏镇人民政府整体支出", 882.762053, "保障全镇机关正常运转。")
    assert [i.value for i in parsed.indicators] == ["≥60人", "≥95%", "≥90%"]


def test_tab_copy_of_a_multi_project_table_with_an_amount_in_words(tmp_path: Path) -> None:
    path = tmp_path / "copy.txt"
    path.write_text("某局2023年项目绩效目标表\n单位:万元\n项目名称\t资金总额\t年度目标\t一级指标\t二级指标\t三级指标\t指标值\n"
                    "甲项目经费\t12.5\t保障甲工作\t产出指标\t数量指标\t培训人次\t≥100人次\n"
                    "产出指标\t质量指标\t培训合格率\t≥95%\n"
                    "乙项目经费\t250万\t保障乙工作\t产出指标\t数量指标\t检查次数\t≥12次\n"
                    "效益指标\t社会效益指标\t安全事故发生率\t≤1%\n", encoding="utf-8")
    parsed = parse_file(path)
    assert (parsed.document.department, parsed.document.department_from) == ("某局", "标题")
    assert [(p.project, p.total) for p in parsed.projects] == [("甲项目经费", 12.5), ("乙项目经费", 250.0)]
    assert [i.project for i in parsed.indicators] == ["甲项目经费", "甲项目经费", "乙项目经费", "乙项目经费"]
