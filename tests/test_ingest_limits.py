"""Every input is bounded: size, rows, cells and merged-range area (checked as declared, before
expanding), parse time, and the length of what gets embedded. Each limit is a setting; its
error names the file and the setting."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from errors import IngestError
from index.nodes import retrieval_text
from ingest import parse_file
from ingest.limits import Limits

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "data" / "2024_baiyun_gongshanglian_performance_targets.txt"
MB = 1024 * 1024


def merged_workbook(path: Path, ref: str) -> Path:
    """A tiny valid workbook (written by openpyxl) whose sheet declares one merged range `ref`.

    openpyxl itself would create a cell object for every cell of the range while writing it, so the
    range is put into the sheet's XML directly."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["项目名称", "总计", "一级指标", "二级指标", "三级指标", "指标值"])
    ws.append(["甲项目经费", 1, "产出指标", "数量指标", "购置数", "2台"])
    plain = path.with_name("plain.xlsx")
    wb.save(plain)
    with zipfile.ZipFile(plain) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                merge = f'<mergeCells count="1"><mergeCell ref="{ref}"/></mergeCells>'.encode()
                data = data.replace(b"</sheetData>", b"</sheetData>" + merge)
            zout.writestr(item, data)
    return path


PROBE = """
import json, resource, sys, time
t0 = time.perf_counter()
from ingest import parse_file
from errors import IngestError
start = time.perf_counter()
try:
    parsed = parse_file(sys.argv[1])
    outcome = {"indicators": len(parsed.indicators)}
except IngestError as exc:
    outcome = {"error": str(exc)}
outcome["seconds"] = time.perf_counter() - start
# ru_maxrss survives execve on Linux (a child forked from a big pytest reports the parent's peak), so
# the process's own high-water mark is read from /proc when there is one.
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
try:
    with open("/proc/self/status") as fh:
        peak = next(int(line.split()[1]) for line in fh if line.startswith("VmHWM:")) / 1024
except OSError:
    pass
outcome["peak_mb"] = peak
print(json.dumps(outcome, ensure_ascii=False))
"""


