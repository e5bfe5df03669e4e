"""Totals reconcile per funding column and per row; every mismatch names its rows and the difference."""

from __future__ import annotations

from pathlib import Path

from ingest import parse_file, parse_text
from ingest.reconcile import reconcile

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "data" / "2024_baiyun_gongshanglian_performance_targets.txt"
HEADER = ["部门名称:测试局(部门) 单位: 万元", "项目名称(资金使用单位)\t总计\t财政拨款\t财政专户拨款\t其他资金\t绩效目标\t绩效指标"]
CELL = "1、1-产出指标:11-数量指标:购置数:实施周期指标值:2台"


def table(*rows: str) -> str:
    return "\n".join([*HEADER, *rows]) + "\n"


def project(name: str, total: str, fiscal: str = "", special: str = "", other: str = "") -> str:
    return f"{name}\t{total}\t{fiscal or total}\t{special}\t{other}\t目标\t{CELL}"


def mismatches(text: str):  # type: ignore[no-untyped-def]
    parsed = parse_text(text, "t.txt")
    return parsed, [w for w in reconcile(parsed) if w.kind == "mismatch"]


def test_seed_reconciles_with_empty_subtotal_columns() -> None:
    parsed = parse_file(SEED)
    assert not [w for w in parsed.warnings if w.kind == "mismatch"]
    grand = parsed.totals[0]
    assert (grand.kind, grand.line, grand.amounts["total"], grand.amounts["special"]) == ("grand", 5, 41.73, None)


def test_balanced_table_with_all_columns() -> None:
    _, found = mismatches(table(
        "合计\t10.00\t6.00\t3.00\t1.00\t\t",
        "测试局\t10.00\t6.00\t3.00\t1.00\t\t",
        project("甲项目经费", "5.00", "3.00", "2.00"),
        project("乙项目经费", "5.00", "3.00", "1.00", "1.00"),
    ))
    assert found == []


def test_row_total_differs_from_its_sources() -> None:
    _, found = mismatches(table("合计\t5.50\t5.00\t\t\t\t", project("甲项目经费", "5.50", "5.00")))
    row = next(w for w in found if w.line == 4)
    assert "“甲项目经费”总计 5.50 ≠ 财政拨款+财政专户拨款+其他资金 5.00" in row.message and "+0.50" in row.message
    assert row.rows == (4,)


def test_unit_subtotal_column_mismatch_names_the_rows() -> None:
    _, found = mismatches(table(
        "合计\t9.00\t9.00\t\t\t\t",
        "测试局\t9.50\t9.50\t\t\t\t",
        project("甲项目经费", "4.00"),
        project("乙项目经费", "5.00"),
    ))
    subtotal = [w for w in found if w.line == 4]
    assert {w.message.split("小计的")[1][:4] for w in subtotal} == {"总计 9", "财政拨款"}
    w = subtotal[0]
    assert w.rows == (4, 5, 6) and "第5、6行2个项目之和 9.00" in w.message and "+0.50" in w.message


def test_grand_total_mismatch_per_column() -> None:
    _, found = mismatches(table(
        "合计\t9.00\t8.00\t1.00\t\t\t",
        project("甲项目经费", "4.00", "4.00"),
        project("乙项目经费", "5.00", "4.00", "", "1.00"),
    ))
    # 财政专户拨款 1.00 vs 0 is a mismatch; 其他资金 is blank in 合计, so it is not compared.
    (w,) = found
    assert w.message.startswith("第3行合计的财政专户拨款 1.00 ≠ 第4、5行2个项目之和 0.00") and "+1.00" in w.message
    assert w.line == 3 and w.rows == (3, 4, 5)


def test_empty_total_cells_are_not_compared() -> None:
    # The subtotal leaves 财政专户拨款 blank although a project uses it: not compared, not warned.
    _, found = mismatches(table(
        "合计\t5.00\t\t\t\t\t",
        "测试局\t5.00\t\t\t\t\t",
        project("甲项目经费", "5.00", "3.00", "2.00"),
    ))
    assert found == []


def test_projects_belong_to_the_subtotal_above_them() -> None:
    _, found = mismatches(table(
        "合计\t9.00\t9.00\t\t\t\t",
        "测试局\t4.00\t4.00\t\t\t\t",
        project("甲项目经费", "4.00"),
        "测试局服务中心\t5.00\t5.00\t\t\t\t",
        project("乙项目经费", "5.00"),
    ))
    assert found == []
    parsed, found = mismatches(table(
        "合计\t9.00\t9.00\t\t\t\t",
        "测试局\t4.00\t4.00\t\t\t\t",
        project("甲项目经费", "4.00"),
        "测试局服务中心\t6.00\t6.00\t\t\t\t",
        project("乙项目经费", "5.00"),
    ))
    assert [p.unit_name for p in parsed.projects] == ["测试局", "测试局服务中心"]
    assert {w.line for w in found} == {6} and all(w.rows == (6, 7) for w in found)
