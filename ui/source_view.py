"""The shared source view: where a record comes from, and its line in the source file with the
quoted span highlighted (the lines come from the document library: its stored copy, or data/).
Every piece of data is HTML-escaped here; nothing from a table is markup.
"""

from __future__ import annotations

import html

from assistant.audit import FIELD_LABELS
from index.library import Library
from ingest.records import Indicator, Record

CONTEXT_LINES = 2
SNIPPET_MARGIN = 40
LONG_LINE = 160
YES, NO = "是", "否"
SEP = "<span class='sep' aria-hidden='true'>│</span>"


def where(record: Record) -> str:
    """`file:line`, with the worksheet or page when there is one."""
    extra = f" 工作表“{record.sheet}”" if record.sheet else (f" 第{record.page}页" if record.page else "")
    return f"{record.source}:{record.line}{extra}"


def what(record: Record) -> str:
    """`项目 / 指标`, or `项目(项目行)` for a project row."""
    return f"{record.project} / {record.indicator}" if isinstance(record, Indicator) else f"{record.project}(项目行)"


def repairs_text(record: Record) -> str:
    return ";".join(f"{FIELD_LABELS.get(x.field, x.field)}“{x.original}”→“{x.repaired}”({x.reason})"
                    for x in record.repairs)


def repaired_cell(record: Record) -> str:
    """是(字段、字段) or 否."""
    if not record.repairs:
        return NO
    fields = "、".join(dict.fromkeys(FIELD_LABELS.get(x.field, x.field) for x in record.repairs))
    return f"{YES}({fields})"


def _fmt(text: str) -> str:
    return html.escape(text).replace("\t", SEP)


def marked(line: str, span: str) -> str:
    """The line as HTML with the quoted span highlighted: the exact text, else the row's matching
    cells (spreadsheets quote a row with its merged cells filled in), else the whole line."""
    span = span.strip()
    if span and span in line:
        a = line.index(span)
        return f"{_fmt(line[:a])}<mark>{_fmt(span)}</mark>{_fmt(line[a + len(span):])}"
    if "\t" in line:
        wanted = {c.strip() for c in span.split("\t") if c.strip()}
        cells = line.split("\t")
        if wanted & {c.strip() for c in cells}:
            return SEP.join(f"<mark>{_fmt(c)}</mark>" if c.strip() in wanted else _fmt(c) for c in cells)
    return f"<mark>{_fmt(line)}</mark>"


def context_html(library: Library, record: Record | None, around: int = CONTEXT_LINES) -> str:
    """The record's source line with `around` lines either side; the quoted span highlighted."""
    if record is None:
        return "<div class='src'><p class='meta'>选择表格中的一行,查看它在原文件中的位置。</p></div>"
    head = f"<p class='meta'><b>{html.escape(what(record))}</b> — <code>{html.escape(where(record))}</code></p>"
    if record.repairs:
        head += f"<p class='meta'>OCR已修复:{html.escape(repairs_text(record))}</p>"
    lines = library.source_lines(record)
    if lines is None or record.line not in lines:
        body = ("<p class='meta'>原文件不在本机(已移除或未保留),以下为索引中保存的原文:</p>"
                f"<table><tr class='hit'><td class='n'>{record.line}</td><td>{marked(record.text, record.text)}</td></tr></table>")
        return f"<div class='src'>{head}{body}</div>"
    numbers = sorted(lines)
    at = numbers.index(record.line)
    rows = []
    for n in numbers[max(0, at - around): at + around + 1]:
        text = lines[n]
        if n == record.line:
            rows.append(f"<tr class='hit'><td class='n'>{n}</td><td>{marked(text, record.text)}</td></tr>")
        else:
            short = text if len(text) <= LONG_LINE else text[:LONG_LINE] + "…"
            rows.append(f"<tr><td class='n'>{n}</td><td>{_fmt(short)}</td></tr>")
    return f"<div class='src'>{head}<table>{''.join(rows)}</table></div>"


def snippet_html(library: Library, record: Record, margin: int = SNIPPET_MARGIN) -> str:
    """The quoted span highlighted inside a little of its source line."""
    lines = library.source_lines(record)
    line = lines.get(record.line, "") if lines else ""
    span = record.text.strip()
    if not line or span not in line:
        return f"<mark>{html.escape(span)}</mark>"
    a = line.index(span)
    left = line[max(0, a - margin):a]
    right = line[a + len(span): a + len(span) + margin]
    dots_l = "…" if a > margin else ""
    dots_r = "…" if a + len(span) + margin < len(line) else ""
    return (f"<span class='snip'>{dots_l}{html.escape(left)}</span><mark>{html.escape(span)}</mark>"
            f"<span class='snip'>{html.escape(right)}{dots_r}</span>").replace("\t", " ")
