"""Build the small test fixtures in tests/fixtures/ from the seed table's content.

    .venv/bin/python scripts/make_fixtures.py [--out tests/fixtures] [--seed data/….txt]

- seed_gb18030.txt, seed_gbk.txt: the seed in GB18030, and in GBK (which has no `≪`: written `≤`);
- seed_traditional.txt (UTF-8) and seed_big5.txt: the seed in Traditional Chinese (opencc s2t);
- seed.xlsx: row per indicator, two-row header with merged group titles, merged project cells;
- seed.csv: row per indicator, one header row, blank cells meaning "same as above";
- seed.html: row per indicator in an HTML table, project cells and runs of 一级指标 as rowspans;
- seed.docx: the same as a Word table, with vertical merges (python-docx);
- seed.pdf: the seed's seven columns as a ruled table (fpdf2), with a CJK font found on this
  machine (WenQuanYi Micro Hei, else `fc-list :lang=zh`).

The XLSX and CSV carry the seed's parsed records (the spreadsheet form of the same table);
the text and PDF variants carry the seed's raw, OCR-damaged text.
"""

from __future__ import annotations

import argparse
import csv
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ingest import parse_file  # noqa: E402
from ingest.records import ParsedFile  # noqa: E402

SEED = ROOT / "data" / "2024_baiyun_gongshanglian_performance_targets.txt"
FONT_CANDIDATES = (
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
)
AMOUNT_HEADERS = ("总计", "财政拨款", "财政专户拨款", "其他资金")
INDICATOR_HEADERS = ("一级指标", "二级指标", "三级指标", "实施周期指标值", "年度指标值")


def write_text_variants(seed_text: str, out: Path) -> list[Path]:
    import opencc

    traditional = opencc.OpenCC("s2t").convert(seed_text)
    files = {
        "seed_gb18030.txt": seed_text.encode("gb18030"),
        "seed_gbk.txt": seed_text.replace("≪", "≤").encode("gbk"),
        "seed_traditional.txt": traditional.encode("utf-8"),
        # Big5 has neither ≤ nor ≥: Taiwanese texts write ≦ and ≧.
        "seed_big5.txt": opencc.OpenCC("s2tw").convert(seed_text).translate(str.maketrans("≪≤≥", "≦≦≧")).encode("big5"),
    }
    for name, data in files.items():
        (out / name).write_bytes(data)
    return [out / n for n in files]


def _rows(parsed: ParsedFile, *, codes: bool, repeat: bool) -> list[list[object]]:
    """Data rows, one per indicator: project cells only on a project's first row unless `repeat`."""
    rows: list[list[object]] = []
    doc = parsed.document
    rows.append(["合计", doc.grand_total, doc.grand_total, None, None, None, None, None, None, None, None])
    for unit, total in doc.subtotals.items():
        rows.append([unit, total, total, None, None, None, None, None, None, None, None])
    for project in parsed.projects:
        indicators = [i for i in parsed.indicators if i.project == project.project]
        previous_level1 = ""
        for n, ind in enumerate(indicators):
            first = n == 0
            level1 = f"{ind.level1_code}-{ind.level1}" if codes else ind.level1
            level2 = f"{ind.level2_code}-{ind.level2}" if codes else ind.level2
            head: list[object] = (
                [project.project, project.total, project.fiscal, project.special, project.other, project.goal]
                if first or repeat
                else [None] * 6
            )
            rows.append([
                *head,
                level1 if (level1 != previous_level1 or repeat) else None,
                level2,
                ind.indicator,
                ind.period_value,
                ind.annual_value,
            ])
            previous_level1 = level1
    return rows


