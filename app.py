"""绩效问答 — the Gradio app: chat with cited rows, and the auditors' tools.

Tabs: 问答 (chat; every [n] is a row of the cited-rows panel), 指标浏览 (every indicator:
filter, search, sort, export, source line in context), 审计检查 (projects × categories
matrix and the checks of assistant/audit.py, export), 文档管理 (upload with progress,
list, remove). Callbacks are plain functions of the assistant and their inputs, so tests
call them without a browser.

Run: `python app.py` (builds the index from data/ first if it is empty). Binds to
127.0.0.1:7860 unless JIXIAO_HOST / JIXIAO_PORT say otherwise.
"""

from __future__ import annotations

import html
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

from settings import Settings, configure_caches

configure_caches(Settings())

import gradio as gr  # noqa: E402
import pandas as pd  # noqa: E402

from assistant import Answer, Assistant, DialogueState, audit  # noqa: E402
from assistant import export as ex  # noqa: E402
from assistant.retrieve import Filters, search  # noqa: E402
from errors import IndexMissingError, IngestError  # noqa: E402
from index import open_index  # noqa: E402
from index.store import Catalog, FileReport  # noqa: E402
from ingest import SUPPORTED_SUFFIXES  # noqa: E402
from ingest.records import Indicator, ParseWarning, Record, stable_id  # noqa: E402
from ingest.taxonomy import LEVEL1, LEVEL2  # noqa: E402

TITLE = "绩效问答"
EXAMPLES = [
    "扶贫工作经费的社会效益指标是什么",
    "信创经费买几台电脑",
    "哪些项目设置了满意度指标",
    "哪个项目预算最多",
    "政府雇员工资经费有满意度指标吗",
]
ALL = "全部"
EMPTY = "(未填写)"
YES, NO = "是", "否"
CITED_COLUMNS = ["编号", "项目", "类别", "指标", "实施周期指标值", "年度指标值", "来源", "OCR已修复"]
BROWSE_COLUMNS = ["部门", "年度", "项目", "一级指标", "二级指标", "指标", "实施周期指标值", "年度指标值", "OCR已修复", "来源"]
FILTER_COLUMNS = BROWSE_COLUMNS[:9]
CITED_WIDTHS = ["6%", "12%", "13%", "13%", "18%", "18%", "13%", "7%"]
BROWSE_WIDTHS = ["10%", "5%", "10%", "7%", "9%", "12%", "14%", "14%", "6%", "13%"]
RELEVANCE = "相关度(有检索词时)/原表顺序"
FINDING_TABLE_COLUMNS = ["级别", "检查项", "项目", "说明", "引用行"]
DOCUMENT_COLUMNS = ["文件", "部门", "年度", "项目数", "指标数", "修复字段", "警告数", "导入时间"]
REPORT_COLUMNS = ["文件", "结果", "项目数", "指标数", "修复字段", "警告数", "说明"]
STATUS_WORDS = {"added": "已导入", "updated": "已更新(替换同名文档)", "unchanged": "内容未变,跳过", "error": "导入失败"}
# The four formats people know first, then the other spellings ingest reads.
_FIRST = (".txt", ".csv", ".xlsx", ".pdf")
UPLOAD_SUFFIXES = (*(s for s in _FIRST if s in SUPPORTED_SUFFIXES), *sorted(SUPPORTED_SUFFIXES - {"", *_FIRST}))
MAX_UPLOAD_MB = 20
MAX_UPLOAD_FILES = 20
# Search-box matches in 指标浏览: rows whose BM25 score is at least LEXICAL_SHARE of the best one,
# plus the DENSE_KEEP nearest by meaning (e5 similarities are too compressed for a fixed threshold).
LEXICAL_SHARE = 0.2
DENSE_KEEP = 3
CONTEXT_LINES = 2
SNIPPET_MARGIN = 40
CSS = """
.quote mark, .src mark { background: #ffe066; padding: 0 2px; border-radius: 2px; }
.quote { font-size: 0.92em; border-left: 3px solid #9db4ff; padding: 2px 0 2px 8px; margin: 6px 0; }
.quote .snip { color: #555; }
.src table { border-collapse: collapse; width: 100%; font-size: 0.9em; }
.src td { vertical-align: top; padding: 3px 6px; border-bottom: 1px solid #eee; white-space: pre-wrap; word-break: break-all; }
.src td.n { color: #888; text-align: right; width: 3.5em; white-space: nowrap; }
.src tr.hit td { background: #fff8d6; }
.src .sep { color: #bbb; padding: 0 3px; }
.src .meta { color: #555; margin: 4px 0; }
#cited td, #browse-table td, #audit-findings td, #doc-table td, #upload-report td { overflow-wrap: anywhere; }
"""


# -- source files ------------------------------------------------------------------------------
def uploads_dir(settings: Settings) -> Path:
    """Where uploaded files are kept, so their source lines can be shown later."""
    return settings.home / "uploads"


def source_path(settings: Settings, source: str) -> Path | None:
    """The file a document was read from: an upload, else the data directory."""
    name = Path(source).name
    for folder in (uploads_dir(settings), settings.data_dir):
        path = folder / name
        if path.is_file():
            return path
    return None


def _read_lines(path: Path) -> dict[str, dict[int, str]]:
    """sheet ("" unless XLSX) -> line (as records cite it) -> row text, cells joined by tabs."""
    suffix = path.suffix.lower()
    if suffix in (".csv", ".xlsx", ".xlsm"):
        from ingest.reader import read_bytes
        from ingest.tabular import read_csv, read_xlsx

        grids = [read_csv(read_bytes(path), path.name)[0]] if suffix == ".csv" else read_xlsx(path)
        return {g.name: {n: "\t".join(cells).rstrip("\t") for n, cells in g.rows} for g in grids}
    if suffix == ".pdf":
        from ingest.pdf import extract_lines

        lines, _pages = extract_lines(path)
    else:
        from ingest.reader import detect, read_bytes

        lines = detect(read_bytes(path), path.name)[0].splitlines()
    return {"": dict(enumerate(lines, 1))}


