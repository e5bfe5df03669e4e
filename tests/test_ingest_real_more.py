"""Eight more real tables, from other regions and templates than the first four: a generalisation check.

tests/fixtures/real_tables_more holds them verbatim with their sources; the truth was written by
hand from each page before the parser was run on it. They are copies the first four did not show:
one cell per line with blank lines between, one cell per line closed by a single line of pipes,
a self-evaluation form flattened onto one line, cells run together without separators, a stacked
page of one-level (no 一级/二级) forms, a mirror page in Traditional characters with pinyin readings,
a department-level (整体支出) table with a sub-table above its grid, and the 2021 template's 成本指标.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_ingest_real import (  # the same checks, run on these tables too
    assert_truth_indicators,
    norm,
    parsed_with_truth,
    score_real,
    test_every_row_is_accounted_for,  # noqa: F401
    truth_amount,
)

from ingest import parse_file, source_lines
from ingest.records import ParsedFile

ROOT = Path(__file__).resolve().parents[1]
MORE = ROOT / "tests" / "fixtures" / "real_tables_more"
NAMES = sorted(p.name.removesuffix(".truth.json") for p in MORE.glob("*.truth.json"))


def wan(text: str | None, unit: str | None) -> float | None:
    return None if text is None else truth_amount(text, unit or "万元")


@pytest.fixture(scope="module", params=NAMES)
def real(request: pytest.FixtureRequest) -> tuple[ParsedFile, dict]:
    return parsed_with_truth(MORE, request.param)


def test_every_indicator_under_its_project_with_its_categories_and_value(real: tuple[ParsedFile, dict]) -> None:
    assert_truth_indicators(*real)


def test_nothing_beyond_the_truth_without_a_warning(real: tuple[ParsedFile, dict]) -> None:
    """A row the page cut off (`生態(t`, `基本支出` with no value) may be kept, but never silently."""
    parsed, truth = real
    wanted = {norm(t["name"]) for t in truth["indicators"]}
    warned = {n for w in parsed.warnings for n in (w.line, *w.rows)}
    for ind in parsed.indicators:
        assert norm(ind.indicator) in wanted or ind.line in warned, ind.indicator


def test_projects_amounts_department_and_year_from_the_content(real: tuple[ParsedFile, dict]) -> None:
    parsed, truth = real
    doc = parsed.document
    assert doc.department and norm(doc.department) in norm(truth["department"])
    assert doc.department_from != "文件名" and doc.year == truth["year"] and doc.year_from in ("标题", "年度", "正文")
    assert [p.project for p in parsed.projects] == [p["name"] for p in truth["projects"]]
    for p, t in zip(parsed.projects, truth["projects"], strict=True):
        assert p.total == pytest.approx(wan(t["amount"], truth["unit"])), p.project


def test_one_cell_per_line_with_blank_lines_and_wrapped_category_cells() -> None:
    parsed = parse_file(MORE / "hn_yueyangxian_gaobiaozhun_2022.txt")
    (project,) = parsed.projects
    assert (project.total, project.amount_unit, project.goal) == (854.0, "万", "完成项目主体工程70%")
    assert project.implementer == "农田建设服务中心"
    assert project.amount_note == "高标准农田建设400万元,示范建设295万元,畅通工程159万元"
    grain = next(i for i in parsed.indicators if i.indicator == "年增粮食")
    # `经济效益` / `指标` printed on two lines is one category cell; the row quotes its own lines.
    assert (grain.level2, grain.value, grain.line) == ("经济效益指标", "3500公斤", 83)
    assert grain.text.splitlines() == ["效益指标", "经济效益", "指标", "年增粮食", "3500公斤"]
    assert source_lines(MORE / "hn_yueyangxian_gaobiaozhun_2022.txt")[""][83] == grain.text
    assert parsed.document.department_from == "主管部门"  # a label on the line above its value keeps its name


def test_flattened_self_evaluation_form_with_an_unevaluated_total() -> None:
    parsed = parse_file(MORE / "ah_guichi_tangxi_2022.txt")
    doc = parsed.document
    assert (doc.layout, doc.kind, doc.year, doc.year_from) == ("selfeval", "self_evaluation", 2022, "正文")
    (project,) = parsed.projects
    # 年度资金总额 prints `0 0 0 10 0 0` (a row of figures, not the number 100010): its sum was never
    # computed; the form's own source, 本年财政拨款 202.64, is the budget, and the change is a repair.
    assert (project.total, project.fiscal) == (202.64, 202.64)
    assert [(r.field, r.original, r.repaired) for r in project.repairs] == [("total", "0", "202.64")]
    cost = next(i for i in parsed.indicators if i.indicator == "项目总成本")
    assert (cost.annual_value, cost.actual_value, cost.weight, cost.score) == ("≤202.6万元", "132.9", 10.0, 10.0)
    legal = next(i for i in parsed.indicators if i.indicator == "补助资格合规性")
    assert (legal.annual_value, legal.actual_value, legal.weight) == ("合规", "达成预期指标", 8.0)
    assert {i.line for i in parsed.indicators} == {1}  # one line holds the whole form: every row cites it


def test_cells_run_together_are_split_at_categories_labels_and_values() -> None:
    parsed = parse_file(MORE / "hb_qingshan_jiaoyu_2020.txt")
    doc = parsed.document
    (project,) = parsed.projects
    assert (doc.department, doc.department_from, project.implementer, project.total) == ("青山区教育局", "项目主管部门", "化工区学校", 16.0)
    cost = next(i for i in parsed.indicators if i.indicator == "建设项目成本控制率")
    assert (cost.level1, cost.level2, cost.value) == ("产出指标", "成本指标", "100%")  # 成本指标 alone is the 二级 under 产出
    phrase = next(i for i in parsed.indicators if i.indicator == "义务教育优质均衡发展情况")
    assert phrase.value == "稳步提高"
    school = next(i for i in parsed.indicators if i.indicator == "学校满意度")
    assert (school.level1, school.level2, school.flags) == ("满意度指标", "服务对象满意度指标", ["known_variant"])


def test_stacked_one_level_forms_keep_each_project_its_own_indicators() -> None:
    parsed = parse_file(MORE / "cq_tongnan_wugui_2023.txt")
    projects = [(p.project, p.total) for p in parsed.projects]
    assert projects == [("潼南区五桂镇汇总项目库", 229.66), ("在职村村干部补助", 9.31), ("日常办公设备购买和运行维护", None)]
    by_project: dict[str, list[str]] = {}
    for i in parsed.indicators:
        by_project.setdefault(i.project, []).append(i.indicator)
    assert by_project == {
        "潼南区五桂镇汇总项目库": ["发放人数", "是否按时足额发放", "促进社会和谐", "保障收入", "保障权益"],
        "在职村村干部补助": ["按月发放", "本土人才满意度", "发放金额", "领取补助人数", "促进经济发展"],
    }
    # No 一级/二级 columns: nothing read, nothing invented; the split value columns are still joined.
    pay = next(i for i in parsed.indicators if i.indicator == "发放金额")
    assert (pay.level1, pay.level2, pay.value, pay.weight) == ("", "", "≥9.31万元", 20.0)
    assert (pay.operator, pay.number, pay.unit) == ("≥", 9.31, "万元")
    qualitative = next(i for i in parsed.indicators if i.indicator == "促进社会和谐")
    assert (qualitative.value, qualitative.note) == ("", "定性")
    # The third form stops after its labels: its project is kept and the cut is said.
    assert any("日常办公设备购买和运行维护" in w.message and "截断" in w.message for w in parsed.warnings)


def test_mirror_page_in_traditional_with_pinyin_readings() -> None:
    parsed = parse_file(MORE / "hn_yueyanglou_jiage_2023.txt")
    doc = parsed.document
    assert (doc.kind, doc.traditional, doc.department) == ("overall", True, "岳阳楼区价格认证鉴定中心")
    (project,) = parsed.projects
    assert (project.project, project.goal) == ("岳阳楼区价格认证鉴定中心整体支出", "做好涉案、价格认定工作。")
    amount = next(i for i in parsed.indicators if i.indicator == "业务工作支出安排金额")
    # `28.8萬元 | %`: a unit column is not appended to a number that prints its own unit, nor to a phrase.
    assert (amount.value, amount.note.split("；")[0]) == ("28.8万元", "定量")
    assert "(biāo)" in amount.text  # the quote is the page as printed
    assert next(i for i in parsed.indicators if i.indicator == "保证单位正常运转").value == "应保尽保"
    # `經濟效益指標 | 未達指標值酌情扣分`: the scoring rule every row repeats is no indicator's name.
    (empty,) = [w for w in parsed.warnings if w.kind == "empty_category"]
    assert "经济效益指标" in empty.message
    assert not any(i.indicator == "未达指标值酌情扣分" for i in parsed.indicators)


def test_one_cell_per_line_closed_by_one_line_of_pipes() -> None:
    parsed = parse_file(MORE / "sn_qingjian_jiaotong_2021.txt")
    (project,) = parsed.projects
    assert project.project == "2021年交通局寨山石坪、鲍家沟果园路"  # not run on into `项目负责人及联系电话 …`
    assert project.goal.startswith("1、改善基础实施建设")
    assert [i.line for i in parsed.indicators] == [54, 59, 62, 66, 70]
    assert not parsed.document.unit_stated and any(w.kind == "unit" for w in parsed.warnings)


def test_the_2021_template_and_a_department_table_with_a_sub_table_above_its_grid() -> None:
    fengjie = parse_file(MORE / "cq_fengjie_yunwu_2023.txt")
    (cost,) = [i for i in fengjie.indicators if i.indicator == "项目建设成本"]
    assert (cost.level1, cost.level2, cost.value, cost.weight) == ("成本指标", "经济成本指标", "≤65万元", 10.0)
    assert fengjie.document.department == "奉节县云雾土家族乡人民政府"  # 预算单位, not the 业务主管部门 县民宗委
    assert fengjie.projects[0].goal.startswith("新建中药材晾晒房")  # the label `年度主要目标     和成果` was wrapped
    ningde = parse_file(MORE / "fj_ningde_dangshi_2019.txt")
    assert ningde.document.department == "中共宁德市委党史和地方志研究室"  # `部门预算编码 901001033` is a label of its own
    assert [p.project for p in ningde.projects] == ["中共宁德市委党史和地方志研究室整体支出"]
    # The page ends inside `成本指标  基本支出 `: a name with nothing else on the last row is no indicator.
    assert not any(i.indicator == "基本支出" for i in ningde.indicators)
    assert any(w.line == 42 and "截断" in w.message and ningde.rows[42] == "dropped" for w in ningde.warnings)


def test_score_real_tool_on_the_new_tables() -> None:
    """The scorer the product owner runs, on the new set: every indicator, nothing lost silently."""
    out = score_real(MORE)
    assert "indicators 56/56" in out and "silent losses 0" in out


def test_a_table_that_cannot_be_read_is_rejected_loudly() -> None:
    """A preview that ran a whole form together on one line: one error naming what was looked for."""
    from errors import IngestError

    path = ROOT / "tests" / "fixtures" / "real_tables_rejected" / "hb_ezhou_binhu_2022.txt"
    with pytest.raises(IngestError) as caught:
        parse_file(path)
    message = str(caught.value)
    assert "hb_ezhou_binhu_2022.txt" in message and "没有可识别的表头" in message
    assert all(word in message for word in ("一级指标", "项目名称", "实际完成值", "整体支出"))
