"""GBK, Big5, Traditional, XLSX, CSV and PDF forms of the seed ingest to the seed's records."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest

from ingest import parse_file
from ingest.records import ParsedFile

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
SEED = ROOT / "data" / "2024_baiyun_gongshanglian_performance_targets.txt"


def projects(parsed: ParsedFile) -> list[tuple[object, ...]]:
    return [(p.project, p.total, p.fiscal, p.special, p.other, p.unit_name) for p in parsed.projects]


def indicators(parsed: ParsedFile) -> set[tuple[str, ...]]:
    return {(i.project, i.level1, i.level2, i.indicator, i.period_value, i.annual_value) for i in parsed.indicators}


@pytest.fixture(scope="module")
def seed() -> ParsedFile:
    return parse_file(SEED)


@pytest.mark.parametrize(
    ("name", "encoding", "traditional"),
    [
        ("seed_gb18030.txt", "gb18030", False),
        ("seed_gbk.txt", "gb18030", False),  # GBK is read as its superset GB18030
        ("seed_traditional.txt", "utf-8", True),
        ("seed_big5.txt", "big5", True),
    ],
)
def test_text_variants_give_the_seed_records(seed: ParsedFile, name: str, encoding: str, traditional: bool) -> None:
    parsed = parse_file(FIXTURES / name)
    assert (parsed.document.encoding, parsed.document.traditional) == (encoding, traditional)
    assert (parsed.document.department, parsed.document.year, parsed.document.grand_total) == ("广州市白云区工商业联合会", 2024, 41.73)
    assert projects(parsed) == projects(seed)
    assert indicators(parsed) == indicators(seed)
    assert len(parsed.indicators) == 28
    assert [w.kind for w in parsed.warnings] == [w.kind for w in seed.warnings]


def test_traditional_quotes_keep_the_original_script() -> None:
    path = FIXTURES / "seed_traditional.txt"
    lines = path.read_text(encoding="utf-8").splitlines()
    parsed = parse_file(path)
    ind = next(i for i in parsed.indicators if i.indicator == "加强社会责任意识")
    assert "社會責任意識" in ind.text and ind.text in lines[ind.line - 1]
    assert parsed.projects[0].project == "办公场地项目经费" and "辦公場地項目經費" in parsed.projects[0].text


def test_xlsx_row_per_indicator_with_merged_cells(seed: ParsedFile) -> None:
    parsed = parse_file(FIXTURES / "seed.xlsx")
    assert parsed.document.format == "xlsx"
    assert (parsed.document.department, parsed.document.year, parsed.document.grand_total) == ("广州市白云区工商业联合会", 2024, 41.73)
    assert projects(parsed) == projects(seed)
    assert indicators(parsed) == indicators(seed)
    assert parsed.warnings == []
    assert {r.sheet for r in parsed.records} == {"绩效目标表"}
    # Lines are the sheet's row numbers: two title rows, a two-row header, 合计, subtotal, then data.
    assert parsed.projects[0].line == 7 and parsed.indicators[1].line == 8
    acc = parsed.row_accounting()
    # Every sheet row is accounted for: 2 title rows, 2 header rows, 合计 and subtotal, 28 indicator rows.
    assert acc["rows_in"] == acc["record_rows"] + acc["total_rows"] + acc["header_rows"] == 34
    assert (acc["record_rows"], acc["total_rows"], acc["header_rows"]) == (28, 2, 4)


def test_csv_row_per_indicator_with_blank_cells(seed: ParsedFile) -> None:
    parsed = parse_file(FIXTURES / "seed.csv")
    assert (parsed.document.format, parsed.document.encoding) == ("csv", "utf-8")
    assert projects(parsed) == projects(seed)
    assert indicators(parsed) == indicators(seed)
    first = parsed.indicators[0]
    assert first.text.startswith("办公场地项目经费\t4.00") and first.line == 6


def test_pdf_with_text_layer(seed: ParsedFile) -> None:
    parsed = parse_file(FIXTURES / "seed.pdf")
    assert parsed.document.format == "pdf"
    assert (parsed.document.department, parsed.document.grand_total) == ("广州市白云区工商业联合会", 41.73)
    assert projects(parsed) == projects(seed)
    assert indicators(parsed) == indicators(seed)
    assert {r.page for r in parsed.records} == {1}
    assert all(w.message.startswith("第1页") for w in parsed.warnings if w.line)


def _write_csv(path: Path, rows: list[list[str]], encoding: str = "utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


def test_csv_single_value_column_fills_both_values(tmp_path: Path) -> None:
    path = _write_csv(tmp_path / "t.csv", [
        ["部门名称:测试局"],
        ["项目名称", "总计", "财政拨款", "一级指标", "二级指标", "三级指标", "指标值"],
        ["甲项目经费", "5.00", "5.00", "产出指标", "数量指标", "购置数", "2台"],
        ["", "", "", "", "时效指标", "支付及时率", "100%"],
        ["", "", "", "效益指标", "", "", ""],
    ])
    parsed = parse_file(path)
    assert [(i.level1, i.level2, i.indicator, i.period_value, i.annual_value) for i in parsed.indicators] == [
        ("产出指标", "数量指标", "购置数", "2台", "2台"),
        ("产出指标", "时效指标", "支付及时率", "100%", "100%"),
    ]
    # A row with only a category (a template listing 效益指标 with nothing under it): no record, one warning naming it.
    assert parsed.rows[5] == "blank"
    (empty,) = [w for w in parsed.warnings if w.kind == "empty_category"]
    assert empty.rows == (5,) and "效益指标" in empty.message


def test_csv_in_the_ocr_layout_goes_through_the_text_parser(tmp_path: Path, seed: ParsedFile) -> None:
    lines = SEED.read_text(encoding="utf-8").splitlines()
    rows = [line.split("\t") for line in lines[2:]]
    path = _write_csv(tmp_path / "packed.csv", [["部门名称:广州市白云区工商业联合会"], *rows], encoding="gb18030")
    parsed = parse_file(path)
    assert parsed.document.format == "csv" and parsed.document.encoding == "gb18030"
    assert projects(parsed) == projects(seed)
    assert indicators(parsed) == indicators(seed)


def test_xlsx_details(tmp_path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    cover = wb.active
    cover.title = "说明"
    cover["A1"] = "本表由财政局下发"
    ws = wb.create_sheet("2023年")
    ws.append(["部門名稱:測試局", None, None, "單位:萬元"])
    ws.append(["項目名稱", "總計", "財政撥款", "一級指標", "二級指標", "三級指標", "實施週期指標值", "年度指標值"])
    ws.append(["甲項目經費", 5, 5, "1-產出指標", "12-質量指標", "驗收合格率", 1, 0.95])
    ws["G3"].number_format = "0%"
    ws["H3"].number_format = "0%"
    ws.append(["項目名稱", "總計", "財政撥款", "一級指標", "二級指標", "三級指標", "實施週期指標值", "年度指標值"])  # repeated header
    ws.append([None, None, None, "3-滿意度指標", "31-服務對象滿意度指標", "群眾滿意度", "≥90%", "≥90%"])
    path = tmp_path / "t.xlsx"
    wb.save(path)
    parsed = parse_file(path)
    assert parsed.document.traditional and parsed.document.department == "测试局"
    assert [(i.sheet, i.line, i.level2, i.indicator, i.period_value, i.annual_value) for i in parsed.indicators] == [
        ("2023年", 3, "质量指标", "验收合格率", "100%", "95%"),
        ("2023年", 5, "服务对象满意度指标", "群众满意度", "≥90%", "≥90%"),
    ]
    assert parsed.projects[0].total == 5.0 and parsed.projects[0].project == "甲项目经费"
    assert any("说明" in w.message and "跳过" in w.message for w in parsed.warnings)


def test_fixture_script_rebuilds_spreadsheets_that_parse_the_same(tmp_path: Path, seed: ParsedFile) -> None:
    run = subprocess.run([sys.executable, "scripts/make_fixtures.py", "--out", str(tmp_path), "--no-pdf"],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    for name in ("seed.xlsx", "seed.csv", "seed_gbk.txt", "seed_traditional.txt"):
        parsed = parse_file(tmp_path / name)
        assert indicators(parsed) == indicators(seed), name
    for name in ("seed.csv", "seed_gbk.txt", "seed_traditional.txt", "seed_big5.txt", "seed_gb18030.txt"):
        assert (tmp_path / name).read_bytes() == (FIXTURES / name).read_bytes(), name


@pytest.mark.parametrize("name", ["seed.csv", "seed.xlsx", "seed.html", "seed.docx", "seed.pdf", "seed_big5.txt",
                                  "real_tables/hn_xiangtan_wupaoche_2023.txt", "real_tables/sc_jingyan_matazhen_2023.txt"])
def test_source_lines_show_the_row_a_citation_points_at(name: str) -> None:
    from ingest import source_lines

    path = FIXTURES / name
    parsed = parse_file(path)
    sheets = source_lines(path)
    for record in parsed.records:
        row = sheets[record.sheet][record.line]
        quote = record.text.splitlines()[0] if "\n" in record.text else record.text
        assert quote[:20] in row or row[:20] in quote, (record.line, row[:60], record.text[:60])