@lru_cache(maxsize=32)
def _cached_lines(path: str, mtime: float) -> dict[str, dict[int, str]]:
    return _read_lines(Path(path))


def source_lines(settings: Settings, record: Record) -> dict[int, str] | None:
    """The lines of the record's source file (its worksheet for XLSX), or None when unavailable."""
    path = source_path(settings, record.source)
    if path is None:
        return None
    try:
        sheets = _cached_lines(str(path), path.stat().st_mtime)
    except (IngestError, OSError, ValueError):
        return None
    return sheets.get(record.sheet) or (next(iter(sheets.values())) if len(sheets) == 1 else None)


def _marked(line: str, span: str) -> str:
    """The line as HTML with the quoted span highlighted: the exact text, else the row's matching
    cells (spreadsheets quote a row with its merged cells filled in), else the whole line."""
    def fmt(text: str) -> str:
        return html.escape(text).replace("\t", "<span class='sep'>│</span>")

    span = span.strip()
    if span and span in line:
        a = line.index(span)
        return f"{fmt(line[:a])}<mark>{fmt(span)}</mark>{fmt(line[a + len(span):])}"
    if "\t" in line:
        wanted = {c.strip() for c in span.split("\t") if c.strip()}
        cells = line.split("\t")
        if wanted & {c.strip() for c in cells}:
            return "<span class='sep'>│</span>".join(f"<mark>{fmt(c)}</mark>" if c.strip() in wanted else fmt(c)
                                                      for c in cells)
    return f"<mark>{fmt(line)}</mark>"


def where(record: Record) -> str:
    """`file:line`, with the worksheet or page when there is one."""
    extra = f" 工作表“{record.sheet}”" if record.sheet else (f" 第{record.page}页" if record.page else "")
    return f"{record.source}:{record.line}{extra}"


def repairs_text(record: Record) -> str:
    return ";".join(f"{audit.FIELD_LABELS.get(x.field, x.field)}“{x.original}”→“{x.repaired}”({x.reason})"
                    for x in record.repairs)


def source_context_html(settings: Settings, record: Record | None, around: int = CONTEXT_LINES) -> str:
    """The record's source line with `around` lines either side; the quoted span highlighted."""
    if record is None:
        return "<div class='src'><i>选择表格中的一行,查看它在原文件中的位置。</i></div>"
    what = f"{record.project} / {record.indicator}" if isinstance(record, Indicator) else f"{record.project}(项目行)"
    head = f"<div class='meta'><b>{html.escape(what)}</b> — <code>{html.escape(where(record))}</code></div>"
    if record.repairs:
        head += f"<div class='meta'>OCR已修复:{html.escape(repairs_text(record))}</div>"
    lines = source_lines(settings, record)
    if lines is None or record.line not in lines:
        body = (f"<div class='meta'>原文件不在本机(已移除或未保留),以下为索引中保存的原文:</div>"
                f"<table><tr class='hit'><td class='n'>{record.line}</td><td>{_marked(record.text, record.text)}</td></tr></table>")
        return f"<div class='src'>{head}{body}</div>"
    numbers = sorted(lines)
    at = numbers.index(record.line)
    rows = []
    for n in numbers[max(0, at - around): at + around + 1]:
        text = lines[n]
        if n == record.line:
            rows.append(f"<tr class='hit'><td class='n'>{n}</td><td>{_marked(text, record.text)}</td></tr>")
        else:
            short = text if len(text) <= 160 else text[:160] + "…"
            rows.append(f"<tr><td class='n'>{n}</td><td>{html.escape(short).replace(chr(9), ' │ ')}</td></tr>")
    return f"<div class='src'>{head}<table>{''.join(rows)}</table></div>"


def quote_snippet(settings: Settings, record: Record, margin: int = SNIPPET_MARGIN) -> str:
    """The quoted span highlighted inside a little of its source line (HTML)."""
    lines = source_lines(settings, record)
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


# -- 问答 ------------------------------------------------------------------------------------------
def repaired_cell(r: Record) -> str:
    if not r.repairs:
        return NO
    fields = "、".join(dict.fromkeys(audit.FIELD_LABELS.get(x.field, x.field) for x in r.repairs))
    return f"{YES}({fields})"


def row_cells(r: Record) -> list[Any]:
    """A cited row: 项目, 类别, 指标, 实施周期指标值, 年度指标值, 来源, OCR已修复 (CITED_COLUMNS after 编号)."""
    if isinstance(r, Indicator):
        category = f"{r.level1}/{r.level2}" if r.level2 else r.level1
        return [r.project, category, r.indicator, r.period_value, r.annual_value, where(r), repaired_cell(r)]
    amount = f"预算 {r.total:.2f}万元" if r.total is not None else ""
    return [r.project, "项目行", amount, "", "", where(r), repaired_cell(r)]


def quotes_html(settings: Settings, records: list[Record]) -> str:
    """Each cited row, numbered as in the answer: what it is, where, and its span in context."""
    if not records:
        return ""
    parts = ["<div class='meta'>引用的原文(黄色为引用的片段;点击上表中的行查看前后文):</div>"]
    for n, r in enumerate(records, 1):
        what = (f"{r.project} / {r.indicator}({r.level2 or r.level1})" if isinstance(r, Indicator)
                else f"{r.project}(项目行)")
        note = f" · OCR已修复:{html.escape(repairs_text(r))}" if r.repaired else ""
        parts.append(f"<div class='quote'><b>[{n}]</b> {html.escape(what)} — <code>{html.escape(where(r))}</code>{note}"
                     f"<br>{quote_snippet(settings, r)}</div>")
    return "".join(parts)


@dataclass
class ChatTurn:
    """What the UI shows for one answered message."""

    history: list[dict[str, str]]
    understood: str
    cited: list[list[Any]]
    quotes: str
    citations: list[Record] = field(default_factory=list)
    record: dict[str, Any] | None = None  # Answer.to_json(), for the conversation export


