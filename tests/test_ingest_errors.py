"""Bad input: one clear IngestError naming the file (and line/sheet) and what was expected; the batch goes on."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from errors import IngestError
from ingest import parse_file, parse_files, parse_text

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "data" / "2024_baiyun_gongshanglian_performance_targets.txt"
SEED_TEXT = SEED.read_text(encoding="utf-8")


def empty(tmp: Path) -> Path:
    path = tmp / "empty.txt"
    path.write_bytes(b"  \n")
    return path


def binary(tmp: Path) -> Path:
    path = tmp / "binary.txt"
    path.write_bytes(bytes(range(256)) * 4)
    return path


def wrong_encoding(tmp: Path) -> Path:
    path = tmp / "sjis.txt"
    path.write_bytes("部門名：総務課\t項目名称\tこれは日本語のテキストです。予算の説明。\n".encode("shift_jis") * 5)
    return path


def truncated_row(tmp: Path) -> Path:
    lines = SEED_TEXT.splitlines()
    lines[-1] = "\t".join(lines[-1].split("\t")[:6])[:40]  # the last row stops inside its goal
    path = tmp / "truncated.txt"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def no_indicator_column(tmp: Path) -> Path:
    lines = ["\t".join(line.split("\t")[:6]) for line in SEED_TEXT.splitlines()]
    path = tmp / "no_indicators.txt"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def xlsx_without_header(tmp: Path) -> Path:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "数据"
    ws.append(["编号", "名称", "金额"])
    ws.append([1, "办公场地", 4.0])
    path = tmp / "no_header.xlsx"
    wb.save(path)
    return path


def xlsx_without_indicator_columns(tmp: Path) -> Path:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["项目名称", "总计", "财政拨款", "绩效目标"])
    ws.append(["办公场地项目经费", 4.0, 4.0, "保障运行"])
    path = tmp / "no_indicators.xlsx"
    wb.save(path)
    return path


def not_a_workbook(tmp: Path) -> Path:
    path = tmp / "fake.xlsx"
    path.write_text("项目名称,总计", encoding="utf-8")
    return path


def not_a_pdf(tmp: Path) -> Path:
    path = tmp / "fake.pdf"
    path.write_bytes(b"%PDF-1.4\n garbage garbage")
    return path


def pdf_without_text(tmp: Path) -> Path:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.rect(10, 10, 100, 50)  # a scan would be an image: no characters either way
    path = tmp / "scan.pdf"
    pdf.output(str(path))
    return path


def csv_without_header(tmp: Path) -> Path:
    path = tmp / "plain.csv"
    path.write_text("a,b,c\n1,2,3\n", encoding="utf-8")
    return path


def unsupported(tmp: Path) -> Path:
    path = tmp / "table.odt"
    path.write_bytes(b"PK\x03\x04")
    return path


def broken_docx(tmp: Path) -> Path:
    path = tmp / "table.docx"
    path.write_bytes(b"PK\x03\x04")
    return path


def text_without_a_table(tmp: Path) -> Path:
    path = tmp / "notes.txt"
    path.write_text("会议纪要\n今天讨论了预算安排。\n下次会议时间待定。\n", encoding="utf-8")
    return path


CASES: list[tuple[Callable[[Path], Path], int | None, tuple[str, ...]]] = [
    (empty, None, ("文件为空", "项目支出绩效目标表")),
    (binary, None, ("二进制文件", "txt/csv/xlsx/docx/html/pdf")),
    (wrong_encoding, None, ("无法识别文件编码", "UTF-8、GBK/GB18030 或 Big5")),
    (truncated_row, 13, ("“信创工作经费”行被截断", "应为7列", "绩效指标")),
    (no_indicator_column, 4, ("没有“绩效指标”列", "项目名称、总计、财政拨款、财政专户拨款、其他资金、绩效目标、绩效指标")),
    (xlsx_without_header, None, ("工作表“数据”", "没有可识别的表头", "一级指标、二级指标、三级指标")),
    (xlsx_without_indicator_columns, 1, ("工作表“Sheet”", "没有“绩效指标”列", "三级指标")),
    (not_a_workbook, None, ("不是有效的 XLSX 文件",)),
    (not_a_pdf, None, ("不是有效的 PDF 文件", "带文字层")),
    (pdf_without_text, None, ("没有文字层", "OCR")),
    (csv_without_header, None, ("没有可识别的表头", "项目名称")),
    (unsupported, None, ("不支持的文件类型“.odt”", "xlsx", "docx", "html")),
    (broken_docx, None, ("不是有效的 DOCX 文件",)),
    (text_without_a_table, None, ("没有可识别的表头", "一级指标", "项目名称", "整体支出", "自评表")),
]


@pytest.mark.parametrize(("make", "line", "words"), CASES, ids=[c[0].__name__ for c in CASES])
def test_bad_input_gives_one_clear_error_and_the_batch_goes_on(
    tmp_path: Path, make: Callable[[Path], Path], line: int | None, words: tuple[str, ...]
) -> None:
    bad = make(tmp_path)
    with pytest.raises(IngestError) as info:
        parse_file(bad)
    message = str(info.value)
    assert message.startswith(bad.name), message
    for word in words:
        assert word in message, message
    assert info.value.line == line
    if line:
        assert f"第{line}行" in message

    parsed, errors = parse_files([bad, SEED])
    assert [p.document.source for p in parsed] == [SEED.name]
    assert len(parsed[0].indicators) == 28
    assert [e.source for e in errors] == [bad.name]


def test_missing_file_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match=r"missing\.txt: 无法读取文件"):
        parse_file(tmp_path / "missing.txt")


def test_short_subtotal_row_is_not_a_truncated_project() -> None:
    # A funding unit's subtotal row may end right after its amounts: it is not truncated.
    lines = SEED_TEXT.splitlines()
    lines[5] = "广州市白云区工商业联合会\t41. 73\t41.73"
    parsed = parse_text("\n".join(lines), "t.txt")
    assert parsed.document.subtotals == {"广州市白云区工商业联合会": 41.73}


def test_header_without_indicator_title_but_with_indicator_content_still_parses() -> None:
    lines = SEED_TEXT.splitlines()
    lines[3] = lines[3].replace("\t绩效指标", "")  # the title was lost, the cells are there
    parsed = parse_text("\n".join(lines), "t.txt")
    assert len(parsed.indicators) == 28
