"""Write what the app shows to files people take away: CSV, XLSX and Markdown.

CSV is UTF-8 with a BOM so Excel opens Chinese text correctly; XLSX gets a bold, frozen
header row and readable column widths.

Table text comes from uploaded files, so a cell may be a planted formula
(`=HYPERLINK(...)`, `=cmd|' /C calc'!A0`). CSV text cells that a spreadsheet would read as a
formula (starting with = + - @, tab or CR) are prefixed with ' (the OWASP rule); XLSX text
cells are written as strings, never formulas. Numbers stay numbers.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from assistant.audit import Finding

FINDING_COLUMNS = ["文档", "部门", "年度", "级别", "检查项", "项目", "说明", "引用行"]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: Any) -> Any:
    """A cell value a spreadsheet cannot run: text that starts like a formula gets a leading '."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def export_path(directory: Path, stem: str, suffix: str) -> Path:
    """A new file name in `directory`: `<stem>-<timestamp>.<suffix>`, never an existing one."""
    directory.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    path = directory / f"{stem}-{stamp}.{suffix}"
    n = 2
    while path.exists():
        path = directory / f"{stem}-{stamp}-{n}.{suffix}"
        n += 1
    return path


def write_csv(path: Path, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> Path:
    """One header line, then the rows (UTF-8 with BOM)."""
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([csv_safe(h) for h in headers])
        writer.writerows([csv_safe(v) for v in row] for row in rows)
    return path


def write_xlsx(path: Path, sheets: Sequence[tuple[str, Sequence[str], Sequence[Sequence[Any]]]]) -> Path:
    """One worksheet per (title, headers, rows)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    wb.remove(wb.active)
    for title, headers, rows in sheets:
        ws = wb.create_sheet(title[:31])
        for r, row in enumerate([headers, *rows], 1):
            for c, value in enumerate(row, 1):
                cell = ws.cell(row=r, column=c)
                cell.value = "" if value is None else value
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # openpyxl makes "=…" a formula cell; a string cell is inert
        for cell in ws[1]:
            cell.font = Font(bold=True)
        ws.freeze_panes = "A2"
        for col, header in enumerate(headers, 1):
            values = [str(header), *(str(r[col - 1]) for r in rows[:200] if col - 1 < len(r))]
            width = max(len(v) for v in values) * 2 + 2  # CJK characters are double width
            ws.column_dimensions[get_column_letter(col)].width = min(max(width, 8), 60)
        for row in ws.iter_rows(min_row=2):
            for cell in row:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    wb.save(path)
    return path


# Characters that make Markdown out of text: a link or image planted in a table (`[x](http://…)`,
# `![x](…)`), HTML, emphasis, code. Text from the data is escaped so a viewer shows it as written.
_MARKDOWN = re.compile(r"([\\`*_\[\]<>#|~])")


def md_text(value: Any) -> str:
    """Text from the data (or a question) for a Markdown file: shown as written, never as markup."""
    return _MARKDOWN.sub(r"\\\1", " ".join(str(value or "").split()))


def finding_rows(findings: Sequence[Finding]) -> list[list[Any]]:
    """Findings as table rows in FINDING_COLUMNS order."""
    return [[f.source, f.department, f.year, f.severity, f.title, f.project, f.message, ";".join(f.cites())]
            for f in findings]


def findings_markdown(findings: Sequence[Finding], title: str = "审计检查结果") -> str:
    """A Markdown report: one section per document, one sub-section per check, rows cited."""
    lines = [f"# {title}", "", f"生成时间:{datetime.now():%Y-%m-%d %H:%M}", ""]
    if not findings:
        lines.append("没有发现问题。")
    for source in dict.fromkeys(f.source for f in findings):
        mine = [f for f in findings if f.source == source]
        first = mine[0]
        lines += [f"## {md_text(first.department)} {first.year}年({md_text(source)})", ""]
        for check in dict.fromkeys(f.title for f in mine):
            group = [f for f in mine if f.title == check]
            lines += [f"### {check}({group[0].severity},{len(group)}条)", ""]
            for f in group:
                lines.append(f"- {md_text(f.message)}")
                lines.extend(f"  - 引用:{md_text(c)}" for c in f.cites())
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def conversation_markdown(turns: Sequence[dict[str, Any]], title: str = "绩效问答对话记录") -> str:
    """A conversation as Markdown: each question, its answer, and the rows it cites.

    `turns` are `Answer.to_json()` objects, in order.
    """
    lines = [f"# {title}", "", f"导出时间:{datetime.now():%Y-%m-%d %H:%M}", ""]
    for n, t in enumerate(turns, 1):
        lines += [f"## {n}. {md_text(t['question'])}", ""]
        if t.get("resolved_question") and t["resolved_question"] != t["question"]:
            lines += [f"*理解为:{md_text(t['resolved_question'])}*", ""]
        lines += ["  \n".join(md_text(line) for line in str(t["answer"]).splitlines()), ""]
        if t.get("citations"):
            lines += ["**引用的原表行**", ""]
            for c in t["citations"]:
                what = c["project"] + (f" / {c['indicator']}" if c.get("indicator") else "(项目行)")
                category = f"({c['level1']}/{c['level2']})" if c.get("level1") else ""
                repaired = " · OCR已修复" if c.get("repaired") else ""
                lines.append(f"\\[{c['ref']}\\] {md_text(what)}{md_text(category)} — {md_text(c['source'])}:{c['line']}{repaired}")
                lines += [f"> {md_text(c.get('text'))}", ""]
    return "\n".join(lines).rstrip() + "\n"