def chat_turn(assistant: Assistant, message: str, history: list[dict[str, str]], state: DialogueState) -> ChatTurn:
    """Answer one chat message in the conversation `state` (updated in place)."""
    message = (message or "").strip()
    if not message:
        return ChatTurn(history, "", [], "")
    try:
        answer: Answer = assistant.ask(message, state)
    except IndexMissingError:
        text = "索引中还没有任何表格。请先在“文档管理”中上传并导入项目支出绩效目标表。"
        history = [*history, {"role": "user", "content": message}, {"role": "assistant", "content": text}]
        return ChatTurn(history, "", [], "")
    understood = f"理解为:{answer.resolved_question}" if answer.resolved_question != answer.question else ""
    history = [*history, {"role": "user", "content": message}, {"role": "assistant", "content": answer.answer}]
    cited = [[n, *row_cells(r)] for n, r in enumerate(answer.citations, 1)]
    settings = assistant.index.settings
    return ChatTurn(history, understood, cited, quotes_html(settings, answer.citations), list(answer.citations),
                    answer.to_json())


def cited_context(assistant: Assistant, ids: list[str], row: Sequence[Any]) -> str:
    """The source context of a clicked cited row; `ids` are the cited record ids, row[0] its 编号."""
    n = int(row[0]) if row and str(row[0]).isdigit() else 0
    record = assistant.index.catalog.by_id.get(ids[n - 1]) if 0 < n <= len(ids) else None
    return source_context_html(assistant.index.settings, record)


def export_conversation(assistant: Assistant, turns: list[dict[str, Any]]) -> Path | None:
    """The conversation so far as a Markdown file with every answer's citations; None when empty."""
    if not turns:
        return None
    path = ex.export_path(assistant.index.settings.reports_dir / "exports", "对话记录", "md")
    path.write_text(ex.conversation_markdown(turns), encoding="utf-8")
    return path


# -- 指标浏览 --------------------------------------------------------------------------------------
def browse_key(r: Indicator, column: str) -> str:
    """The text a browse column shows for a row, as filters match it."""
    values = {
        "部门": r.department, "年度": str(r.year) if r.year else "", "项目": r.project, "一级指标": r.level1,
        "二级指标": r.level2, "指标": r.indicator, "实施周期指标值": r.period_value, "年度指标值": r.annual_value,
        "OCR已修复": YES if r.repaired else NO, "来源": where(r),
    }
    return values[column]


def browse_cells(r: Indicator) -> list[Any]:
    cells = [browse_key(r, c) for c in BROWSE_COLUMNS]
    cells[BROWSE_COLUMNS.index("OCR已修复")] = repaired_cell(r)
    return cells


def filter_choices(catalog: Catalog) -> dict[str, list[str]]:
    """Each filter column's values (全部 first; empty cells as 未填写)."""
    out: dict[str, list[str]] = {}
    for column in FILTER_COLUMNS:
        values = {browse_key(r, column) or EMPTY for r in catalog.indicators}
        ordered = sorted(values, key=lambda v: (v == EMPTY, v))
        if column == "一级指标":
            ordered = [c.name for c in LEVEL1 if c.name in values] + [v for v in ordered if v not in LEVEL1_NAMES]
        elif column == "二级指标":
            ordered = [c.name for c in LEVEL2 if c.name in values] + [v for v in ordered if v not in LEVEL2_NAMES]
        elif column == "OCR已修复":
            ordered = [YES, NO]
        out[column] = [ALL, *ordered]
    return out


LEVEL1_NAMES = {c.name for c in LEVEL1}
LEVEL2_NAMES = {c.name for c in LEVEL2}


@dataclass
class BrowseView:
    """The rows 指标浏览 shows, their record ids (for export and selection) and a one-line summary."""

    rows: list[list[Any]]
    ids: list[str]
    note: str

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=BROWSE_COLUMNS)


def _chosen(value: str | None) -> str | None:
    return None if value in (None, "", ALL) else value


def browse(assistant: Assistant, query: str = "", filters: dict[str, str] | None = None, sort_by: str = RELEVANCE,
           descending: bool = False) -> BrowseView:
    """Every indicator matching the column filters and the search box, sorted as asked.

    The search box uses the chat's hybrid search, ranked by fused score; it keeps the rows that
    match the query's words well (LEXICAL_SHARE) plus the DENSE_KEEP nearest by meaning.
    """
    catalog = assistant.index.catalog
    wanted = {c: v for c, v in (filters or {}).items() if _chosen(v) is not None}
    unknown = set(wanted) - set(FILTER_COLUMNS)
    if unknown:
        raise ValueError(f"unknown browse columns {sorted(unknown)}; expected {FILTER_COLUMNS}")
    query = (query or "").strip()
    if query:
        projects = [p for p in catalog.projects if p.project == wanted.get("项目", p.project)
                    and p.department == wanted.get("部门", p.department)]
        pushdown = Filters(
            kind="indicator",
            projects=projects if "项目" in wanted else [],
            departments=[wanted["部门"]] if "部门" in wanted else [],
            level1=tuple(c.code for c in LEVEL1 if c.name == wanted.get("一级指标")),
            level2=tuple(c.code for c in LEVEL2 if c.name == wanted.get("二级指标")),
        )
        if ("项目" in wanted and not projects) or not catalog.records:
            rows: list[Indicator] = []
        else:
            hits = [h for h in search(assistant.index, query, pushdown, k=max(len(catalog.records), 1))
                    if isinstance(h.record, Indicator)]
            scores = assistant.index.lexical(query)
            lexical = {h.record.id: float(scores[catalog.position[h.record.id]]) for h in hits}
            best = max(lexical.values(), default=0.0)
            rows = [h.record for h in hits
                    if (best > 0 and lexical[h.record.id] >= LEXICAL_SHARE * best)
                    or (h.dense_rank is not None and h.dense_rank < DENSE_KEEP)]
    else:
        rows = list(catalog.indicators)
    rows = [r for r in rows if all((browse_key(r, c) or EMPTY) == v for c, v in wanted.items())]
    if sort_by and sort_by != RELEVANCE:
        if sort_by not in BROWSE_COLUMNS:
            raise ValueError(f"sort column {sort_by!r}: expected one of {BROWSE_COLUMNS}")
        def key(r: Indicator) -> tuple[Any, ...]:
            return (r.year, r.source, r.line, r.item) if sort_by in ("年度", "来源") else (browse_key(r, sort_by),)
        rows = sorted(rows, key=key, reverse=descending)
    total = len(catalog.indicators)
    note = f"共 {len(rows)} 条指标(索引中共 {total} 条)" + (f",检索“{query}”" if query else "")
    return BrowseView([browse_cells(r) for r in rows], [r.id for r in rows], note)