def write_xlsx(parsed: ParsedFile, path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment

    wb = Workbook()
    ws = wb.active
    ws.title = "绩效目标表"
    width = 11
    ws.cell(1, 1, f"{parsed.document.year}年项目支出绩效目标表")
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    ws.cell(2, 1, f"部门名称:{parsed.document.department}")
    ws.cell(2, 10, "单位:万元")
    # Two header rows: group titles over merged cells, column titles below.
    ws.cell(3, 1, "项目名称(资金使用单位)")
    ws.merge_cells(start_row=3, start_column=1, end_row=4, end_column=1)
    ws.cell(3, 2, "资金(万元)")
    ws.merge_cells(start_row=3, start_column=2, end_row=3, end_column=5)
    ws.cell(3, 6, "绩效目标")
    ws.merge_cells(start_row=3, start_column=6, end_row=4, end_column=6)
    ws.cell(3, 7, "绩效指标")
    ws.merge_cells(start_row=3, start_column=7, end_row=3, end_column=11)
    for col, title in enumerate(AMOUNT_HEADERS, start=2):
        ws.cell(4, col, title)
    for col, title in enumerate(INDICATOR_HEADERS, start=7):
        ws.cell(4, col, title)
    rows = _rows(parsed, codes=True, repeat=True)
    start = 5
    for r, row in enumerate(rows, start=start):
        for c, value in enumerate(row, start=1):
            if value is not None:
                ws.cell(r, c, value).alignment = Alignment(wrap_text=True, vertical="top")
    # Merge each project's cells (name, amounts, goal) and runs of equal 一级指标 vertically.
    r = start
    while r < start + len(rows):
        end = r
        while end + 1 < start + len(rows) and rows[end + 1 - start][0] == rows[r - start][0] and rows[r - start][6]:
            end += 1
        if end > r:
            for c in range(1, 7):
                ws.merge_cells(start_row=r, start_column=c, end_row=end, end_column=c)
            s = r
            while s <= end:
                e = s
                while e + 1 <= end and rows[e + 1 - start][6] == rows[s - start][6]:
                    e += 1
                if e > s:
                    ws.merge_cells(start_row=s, start_column=7, end_row=e, end_column=7)
                s = e + 1
        r = end + 1
    wb.save(path)


def write_csv(parsed: ParsedFile, path: Path) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow([f"{parsed.document.year}年项目支出绩效目标表"])
        w.writerow([f"部门名称:{parsed.document.department}", "", "", "", "单位:万元"])
        w.writerow(["项目名称", *AMOUNT_HEADERS, "绩效目标", *INDICATOR_HEADERS])
        for row in _rows(parsed, codes=False, repeat=False):
            w.writerow(["" if v is None else (f"{v:.2f}" if isinstance(v, float) else v) for v in row])


def _spans(rows: list[list[object]]) -> list[list[tuple[str, int] | None]]:
    """Cells as (text, rowspan) on the first row of a run, None below it: a project's cells and runs of 一级指标."""
    out: list[list[tuple[str, int] | None]] = [[("" if v is None else (f"{v:.2f}" if isinstance(v, float) else str(v)), 1)
                                                 for v in row] for row in rows]
    for col in range(7):
        r = 0
        while r < len(rows):
            end = r
            same_project = lambda a, b: rows[a][0] == rows[b][0] and rows[a][6] is not None  # noqa: E731
            while end + 1 < len(rows) and same_project(end + 1, r) and (col < 6 or rows[end + 1][6] == rows[r][6]):
                end += 1
            if end > r:
                text, _ = out[r][col]  # type: ignore[misc]
                out[r][col] = (text, end - r + 1)
                for k in range(r + 1, end + 1):
                    out[k][col] = None
            r = end + 1
    return out


def write_html(parsed: ParsedFile, path: Path) -> None:
    import html

    rows = _rows(parsed, codes=False, repeat=True)
    header = ["项目名称", *AMOUNT_HEADERS, "绩效目标", *INDICATOR_HEADERS]
    parts = ["<!DOCTYPE html>", "<html><head><meta charset=\"utf-8\"><title>绩效目标表</title></head><body>",
             f"<h3>{parsed.document.year}年项目支出绩效目标表</h3>",
             f"<p>部门名称:{html.escape(parsed.document.department)} 单位:万元</p>", "<table border=\"1\">",
             "<tr>" + "".join(f"<th>{h}</th>" for h in header) + "</tr>"]
    for cells in _spans(rows):
        tds = "".join(f"<td rowspan=\"{span}\">{html.escape(text)}</td>" if span > 1 else f"<td>{html.escape(text)}</td>"
                      for cell in cells if cell is not None for text, span in [cell])
        parts.append(f"<tr>{tds}</tr>")
    parts += ["</table>", "<p>扫一扫在手机打开当前页</p>", "</body></html>"]
    path.write_text("\n".join(parts) + "\n", encoding="utf-8")


def write_docx(parsed: ParsedFile, path: Path) -> None:
    from docx import Document

    rows = _rows(parsed, codes=True, repeat=True)
    header = ["项目名称", *AMOUNT_HEADERS, "绩效目标", *INDICATOR_HEADERS]
    doc = Document()
    doc.add_paragraph(f"{parsed.document.year}年项目支出绩效目标表")
    doc.add_paragraph(f"部门名称:{parsed.document.department}    单位:万元")
    table = doc.add_table(rows=len(rows) + 1, cols=len(header))
    for c, title in enumerate(header):
        table.cell(0, c).text = title
    for r, cells in enumerate(_spans(rows), start=1):
        for c, cell in enumerate(cells):
            if cell is None:
                continue
            text, span = cell
            if span > 1:
                table.cell(r, c).merge(table.cell(r + span - 1, c))
            table.cell(r, c).text = text
    doc.core_properties.created = doc.core_properties.modified = __import__("datetime").datetime(2024, 1, 1)
    doc.save(str(path))


def find_cjk_font() -> tuple[Path, int] | None:
    """A TrueType font with Chinese glyphs: (path, index in a collection)."""
    for path in FONT_CANDIDATES:
        if path.exists():
            return path, 0
    try:
        out = subprocess.run(["fc-list", ":lang=zh", "file"], capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    for line in out.splitlines():
        path = Path(line.split(":")[0].strip())
        if path.suffix.lower() in (".ttf", ".ttc", ".otf") and path.exists():
            return path, 0
    return None


def write_pdf(seed_text: str, path: Path) -> None:
    from fpdf import FPDF

    font = find_cjk_font()
    if font is None:
        raise SystemExit("没有找到中文字体: 请安装 fonts-wqy-microhei (apt-get install fonts-wqy-microhei)")
    lines = seed_text.splitlines()
    header_line = next(line for line in lines if line.startswith("项目名称"))
    start = lines.index(header_line)
    rows = [header_line.split("\t")] + [line.split("\t") for line in lines[start + 1 :] if line.strip()]
    pdf = FPDF(orientation="L", format="A4")
    pdf.set_margins(8, 8, 8)
    pdf.set_auto_page_break(True, margin=8)
    pdf.add_font("cjk", "", str(font[0]), collection_font_number=font[1])
    pdf.add_font("cjk", "B", str(font[0]), collection_font_number=font[1])
    pdf.set_font("cjk", size=10)
    pdf.add_page()
    pdf.cell(0, 7, "2024年项目支出绩效目标表", new_x="LMARGIN", new_y="NEXT", align="C")
    pdf.set_font("cjk", size=8)
    pdf.cell(0, 6, lines[0].strip(), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", size=6)
    widths = (26, 12, 12, 14, 12, 60, 145)
    with pdf.table(col_widths=widths, text_align="LEFT", line_height=2.8, first_row_as_headings=True) as table:
        for cells in rows:
            cells = (cells + [""] * 7)[:7]
            row = table.row()
            for cell in cells:
                row.cell(cell.strip())
    pdf.output(str(path))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="生成测试用样例文件(由种子表生成)")
    parser.add_argument("--out", type=Path, default=ROOT / "tests" / "fixtures")
    parser.add_argument("--seed", type=Path, default=SEED)
    parser.add_argument("--no-pdf", action="store_true", help="不生成 PDF(没有中文字体时)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    seed_text = args.seed.read_text(encoding="utf-8")
    parsed = parse_file(args.seed)
    made = write_text_variants(seed_text, args.out)
    write_xlsx(parsed, args.out / "seed.xlsx")
    write_csv(parsed, args.out / "seed.csv")
    write_html(parsed, args.out / "seed.html")
    write_docx(parsed, args.out / "seed.docx")
    made += [args.out / "seed.xlsx", args.out / "seed.csv", args.out / "seed.html", args.out / "seed.docx"]
    if not args.no_pdf:
        write_pdf(seed_text, args.out / "seed.pdf")
        made.append(args.out / "seed.pdf")
    for path in made:
        print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}\t{path.stat().st_size} 字节")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
