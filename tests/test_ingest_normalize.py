"""Each kind of OCR damage, repaired one at a time (see ingest/README.md for the list)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest import parse_file, parse_text
from ingest.indicators import RawItem, parse_item, resolve_categories, split_category_prefix, split_items
from ingest.normalize import (
    MASK,
    category_form,
    clean,
    clean_value,
    drop_invisible,
    drop_spaces,
    fold_width,
    for_matching,
    has_spaced_number,
    is_traditional,
    mask_markup,
    parse_amount,
    repair_by_reference,
    simplify_chars,
    simplify_line,
    strip_markup,
    unify_symbols,
)
from ingest.taxonomy import BY_CODE
from ingest.text_table import split_cells

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "data" / "2024_baiyun_gongshanglian_performance_targets.txt"
HEADER = "部门名称:测试单位(部门) 单位: 万元\n项目名称(资金使用单位)\t总计\t财政拨款\t财政专户拨款\t其他资金\t绩效目标\t绩效指标\n"


def item(text: str):  # type: ignore[no-untyped-def]
    return parse_item(RawItem(int(text.split("、")[0].strip() or 0), text))


# --- spaces inside numbers ---------------------------------------------------------------


def test_spaces_inside_numbers() -> None:
    assert parse_amount("41. 73") == 41.73
    assert parse_amount("1 000.5") == 1000.5
    assert parse_amount("") is None
    assert has_spaced_number("16. 80") and not has_spaced_number("16.80")
    with pytest.raises(ValueError, match="不是金额"):
        parse_amount("四十")


def test_spaced_amount_is_flagged_on_the_project_with_the_original() -> None:
    parsed = parse_text(HEADER + "甲项目经费\t7. 00\t7.00\t\t\t目标\t1、1-产出指标:11-数量指标:购置数:实施周期指标值:2台\n", "t.txt")
    (project,) = parsed.projects
    assert project.total == 7.0
    (repair,) = project.repairs
    assert (repair.field, repair.original, repair.repaired) == ("total", "7. 00", "7.00") and "空格" in repair.reason


# --- stray markup ------------------------------------------------------------------------


def test_stray_markup() -> None:
    assert strip_markup("单位:万元 <del> </del>") == "单位:万元  "
    masked = mask_markup("a<u> </u>b")
    assert len(masked) == len("a<u> </u>b") and masked == "a" + MASK * 3 + " " + MASK * 4 + "b"
    assert clean("费用<u> </u>标准") == "费用标准"


def test_markup_between_items_keeps_both_items_and_the_quote() -> None:
    cell = "1、1-产出指标:11-数量指标:购置数:实施周期指标值:2台。<u> </u>2、1-产出指标:13-时效指标:支付及时率:实施周期指标值:100%。"
    parsed = parse_text(HEADER + f"甲项目经费\t2.00\t2.00\t\t\t目标\t{cell}\n", "t.txt")
    assert [i.indicator for i in parsed.indicators] == ["购置数", "支付及时率"]
    assert parsed.indicators[0].text.endswith("<u> </u>")  # quotes are cut from the source, markup and all


# --- separator swaps -----------------------------------------------------------------------


def test_separator_swaps() -> None:
    assert unify_symbols("指标值：100%；年度，好") == "指标值:100%;年度,好"
    a = item("1、1-产出指标: 11-数量指标: 购置数: 实施周期指标值:2台, 年度指标值:2台。")
    b = item("1、1-产出指标；11-数量指标，购置数；实施周期指标值：2台；年度指标值：2台.")
    assert (a.level2, a.indicator, a.period_value, a.annual_value) == (b.level2, b.indicator, b.period_value, b.annual_value)
    assert not a.repairs and not b.repairs


# --- ≪ for ≤, and the Big5 forms ------------------------------------------------------------


def test_much_less_than_is_less_or_equal() -> None:
    assert unify_symbols("≪合同金额 ≫1 ≦2 ≧3") == "≤合同金额 ≥1 ≤2 ≥3"
    assert item("1、1-产出指标:14-成本指标:费用标准:实施周期指标值:≪合同金额").period_value == "≤合同金额"


# --- full / half width -----------------------------------------------------------------------


def test_full_width_forms() -> None:
    assert fold_width("１００％ ：ＡＢ") == "100% :AB"
    parsed = item("１、１－产出指标：１１－数量指标：培训人次：实施周期指标值：≥１２０人次。")
    assert (parsed.number, parsed.level2.code, parsed.period_value) == (1, "11", "≥120人次")


# --- words split by spaces and tabs ------------------------------------------------------------


def test_words_split_by_spaces() -> None:
    assert drop_spaces("帮扶对 象\t解决") == "帮扶对象解决"
    assert drop_spaces("PC Pro 台式机") == "PC Pro台式机"  # a space between Latin words is real
    assert item("2、1-产出指标: 11-数量指标: 帮助帮扶对 象解决问题: 实施周期指标值:≥1个").indicator == "帮助帮扶对象解决问题"


def test_name_split_by_a_tab_is_joined() -> None:
    cells = split_cells("广州市白云区工商业联\t合会\t41. 73\t41.73\t\t\t\t")
    assert [c.text for c in cells][:2] == ["广州市白云区工商业联\t合会", "41. 73"]
    parsed = parse_text(HEADER + "信创工作\t经费\t2.00\t2.00\t\t\t目标\t1、1-产出指标:11-数量指标:购置数:实施周期指标值:2台\n", "t.txt")
    assert parsed.projects[0].project == "信创工作经费"


def test_invisible_characters() -> None:
    assert drop_invisible("费\u200b用\ufeff标准\u00ad") == "费用标准"


# --- repeated fragments --------------------------------------------------------------------------


def test_repeated_value_fragments_keep_one_value_and_say_so() -> None:
    parsed = item("3、1-产出指标: 11-数量指标: 帮扶地区数: 实施周期指标值:≥1个: " + "年度指标值:≥1个: " * 5)
    assert (parsed.period_value, parsed.annual_value) == ("≥1个", "≥1个")
    (repair,) = parsed.repairs
    assert repair.field == "annual_value" and "重复" in repair.reason and "4处" in repair.reason
    assert not parsed.notes


def test_repeated_value_with_different_text_is_also_warned() -> None:
    parsed = item("1、1-产出指标:11-数量指标:走访情况:实施周期指标值:走访≥24家;年度指标值:走访≥24家;年度指标值:打造服务品牌")
    assert parsed.annual_value == "走访≥24家"
    assert parsed.notes and "不同的内容" in parsed.notes[0]


def test_repeated_name_fragment() -> None:
    parsed = item("3、1-产出指标:11-数量指标:帮扶地区数:帮扶地区数:实施周期指标值:≥1个")
    assert parsed.indicator == "帮扶地区数"
    assert parsed.repairs[0].field == "indicator" and "重复" in parsed.repairs[0].reason


# --- duplicated item numbers ---------------------------------------------------------------------


def test_duplicated_item_numbers_keep_both_items_and_warn() -> None:
    cell = ("1、1-产出指标:11-数量指标:购置数:实施周期指标值:2台。2、1-产出指标:13-时效指标:支付及时率:实施周期指标值:100%。"
            "2、2-效益指标:24-可持续影响:增强安全意识:实施周期指标值:100%。")
    before, items = split_items(cell)
    assert before == "" and [i.number for i in items] == [1, 2, 2]
    parsed = parse_text(HEADER + f"甲项目经费\t2.00\t2.00\t\t\t目标\t{cell}\n", "t.txt")
    assert [i.indicator for i in parsed.indicators] == ["购置数", "支付及时率", "增强安全意识"]
    assert any(w.kind == "duplicate" and "序号2重复" in w.message for w in parsed.warnings)


# --- misread words and symbols -------------------------------------------------------------------


def test_known_misreadings_apply_to_category_labels_only() -> None:
    assert category_form("2 交益指标") == "2效益指标"
    # Names, values and goals are compared as printed: `被监` is a misread 质量 only in a category label.
    assert for_matching("加强被监督单位管理") == "加强被监督单位管理"
    assert for_matching("巩固拓展股贫攻坚成果") == "巩固拓展股贫攻坚成果"
    parsed = item("4、2 交益指标: 21-经济效益: 巩固拓展股贫攻坚成果. 实施周期指标值:通过对口帮扶")
    assert parsed.indicator == "巩固拓展股贫攻坚成果"  # the field keeps what the table says
    assert parsed.level1.name == "效益指标"


def test_ordinary_words_that_look_like_misreadings_survive() -> None:
    cell = "1、1-产出指标:11-数量指标:被监督单位检查数:实施周期指标值:≥10家"
    text = HEADER + f"被监督单位检查经费\t3.00\t3.00\t\t\t加强对被监督单位的检查\t{cell}\n"
    parsed = parse_text(text, "t.txt")
    (project,) = parsed.projects
    (ind,) = parsed.indicators
    assert project.project == "被监督单位检查经费" and project.goal == "加强对被监督单位的检查"
    assert ind.indicator == "被监督单位检查数" and not ind.repairs and not ind.reading


def test_a_name_misread_is_offered_its_reading_from_the_documents_own_spelling() -> None:
    parsed = parse_file(SEED)
    ind = next(i for i in parsed.indicators if i.indicator == "巩固拓展股贫攻坚成果")
    assert ind.reading == "巩固拓展脱贫攻坚成果" and "reading" in ind.flags
    assert "股贫" in ind.text  # the quote stays verbatim
    assert not ind.repairs or {r.field for r in ind.repairs} == {"level1"}  # the name field is not rewritten
    assert [i.indicator for i in parsed.indicators if i.reading] == ["巩固拓展股贫攻坚成果"]  # nothing else


def test_symbol_misread_repaired_from_the_other_value() -> None:
    assert repair_by_reference("市场基层商会数224个", "市场基层商会数≥24个") == "市场基层商会数≥24个"
    assert repair_by_reference("≥24个", "≥24个") is None
    assert repair_by_reference("25个", "≥24个") is None  # two differences: not a misread
    parsed = item("1、1-产出指标:11-数量指标:走访基层商会数:实施周期指标值:≥24个;年度指标值:224个")
    assert parsed.annual_value == "≥24个"
    (repair,) = parsed.repairs
    assert (repair.field, repair.original, repair.repaired) == ("annual_value", "224个", "≥24个")


# --- categories: codes first, words second, code wins -----------------------------------------------


def test_category_repaired_through_its_code() -> None:
    parsed = item("4、2-效监指标: 22-社会通知加强社会责任意识, 实施周期指标值:单位员工主动节约用水用电")
    assert (parsed.level1.name, parsed.level2.name, parsed.indicator) == ("效益指标", "社会效益指标", "加强社会责任意识")
    reasons = {r.field: r for r in parsed.repairs}
    assert reasons["level1"].original == "2-效监指标" and "代码2" in reasons["level1"].reason
    assert reasons["level2"].repaired == "社会效益指标" and "代码22" in reasons["level2"].reason
    assert reasons["indicator"].repaired == "加强社会责任意识" and "分隔符" in reasons["indicator"].reason


def test_level2_code_implies_level1() -> None:
    parsed = item("1、22-社会效益指标: 政策知晓率: 实施周期指标值:≥90%")
    assert (parsed.level1.name, parsed.level2.name) == ("效益指标", "社会效益指标")
    parsed = item("1、1-产出指标: 22-社会效益指标: 政策知晓率: 实施周期指标值:≥90%")
    assert parsed.level1.name == "效益指标"
    assert any(r.field == "level1" and "以二级为准" in r.reason for r in parsed.repairs)


def test_garbled_code_falls_back_to_the_words() -> None:
    parsed = item("3、1-产出指标:1-数量指标:走访情况:实施周期指标值:走访基层商会数≥24个")
    assert parsed.level2.name == "数量指标"
    assert parsed.repairs[0].original == "1-数量指标" and "代码“1”无效" in parsed.repairs[0].reason


def test_missing_code_fuzzy_matches_the_words() -> None:
    parsed = item("1、产出指标: 数量措标: 购置数: 实施周期指标值:2台")
    assert parsed.level2.name == "数量指标"
    assert parsed.repairs[0].original == "数量措标" and "模糊" in parsed.repairs[0].reason
    assert not item("1、产出指标: 数量指标: 购置数: 实施周期指标值:2台").repairs  # exact words need no repair


def test_code_wins_when_code_and_words_disagree() -> None:
    parsed = item("1、2-效益指标: 22-经济效益指标: 强化社会发动: 实施周期指标值:得满分")
    assert parsed.level2.name == "社会效益指标"
    (repair,) = parsed.repairs
    assert repair.original == "22-经济效益指标" and "不一致" in repair.reason and "以代码为准" in repair.reason


def test_satisfaction_printed_with_its_level1_code() -> None:
    parsed = item("5、3-满意度指标。3-满意度指标,甲方对本单位支付费用及时性满意度;实施周期指标值:90%及以上得满分")
    assert (parsed.level2.name, parsed.indicator) == ("服务对象满意度指标", "甲方对本单位支付费用及时性满意度")
    assert not parsed.repairs


def test_short_form_followed_by_garbage_is_a_repair_not_a_name() -> None:
    parsed = item("1、1-产山指际: 11-数量指标: 购置数: 实施周期指标值:2台")
    assert parsed.level1.name == "产出指标" and parsed.repairs[0].field == "level1"


def test_split_category_prefix_prefers_most_agreeing_characters() -> None:
    assert split_category_prefix(BY_CODE["31"], "满意度指际群众满意度") == ("满意度指际", "群众满意度")
    assert split_category_prefix(BY_CODE["22"], "社会通知加强社会责任意识") == ("社会通知", "加强社会责任意识")


def test_spreadsheet_category_cells() -> None:
    l1, l2, repairs = resolve_categories("产出指标", "数量指标")
    assert (l1.code, l2.code, repairs) == ("1", "11", [])
    l1, l2, repairs = resolve_categories("", "22-社会效益")
    assert (l1.name, l2.name) == ("效益指标", "社会效益指标")
    l1, l2, repairs = resolve_categories("2-效监指标", "")
    assert (l1.name, l2, repairs[0].field) == ("效益指标", None, "level1")


def test_item_without_values_is_rejected_with_the_reason() -> None:
    with pytest.raises(ValueError, match="没有“实施周期指标值/年度指标值”"):
        item("4、12-被监持标: 22-社会通期指标值:100%。")


# --- Traditional Chinese ------------------------------------------------------------------------


def test_traditional_chinese_for_matching() -> None:
    assert simplify_chars("產出指標") == "产出指标"
    line = "實施週期指標值:≥90%"
    assert len(simplify_line(line)) == len(line) and simplify_line(line) == "实施周期指标值:≥90%"
    assert is_traditional("辦公場地項目經費 實施週期指標值 產出指標 滿意度")
    assert not is_traditional(SEED.read_text(encoding="utf-8"))


# --- every repair keeps the original and a reason; quotes stay verbatim -----------------------------


def test_every_repair_keeps_original_and_reason() -> None:
    parsed = parse_file(SEED)
    repairs = [r for rec in parsed.records for r in rec.repairs]
    assert len(repairs) == 13
    for r in repairs:
        assert r.original and r.reason and r.repaired and r.field


def test_clean_value_strips_separators_only() -> None:
    assert clean_value(" :≥90%。") == "≥90%"
    assert clean_value("商协会、企业。") == "商协会、企业"