def export_browse(assistant: Assistant, ids: list[str], fmt: str) -> Path:
    """The current 指标浏览 view as CSV or XLSX, in the order shown."""
    catalog = assistant.index.catalog
    rows = [browse_cells(catalog.by_id[i]) for i in ids if isinstance(catalog.by_id.get(i), Indicator)]
    out = assistant.index.settings.reports_dir / "exports"
    if fmt == "csv":
        return ex.write_csv(ex.export_path(out, "指标浏览", "csv"), BROWSE_COLUMNS, rows)
    if fmt == "xlsx":
        return ex.write_xlsx(ex.export_path(out, "指标浏览", "xlsx"), [("指标", BROWSE_COLUMNS, rows)])
    raise ValueError(f"export format {fmt!r}: expected csv or xlsx")


def record_for_row(catalog: Catalog, row: Sequence[Any], columns: Sequence[str] = BROWSE_COLUMNS) -> Indicator | None:
    """The indicator a displayed 指标浏览 row shows, found by its 来源 and names (the browser may have re-sorted)."""
    cells = dict(zip(columns, row, strict=False))
    for r in catalog.indicators:
        if (where(r), r.project, r.indicator, r.period_value) == (
                cells.get("来源"), cells.get("项目"), cells.get("指标"), cells.get("实施周期指标值") or ""):
            return r
    return None


# -- 审计检查 --------------------------------------------------------------------------------------
@dataclass
class AuditView:
    """What 审计检查 shows for one document."""

    source: str
    findings: list[audit.Finding]
    summary: str
    matrix: Path | None

    def frame(self) -> pd.DataFrame:
        rows = [[f.severity, f.title, f.project, f.message, "\n".join(f.cites())] for f in self.findings]
        return pd.DataFrame(rows, columns=FINDING_TABLE_COLUMNS)


def document_choices(catalog: Catalog) -> list[tuple[str, str]]:
    """(label, source) of every indexed document."""
    return [(f"{d.department} {d.year}年 — {d.source}", d.source) for d in catalog.documents]


_WARNINGS: dict[tuple[str, str, str, float], list[ParseWarning]] = {}


def audit_rows(assistant: Assistant, source: str) -> audit.DocumentRows:
    """A document's rows, with its parse warnings re-read from its file when that file is at hand."""
    catalog = assistant.index.catalog
    info = next((d for d in catalog.documents if d.source == source), None)
    if info is None:
        raise KeyError(f"文档“{source}”不在索引中")
    path = source_path(assistant.index.settings, source)
    key = (source, info.content_hash, str(path), path.stat().st_mtime if path else 0.0)
    if key not in _WARNINGS:  # re-parsing a large file on every click would be slow
        _WARNINGS[key] = audit.structured_warnings(info, path)
    return audit.document_rows(catalog, source, _WARNINGS[key])


def audit_document(assistant: Assistant, source: str | None, rules: Iterable[str] | None = None,
                   draw: bool = True) -> AuditView:
    """Run the chosen checks (default: all) on one document and draw its coverage matrix."""
    if not source:
        return AuditView("", [], "索引中还没有文档。", None)
    doc = audit_rows(assistant, source)
    findings = audit.run(doc, rules)
    counts = {r.code: sum(f.rule == r.code for f in findings) for r in audit.RULES}
    lines = [f"**{doc.info.department} {doc.info.year}年**({source}):{len(doc.projects)} 个项目,"
             f"{len(doc.indicators)} 条指标,发现 {len(findings)} 条问题。", ""]
    chosen = set(rules) if rules is not None else None
    lines += [f"- {r.title}({r.severity}):{counts[r.code]} 条" for r in audit.RULES if chosen is None or r.code in chosen]
    if doc.info.grand_total is not None:
        got = sum(p.total or 0.0 for p in doc.projects)
        agree = "一致" if abs(got - doc.info.grand_total) < 0.005 else f"不一致(差 {doc.info.grand_total - got:+.2f}万元)"
        lines += ["", f"合计 {doc.info.grand_total:.2f} 万元,{len(doc.projects)} 个项目之和 {got:.2f} 万元:{agree}。"]
    matrix = draw_matrix(doc, assistant.index.settings.reports_dir / "audit") if draw else None
    if matrix is not None and cjk_font() is None:
        lines += ["", "(本机没有中文字体,矩阵图用编号标注:" +
                  ";".join(f"P{n}={p.project}" for n, p in enumerate(doc.projects, 1)) + ")"]
    return AuditView(source, findings, "\n".join(lines), matrix)


def export_findings(assistant: Assistant, source: str | None, rules: Iterable[str] | None, fmt: str) -> Path | None:
    """The findings of one document (all documents when `source` is empty) as XLSX or Markdown."""
    catalog = assistant.index.catalog
    sources = [source] if source else [d.source for d in catalog.documents]
    findings: list[audit.Finding] = []
    docs = []
    for s in sources:
        doc = audit_rows(assistant, s)
        docs.append(doc)
        findings.extend(audit.run(doc, rules))
    out = assistant.index.settings.reports_dir / "exports"
    if fmt == "md":
        path = ex.export_path(out, "审计检查", "md")
        path.write_text(ex.findings_markdown(findings), encoding="utf-8")
        return path
    if fmt == "xlsx":
        sheets: list[tuple[str, Sequence[str], Sequence[Sequence[Any]]]] = [("审计发现", ex.FINDING_COLUMNS, ex.finding_rows(findings))]
        sheets.append(("指标覆盖", *coverage_table(docs)))
        return ex.write_xlsx(ex.export_path(out, "审计检查", "xlsx"), sheets)
    raise ValueError(f"export format {fmt!r}: expected xlsx or md")