def probe(path: Path) -> dict:
    """Parse a file in a fresh process: its outcome, parse seconds and peak RSS (VmHWM, else ru_maxrss)."""
    run = subprocess.run([sys.executable, "-c", PROBE, str(path)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout.strip().splitlines()[-1])


def test_merge_bomb_is_refused_before_it_is_expanded(tmp_path: Path) -> None:
    path = merged_workbook(tmp_path / "bomb.xlsx", "A10:XFD1048576")
    assert path.stat().st_size < 10_000  # ~5 KB on disk, 17 billion cells declared
    got = probe(path)
    assert "error" in got, got
    assert got["error"].startswith("bomb.xlsx") and "A10:XFD1048576" in got["error"] and "JIXIAO_MAX_CELLS" in got["error"]
    assert got["peak_mb"] < 300, got
    assert got["seconds"] < 10, got


def test_a_large_but_allowed_merge_is_filled_only_where_there_is_data(tmp_path: Path) -> None:
    path = merged_workbook(tmp_path / "wide.xlsx", "A10:Z20000")  # 520k cells: under the limit
    got = probe(path)
    assert got.get("indicators") == 1, got
    assert got["peak_mb"] < 300 and got["seconds"] < 10, got


def test_declared_sheet_size_is_checked(tmp_path: Path) -> None:
    path = merged_workbook(tmp_path / "dim.xlsx", "A1:B2")
    with zipfile.ZipFile(path) as zf:
        items = {i.filename: zf.read(i.filename) for i in zf.infolist()}
    sheet = items["xl/worksheets/sheet1.xml"]
    start = sheet.index(b"<dimension")
    end = sheet.index(b"/>", start) + 2
    items["xl/worksheets/sheet1.xml"] = sheet[:start] + b'<dimension ref="A1:XFD1048576"/>' + sheet[end:]
    huge = tmp_path / "declared.xlsx"
    with zipfile.ZipFile(huge, "w") as zf:
        for name, data in items.items():
            zf.writestr(name, data)
    with pytest.raises(IngestError, match=r"declared\.xlsx: 工作表“Sheet”声明的范围有 \d+ 个单元格.*JIXIAO_MAX_CELLS"):
        parse_file(huge)


def test_file_size_limit(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match=r"2024_baiyun.*文件大小 .* MB 超过上限.*JIXIAO_MAX_FILE_MB"):
        parse_file(SEED, Limits(max_file_mb=0.001))


def test_rows_per_file_limit(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match=r"行数超过上限 5\(JIXIAO_MAX_ROWS\)"):
        parse_file(SEED, Limits(max_rows=5))
    path = tmp_path / "many.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["项目名称", "一级指标", "二级指标", "三级指标", "指标值"])
        w.writerows([["甲项目", "产出指标", "数量指标", f"指标{n}", "1个"] for n in range(50)])
    with pytest.raises(IngestError, match="JIXIAO_MAX_ROWS"):
        parse_file(path, Limits(max_rows=20))


def test_parse_time_budget(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match=r"解析超过 1e-06 秒仍未完成.*JIXIAO_PARSE_SECONDS"):
        parse_file(SEED, Limits(parse_seconds=1e-6))


def test_a_megabyte_cell_is_kept_for_quotes_but_cut_for_embedding(tmp_path: Path) -> None:
    lines = SEED.read_text(encoding="utf-8").splitlines()
    cells = lines[6].split("\t")
    cells[5] = "保障单位办公场所正常运行。" * 80_000  # ~1 MB goal
    lines[6] = "\t".join(cells)
    path = tmp_path / "long.txt"
    path.write_text("\n".join(lines), encoding="utf-8")
    got = probe(path)
    assert got.get("indicators") == 28 and got["seconds"] < 20, got
    parsed = parse_file(path, Limits(max_field_chars=500))
    project = parsed.projects[0]
    assert len(project.goal) > MB / 4 and "long_text" in project.flags
    assert len(retrieval_text(project)) < 3000  # the default JIXIAO_MAX_FIELD_CHARS is 2000 per field
    assert all("long_text" not in p.flags for p in parsed.projects[1:])


def test_a_long_space_separated_row_is_bounded(tmp_path: Path) -> None:
    path = tmp_path / "long_row.txt"
    path.write_text("部门名称:测试局 单位:万元 2024年\n项目名称 总计 一级指标 二级指标 三级指标 指标值\n"
                    "甲项目 1 产出指标 数量指标 " + "购置 " * 50_000 + "2台\n", encoding="utf-8")
    got = probe(path)
    assert got.get("indicators") == 1 and got["seconds"] < 20 and got["peak_mb"] < 300, got


def test_html_spans_are_bounded(tmp_path: Path) -> None:
    path = tmp_path / "spans.html"
    path.write_text(
        "<p>部门名称:测试局 单位:万元 2024年</p><table>"
        "<tr><td>项目名称</td><td>一级指标</td><td>二级指标</td><td>三级指标</td><td>指标值</td></tr>"
        "<tr><td rowspan='100000000'>甲项目</td><td colspan='100000000'>产出指标</td></tr>"
        "<tr><td>产出指标</td><td>数量指标</td><td>购置数</td><td>2台</td></tr></table>", encoding="utf-8")
    got = probe(path)
    assert ("error" in got and "JIXIAO_MAX_CELLS" in got["error"]) or got.get("indicators") is not None, got
    assert got["peak_mb"] < 300 and got["seconds"] < 10, got


def test_docx_grid_span_bomb_is_refused(tmp_path: Path) -> None:
    from docx import Document

    doc = Document()
    table = doc.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "项目名称"
    table.cell(0, 1).text = "三级指标"
    path = tmp_path / "span.docx"
    doc.save(str(path))
    with zipfile.ZipFile(path) as zf:
        items = {i.filename: zf.read(i.filename) for i in zf.infolist()}
    body = items["word/document.xml"]
    items["word/document.xml"] = body.replace(b"<w:tcPr>", b'<w:tcPr><w:gridSpan w:val="900000000"/>', 1)
    bomb = tmp_path / "bomb.docx"
    with zipfile.ZipFile(bomb, "w") as zf:
        for name, data in items.items():
            zf.writestr(name, data)
    got = probe(bomb)
    assert "error" in got and "JIXIAO_MAX_CELLS" in got["error"], got
    assert got["peak_mb"] < 300, got