def coverage_table(docs: Sequence[audit.DocumentRows]) -> tuple[list[str], list[list[Any]]]:
    """The matrix as numbers: one row per project, one column per category."""
    columns = audit.matrix_columns(docs[0]) if docs else []
    for d in docs[1:]:
        columns += [c for c in audit.matrix_columns(d) if c not in columns]
    headers = ["文档", "项目", *(f"{c.label}" if c.code == c.level1 else f"{c.label}指标" for c in columns)]
    rows = [[d.source, row.project.project, *(row.counts.get(c.code, 0) for c in columns)]
            for d in docs for row in audit.coverage(d)]
    return headers, rows


CJK_FONT_NAMES = ("WenQuanYi Micro Hei", "WenQuanYi Zen Hei", "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC",
                  "SimHei", "Microsoft YaHei", "PingFang SC", "AR PL UMing CN")
CJK_FONT_FILES = ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
                  "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
MATRIX_COLOURS = {"present": "#9fd8a8", "repaired": "#f7c873", "missing": "#f4f4f4", "required": "#f28b82"}


@lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """A font with Chinese glyphs matplotlib can use, or None (labels then fall back to numbers)."""
    from matplotlib import font_manager

    for f in CJK_FONT_FILES:
        if Path(f).is_file():
            try:
                font_manager.fontManager.addfont(f)
            except (OSError, RuntimeError, ValueError):
                continue
    names = {f.name for f in font_manager.fontManager.ttflist}
    return next((n for n in CJK_FONT_NAMES if n in names), None)


def draw_matrix(doc: audit.DocumentRows, folder: Path) -> Path | None:
    """The projects × categories matrix as a PNG: green present, orange repaired, red a missing
    required 一级 category, grey an unused 二级 category. None when the document has no projects."""
    if not doc.projects:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch, Rectangle

    font = cjk_font()
    columns = audit.matrix_columns(doc)
    rows = audit.coverage(doc)
    drawn = [(doc.info.department, doc.info.year, font), [c.code for c in columns],
             [(r.project.project, sorted(r.counts.items()), sorted(r.repaired.items())) for r in rows]]
    path = folder / f"matrix-{stable_id(doc.source, drawn)}.png"
    if path.is_file():
        return path  # the same picture was drawn before
    names = [r.project.project for r in rows] if font else [f"P{n}" for n in range(1, len(rows) + 1)]
    labels = [c.label for c in columns] if font else [c.code for c in columns]
    width = 1.6 + 0.15 * max(len(n) for n in names) + 0.6 * len(columns)
    height = 1.9 + 0.4 * len(rows)
    with plt.rc_context({"font.family": [font] if font else ["DejaVu Sans"], "axes.unicode_minus": False}):
        fig, ax = plt.subplots(figsize=(width, height), dpi=100)
        for y, row in enumerate(rows):
            for x, col in enumerate(columns):
                n = row.counts.get(col.code, 0)
                if n == 0:
                    state = "required" if col.required else "missing"
                    text = "缺" if col.required and font else ("—" if not col.required else "0")
                else:
                    state = "repaired" if row.repaired.get(col.code) else "present"
                    text = str(n)
                ax.add_patch(Rectangle((x, y), 1, 1, facecolor=MATRIX_COLOURS[state], edgecolor="white", linewidth=2))
                colour = "#222" if n else ("#8b0000" if state == "required" else "#aaa")
                ax.text(x + 0.5, y + 0.5, text, ha="center", va="center", fontsize=10, color=colour)
        starts = [x for x, c in enumerate(columns) if c.code == c.level1]
        for x in starts[1:]:
            ax.axvline(x, color="#666", linewidth=1.2)
        ax.set_xlim(0, len(columns))
        ax.set_ylim(len(rows), 0)
        ax.set_xticks([x + 0.5 for x in range(len(columns))], labels, rotation=35, ha="left", fontsize=9)
        ax.xaxis.tick_top()
        ax.set_yticks([y + 0.5 for y in range(len(rows))], names, fontsize=10)
        ax.tick_params(length=0)
        for spine in ax.spines.values():
            spine.set_visible(False)
        legend = [Patch(facecolor=MATRIX_COLOURS[k], label=v if font else k) for k, v in
                  (("present", "有指标(数字为条数)"), ("repaired", "含OCR修复的指标"),
                   ("required", "缺少必备的一级指标"), ("missing", "未设该二级指标"))]
        ax.legend(handles=legend, loc="upper center", bbox_to_anchor=(0.5, -0.02), ncol=4, fontsize=9, frameon=False)
        title = f"{doc.info.department} {doc.info.year}年:项目 × 指标类别" if font else doc.source
        fig.suptitle(title, fontsize=12, y=0.995)
        fig.tight_layout()
        folder.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=100)
        plt.close(fig)
    return path


# -- 文档管理 --------------------------------------------------------------------------------------
@dataclass
class UploadResult:
    """Per file: what went in, or why not."""

    rows: list[list[Any]]
    message: str

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=REPORT_COLUMNS)


def check_upload(path: Path, max_mb: float = MAX_UPLOAD_MB) -> str:
    """Why a file cannot be uploaded ("" when it can): its type or its size."""
    if path.suffix.lower() not in UPLOAD_SUFFIXES:
        kinds = "、".join(s.lstrip(".") for s in UPLOAD_SUFFIXES)
        return f"不支持的文件类型“{path.suffix or '无扩展名'}”,只能上传 {kinds} 文件"
    size = path.stat().st_size
    if size > max_mb * 1024 * 1024:
        return f"文件有 {size / 1024 / 1024:.1f} MB,超过单个文件 {max_mb:g} MB 的上限"
    if size == 0:
        return "文件是空的"
    return ""


def _report_row(r: FileReport) -> list[Any]:
    if r.status == "error":
        reason = r.error.split(": ", 1)[-1] if r.error.startswith(r.source) else r.error
        return [r.source, STATUS_WORDS["error"], 0, 0, 0, 0, reason]
    note = "\n".join(r.warnings[:5]) + (f"\n……共 {len(r.warnings)} 条警告" if len(r.warnings) > 5 else "")
    return [r.source, STATUS_WORDS.get(r.status, r.status), r.projects, r.indicators, r.repaired, len(r.warnings),
            note or "无警告"]


def ingest_uploads(assistant: Assistant, files: Sequence[str | Path] | None,
                   progress: Callable[..., Any] | None = None, max_mb: float = MAX_UPLOAD_MB) -> UploadResult:
    """Check, copy into the uploads folder and index the uploaded files; a bad file never stops the others.

    A file is kept in uploads/ only when it was indexed, so an earlier good copy of the same name survives.
    """
    paths = [Path(f) for f in files or []]
    if not paths:
        return UploadResult([], "请先选择要上传的文件。")
    if len(paths) > MAX_UPLOAD_FILES:
        return UploadResult([], f"一次最多上传 {MAX_UPLOAD_FILES} 个文件,这次选了 {len(paths)} 个。")
    settings = assistant.index.settings
    (uploads_dir(settings) / ".staging").mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="upload-", dir=uploads_dir(settings) / ".staging"))
    rejected: list[list[Any]] = []
    staged: dict[str, Path] = {}
    for path in paths:
        name = Path(path.name).name
        problem = check_upload(path, max_mb) if path.is_file() else "文件不存在或无法读取"
        if not problem and name in staged:
            problem = "同名文件在这次上传中出现了两次,只导入第一个"
        if problem:
            rejected.append([name, "未导入", 0, 0, 0, 0, problem])
            continue
        staged[name] = staging / name
        shutil.copyfile(path, staged[name])

    def report(fraction: float, desc: str = "") -> None:
        if progress is not None:
            progress(fraction, desc=f"正在导入 {desc}" if fraction < 1 else "导入完成")

    reports = assistant.index.build(list(staged.values()), progress=report) if staged else []
    for r in reports:
        copy = staged.get(r.source)
        if copy is None:
            continue
        if r.status == "error":
            copy.unlink(missing_ok=True)
        else:
            copy.replace(uploads_dir(settings) / r.source)
    shutil.rmtree(staging, ignore_errors=True)
    rows = [_report_row(r) for r in reports] + rejected
    ok = sum(r.status in ("added", "updated") for r in reports)
    failed = sum(r.status == "error" for r in reports) + len(rejected)
    same = sum(r.status == "unchanged" for r in reports)
    message = f"导入 {ok} 个文件" + (f",{same} 个内容未变" if same else "") + (f",{failed} 个未能导入(原因见表)" if failed else "") + "。"
    return UploadResult(rows, message)


def documents_frame(assistant: Assistant) -> pd.DataFrame:
    """Indexed documents with their counts and when they were added."""
    docs = assistant.index.documents()
    rows = [[d.source, d.department, d.year, d.projects, d.indicators, d.repaired, len(d.warnings),
             d.added_at.replace("T", " ")] for d in docs]
    return pd.DataFrame(rows, columns=DOCUMENT_COLUMNS)


def remove_document(assistant: Assistant, source: str | None) -> str:
    """Remove a document from every index (and its uploaded copy); a sentence saying what happened."""
    if not source:
        return "请先选择要移除的文档。"
    if source not in {d.source for d in assistant.index.documents()}:
        return f"“{source}”不在索引中。"
    n = assistant.index.remove(source)
    (uploads_dir(assistant.index.settings) / Path(source).name).unlink(missing_ok=True)
    return f"已移除“{source}”:{n} 行已从索引中删除。"


# -- the UI ------------------------------------------------------------------------------------------
def _dropdown(choices: list[Any], value: Any) -> Any:
    keys = [c[1] if isinstance(c, tuple) else c for c in choices]
    return gr.Dropdown(choices=choices, value=value if value in keys else (keys[0] if keys else None))


def build_app(assistant: Assistant) -> gr.Blocks:
    """The whole UI; every callback goes through `assistant`."""
    settings = assistant.index.settings
    catalog = assistant.index.catalog
    choices = filter_choices(catalog)
    first_view = browse(assistant)
    docs = document_choices(catalog)
    rule_choices = [(f"{r.title}({r.severity})", r.code) for r in audit.RULES]
    with gr.Blocks(title=TITLE) as demo:
        gr.Markdown(f"# {TITLE}\n用中文提问项目支出绩效目标表的内容,浏览和检查全部绩效指标。每个回答都标注引用的原表行。")

        # -- 问答
        with gr.Tab("问答", id="chat"):
            state = gr.State(DialogueState())
            log = gr.State([])
            last_cited = gr.State([])
            with gr.Row():
                with gr.Column(scale=4):
                    chatbot = gr.Chatbot(label="对话", height=460, elem_id="chatbot")
                    with gr.Row():
                        box = gr.Textbox(placeholder="例如:扶贫工作经费的社会效益指标是什么", show_label=False, scale=8,
                                         elem_id="question")
                        send = gr.Button("提问", variant="primary", scale=1, elem_id="ask")
                    with gr.Row():
                        clear = gr.Button("新对话", size="sm")
                        export_chat = gr.Button("导出对话(Markdown)", size="sm", elem_id="export-chat")
                    chat_file = gr.File(label="对话记录", visible=False, elem_id="chat-file")
                    gr.Examples(EXAMPLES, inputs=box, label="示例问题")
                with gr.Column(scale=6):
                    understood = gr.Markdown(elem_id="understood")
                    cited = gr.Dataframe(headers=CITED_COLUMNS, label="引用的原表行(编号与回答中的 [n] 对应)",
                                         interactive=False, wrap=True, elem_id="cited", column_widths=CITED_WIDTHS)
                    quotes = gr.HTML(elem_id="quotes")
                    cited_source = gr.HTML(elem_id="cited-source")

            def on_ask(message: str, history: list[dict[str, str]], st: DialogueState,
                       turns: list[dict[str, Any]]) -> tuple[Any, ...]:
                turn = chat_turn(assistant, message, history or [], st)
                turns = [*turns, turn.record] if turn.record else turns
                frame = pd.DataFrame(turn.cited, columns=CITED_COLUMNS)
                return "", turn.history, st, turns, [r.id for r in turn.citations], turn.understood, frame, turn.quotes, ""

            outputs = [box, chatbot, state, log, last_cited, understood, cited, quotes, cited_source]
            send.click(on_ask, [box, chatbot, state, log], outputs)
            box.submit(on_ask, [box, chatbot, state, log], outputs)
            clear.click(lambda: ([], DialogueState(), [], [], "", pd.DataFrame(columns=CITED_COLUMNS), "", "",
                                 gr.File(value=None, visible=False)),
                        None, [chatbot, state, log, last_cited, understood, cited, quotes, cited_source, chat_file])

            def on_export_chat(turns: list[dict[str, Any]]) -> Any:
                path = export_conversation(assistant, turns)
                if path is None:
                    gr.Warning("还没有对话可导出。")
                    return gr.File(value=None, visible=False)
                return gr.File(value=str(path), visible=True)

            export_chat.click(on_export_chat, log, chat_file)

            def on_cited_select(ids: list[str], evt: gr.SelectData) -> str:
                return cited_context(assistant, ids, evt.row_value or [])

            cited.select(on_cited_select, last_cited, cited_source)

        # -- 指标浏览
        with gr.Tab("指标浏览", id="browse") as browse_tab:
            with gr.Row():
                query = gr.Textbox(label="检索(与问答相同的混合检索)", placeholder="例如:满意度、及时率、走访", scale=4,
                                   elem_id="browse-query")
                sort_by = gr.Dropdown([RELEVANCE, *BROWSE_COLUMNS], value=RELEVANCE, label="排序", scale=2)
                descending = gr.Checkbox(label="降序", value=False, scale=1, min_width=80)
                go = gr.Button("检索", variant="primary", scale=1, elem_id="browse-go")
                reset = gr.Button("清除筛选", scale=1)
            with gr.Row():
                filters = [gr.Dropdown(choices[c], value=ALL, label=c, filterable=True, min_width=110,
                                       elem_id=f"filter-{n}") for n, c in enumerate(FILTER_COLUMNS)]
            note = gr.Markdown(first_view.note, elem_id="browse-note")
            view_ids = gr.State(first_view.ids)
            table = gr.Dataframe(first_view.frame(), label="指标(点击一行查看原文;表头可排序)", interactive=False,
                                 wrap=True, max_height=520, elem_id="browse-table", column_widths=BROWSE_WIDTHS)
            source_view = gr.HTML(source_context_html(settings, None), elem_id="browse-source")
            with gr.Row():
                export_csv = gr.Button("导出当前视图为 CSV", size="sm", elem_id="export-csv")
                export_xlsx = gr.Button("导出当前视图为 XLSX", size="sm", elem_id="export-xlsx")
            browse_file = gr.File(label="导出的文件", visible=False, elem_id="browse-file")

            def on_browse(q: str, sort: str, desc: bool, *values: str) -> tuple[Any, ...]:
                view = browse(assistant, q, dict(zip(FILTER_COLUMNS, values, strict=True)), sort, desc)
                return view.note, view.ids, view.frame()

            browse_inputs = [query, sort_by, descending, *filters]
            browse_outputs = [note, view_ids, table]
            go.click(on_browse, browse_inputs, browse_outputs)
            query.submit(on_browse, browse_inputs, browse_outputs)
            for control in (sort_by, descending, *filters):
                control.input(on_browse, browse_inputs, browse_outputs)

            def on_reset() -> tuple[Any, ...]:
                view = browse(assistant)
                fresh = filter_choices(assistant.index.catalog)
                return ("", RELEVANCE, False, *(gr.Dropdown(choices=fresh[c], value=ALL) for c in FILTER_COLUMNS),
                        view.note, view.ids, view.frame())

            reset.click(on_reset, None, [query, sort_by, descending, *filters, *browse_outputs])

            def on_browse_tab(q: str, sort: str, desc: bool, *values: str) -> tuple[Any, ...]:
                fresh = filter_choices(assistant.index.catalog)
                kept = [v if v in fresh[c] else ALL for c, v in zip(FILTER_COLUMNS, values, strict=True)]
                view = browse(assistant, q, dict(zip(FILTER_COLUMNS, kept, strict=True)), sort, desc)
                return (*(gr.Dropdown(choices=fresh[c], value=v) for c, v in zip(FILTER_COLUMNS, kept, strict=True)),
                        view.note, view.ids, view.frame())

            browse_tab.select(on_browse_tab, browse_inputs, [*filters, *browse_outputs])

            def on_table_select(evt: gr.SelectData) -> str:
                record = record_for_row(assistant.index.catalog, evt.row_value or [], BROWSE_COLUMNS)
                return source_context_html(settings, record)

            table.select(on_table_select, None, source_view)

            def on_export(ids: list[str], fmt: str) -> Any:
                return gr.File(value=str(export_browse(assistant, ids, fmt)), visible=True)

            export_csv.click(lambda ids: on_export(ids, "csv"), view_ids, browse_file)
            export_xlsx.click(lambda ids: on_export(ids, "xlsx"), view_ids, browse_file)

        # -- 审计检查
        with gr.Tab("审计检查", id="audit") as audit_tab:
            with gr.Row():
                audit_doc = gr.Dropdown(docs, value=docs[0][1] if docs else None, label="文档", scale=3,
                                        elem_id="audit-doc")
                audit_rules = gr.CheckboxGroup(rule_choices, value=[c for _, c in rule_choices], label="检查项",
                                               scale=5)
            with gr.Row():
                with gr.Column(scale=1, min_width=260):
                    audit_summary = gr.Markdown(elem_id="audit-summary")
                    with gr.Accordion("检查项说明", open=False):
                        gr.Markdown("\n".join(f"- **{r.title}**({r.severity}):{r.description}" for r in audit.RULES))
                with gr.Column(scale=3):
                    matrix = gr.Image(label="项目 × 指标类别", type="filepath", format="png", interactive=False,
                                      elem_id="audit-matrix", buttons=["download", "fullscreen"])
            findings_table = gr.Dataframe(pd.DataFrame(columns=FINDING_TABLE_COLUMNS), label="审计发现(每条都标明引用的原表行)",
                                          interactive=False, wrap=True, max_height=560, elem_id="audit-findings",
                                          column_widths=["6%", "12%", "16%", "40%", "26%"])
            with gr.Row():
                export_audit_xlsx = gr.Button("导出审计结果 XLSX", size="sm", elem_id="export-audit-xlsx")
                export_audit_md = gr.Button("导出审计结果 Markdown", size="sm", elem_id="export-audit-md")
                audit_all = gr.Checkbox(label="导出全部文档", value=False)
            audit_file = gr.File(label="导出的文件", visible=False, elem_id="audit-file")

            def on_audit(source: str | None, rules: list[str]) -> tuple[Any, ...]:
                known = {d.source for d in assistant.index.catalog.documents}
                view = audit_document(assistant, source if source in known else None, rules)
                return view.summary, view.matrix and str(view.matrix), view.frame()

            audit_outputs = [audit_summary, matrix, findings_table]
            audit_doc.change(on_audit, [audit_doc, audit_rules], audit_outputs)
            audit_rules.input(on_audit, [audit_doc, audit_rules], audit_outputs)

            def on_audit_tab(source: str | None, rules: list[str]) -> tuple[Any, ...]:
                fresh = document_choices(assistant.index.catalog)
                dropdown = _dropdown(fresh, source)
                keys = [s for _, s in fresh]
                chosen = source if source in keys else (keys[0] if keys else None)
                return (dropdown, *on_audit(chosen, rules))

            audit_tab.select(on_audit_tab, [audit_doc, audit_rules], [audit_doc, *audit_outputs])

            def on_export_audit(source: str | None, rules: list[str], everything: bool, fmt: str) -> Any:
                if not assistant.index.catalog.documents:
                    gr.Warning("索引中还没有文档。")
                    return gr.File(value=None, visible=False)
                path = export_findings(assistant, None if everything else source, rules, fmt)
                return gr.File(value=str(path), visible=True)

            audit_export_inputs = [audit_doc, audit_rules, audit_all]
            export_audit_xlsx.click(lambda s, r, a: on_export_audit(s, r, a, "xlsx"), audit_export_inputs, audit_file)
            export_audit_md.click(lambda s, r, a: on_export_audit(s, r, a, "md"), audit_export_inputs, audit_file)

        # -- 文档管理
        with gr.Tab("文档管理", id="docs") as docs_tab:
            gr.Markdown(f"上传项目支出绩效目标表({'、'.join(s.lstrip('.') for s in UPLOAD_SUFFIXES)}),"
                        f"单个文件不超过 {MAX_UPLOAD_MB} MB,一次最多 {MAX_UPLOAD_FILES} 个。同名文件会替换已导入的版本。")
            with gr.Row():
                upload = gr.File(label="选择文件", file_count="multiple", file_types=list(UPLOAD_SUFFIXES),
                                 elem_id="upload", scale=4, height=150)
                ingest_btn = gr.Button("导入", variant="primary", elem_id="ingest", scale=1)
            upload_message = gr.Markdown(elem_id="upload-message")
            upload_report = gr.Dataframe(pd.DataFrame(columns=REPORT_COLUMNS), label="本次导入结果", interactive=False,
                                         wrap=True, elem_id="upload-report")
            doc_table = gr.Dataframe(documents_frame(assistant), label="已导入的文档", interactive=False, wrap=True,
                                     elem_id="doc-table")
            with gr.Row():
                remove_choice = gr.Dropdown([s for _, s in docs], value=None, label="要移除的文档", scale=4,
                                            elem_id="remove-doc")
                remove_btn = gr.Button("移除文档", variant="stop", scale=1, elem_id="remove")
            remove_message = gr.Markdown(elem_id="remove-message")

            def refreshed() -> tuple[Any, ...]:
                sources = [d.source for d in assistant.index.documents()]
                return documents_frame(assistant), gr.Dropdown(choices=sources, value=None)

            def on_ingest(files: list[str] | None, progress: gr.Progress = gr.Progress()) -> tuple[Any, ...]:  # noqa: B008
                result = ingest_uploads(assistant, files, progress)
                return (result.message, result.frame(), *refreshed(), gr.File(value=None))

            # One writer at a time: uploads and removals share a queue.
            ingest_btn.click(on_ingest, upload, [upload_message, upload_report, doc_table, remove_choice, upload],
                             concurrency_id="index-write")

            def on_remove(source: str | None) -> tuple[Any, ...]:
                return (remove_document(assistant, source), *refreshed())

            remove_btn.click(on_remove, remove_choice, [remove_message, doc_table, remove_choice],
                             concurrency_id="index-write")
            docs_tab.select(refreshed, None, [doc_table, remove_choice])

        demo.load(on_audit, [audit_doc, audit_rules], audit_outputs)
    return demo


def launch(demo: gr.Blocks, settings: Settings, port: int | None = None, **kwargs: Any) -> Any:
    """Serve the app; files under the data directory (exports, uploads) may be downloaded."""
    settings.home.mkdir(parents=True, exist_ok=True)
    return demo.launch(server_name=settings.host, server_port=port or settings.port, css=CSS, show_error=True,
                       allowed_paths=[str(settings.home)], max_file_size=f"{MAX_UPLOAD_MB * 10}mb",
                       footer_links=["settings"], **kwargs)


def main() -> None:
    settings = Settings()
    index = open_index(settings)
    if index.is_empty():
        print(f"索引为空,正在从 {settings.data_dir} 导入样例数据…")
        index.build([settings.data_dir])
    assistant = Assistant(index)
    assistant.warm()
    demo = build_app(assistant)
    print(f"绩效问答已启动: http://{settings.host}:{settings.port}")
    launch(demo, settings)


if __name__ == "__main__":
    main()
