"""Answers as safe HTML: built from parts — text, citation markers, values — never from Markdown.

Every piece of text from the data or the user is HTML-escaped; the only markup is ours. A `[n]`
in an answer becomes a button that selects cited row n of that answer (ui/static/chat.js), so
`2台[1](属于产出指标/数量指标)` shows as written and an image link inside a table cell stays text.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from index.library import Library
from index.store import Catalog
from ingest.records import Record
from ui import source_view as sv

CITE = re.compile(r"\[([1-9]\d*)\]")  # "[01]" is text, not citation 1
CITED_COLUMNS = ["编号", "项目", "类别", "指标", "实施周期指标值", "年度指标值", "来源", "OCR已修复"]
CITED_WIDTHS = ["5%", "13%", "11%", "13%", "19%", "19%", "13%", "7%"]
# Drawn, not emoji: a machine without an emoji font would show empty boxes.
_THUMB = ("<svg aria-hidden='true' viewBox='0 0 24 24' width='14' height='14'{flip}><path fill='currentColor' "
          "d='M2 21h4V9H2v12zm20-11a2 2 0 0 0-2-2h-6.3l1-4.6v-.3c0-.4-.2-.8-.4-1.1L13.2 1 6.6 7.6C6.2 8 6 8.5 6 9v10a2 "
          "2 0 0 0 2 2h9c.8 0 1.5-.5 1.8-1.2l3-7.1c.1-.2.2-.5.2-.7v-2z'/></svg>")
VOTE_WORDS = {"up": (_THUMB.format(flip=""), "有用", "这个回答有用"),
              "down": (_THUMB.format(flip=" style='transform: scaleY(-1)'"), "有问题", "这个回答有问题")}


def esc(text: Any) -> str:
    """Text (or a number) as HTML, quotes included (safe inside attributes too)."""
    return html.escape("" if text is None else str(text), quote=True)


@dataclass(frozen=True)
class Segment:
    """A piece of an answer line: text, or the citation marker of row `ref` (1-based)."""

    text: str
    ref: int = 0


def segments(line: str, refs: int) -> list[Segment]:
    """A line cut into text and citation markers; only `[n]` with 1 ≤ n ≤ refs is a marker."""
    out: list[Segment] = []
    at = 0
    for m in CITE.finditer(line):
        n = int(m.group(1))
        if not 1 <= n <= refs:
            continue
        if m.start() > at:
            out.append(Segment(line[at:m.start()]))
        out.append(Segment(m.group(0), n))
        at = m.end()
    if at < len(line):
        out.append(Segment(line[at:]))
    return out


def _cite_label(citation: dict[str, Any]) -> str:
    what = citation.get("project") or ""
    what += f" / {citation['indicator']}" if citation.get("indicator") else "(项目行)"
    return what


def answer_lines_html(turn: int, answer: dict[str, Any]) -> str:
    """The answer text as paragraphs, each [n] a button for cited row n of answer `turn`."""
    citations = answer.get("citations") or []
    out = []
    for line in str(answer.get("answer", "")).split("\n"):
        if not line.strip():
            continue
        parts = []
        for s in segments(line, len(citations)):
            if s.ref:
                label = f"查看引用 [{s.ref}]:{_cite_label(citations[s.ref - 1])}"
                parts.append(f"<button type='button' class='cite' data-action='cite' data-turn='{turn}' "
                             f"data-ref='{s.ref}' aria-label='{esc(label)}' title='{esc(label)}'>[{s.ref}]</button>")
            else:
                parts.append(esc(s.text))
        item = " class='item'" if re.match(r"\d+\. ", line) else ""
        out.append(f"<p{item}>{''.join(parts)}</p>")
    return "".join(out)


def clarify_html(turn: int, clarify: dict[str, Any] | None, active: bool) -> str:
    """The assistant's question back, each option a button that sends it as the next message."""
    if not clarify or not clarify.get("options"):
        return ""
    buttons = "".join(
        f"<button type='button' class='option' data-action='option' data-turn='{turn}' data-value='{esc(o)}'"
        f"{'' if active else ' disabled'}>{esc(o)}</button>" for o in clarify["options"])
    return (f"<div class='clarify' role='group' aria-label='{esc(clarify.get('question') or '请选择')}'>"
            f"<p>{esc(clarify.get('question') or '')}</p>{buttons}</div>")


def votes_html(turn: int, vote: str | None) -> str:
    buttons = "".join(
        f"<button type='button' class='vote vote-{v}' data-action='vote' data-turn='{turn}' data-value='{v}' "
        f"aria-pressed='{'true' if vote == v else 'false'}' title='{label}'>{icon} {word}</button>"
        for v, (icon, word, label) in VOTE_WORDS.items())
    done = "<span class='thanks'>已记录,谢谢反馈</span>" if vote else ""
    return f"<div class='votes' role='group' aria-label='评价这个回答'>{buttons}{done}</div>"


def turn_html(turn: int, entry: dict[str, Any], last: bool) -> str:
    """One question and its answer (with the answer's cited rows inline, shown on narrow screens)."""
    answer = entry["answer"]
    question = f"<div class='q'><span class='who' aria-hidden='true'>问</span><p>{esc(answer.get('question'))}</p></div>"
    understood = ""
    resolved = answer.get("resolved_question")
    if resolved and resolved != answer.get("question"):
        understood = f"<p class='understood'>理解为:{esc(resolved)}</p>"
    body = understood + answer_lines_html(turn, answer) + clarify_html(turn, answer.get("clarify"), last)
    if not entry.get("notice"):
        body += votes_html(turn, entry.get("vote")) + entry.get("inline", "")
    return (f"<article class='turn' id='turn-{turn}' aria-label='第{turn}问'>{question}"
            f"<div class='a'><span class='who' aria-hidden='true'>答</span><div class='body'>{body}</div></div></article>")


def transcript_html(entries: Sequence[dict[str, Any]]) -> str:
    """The whole conversation."""
    if not entries:
        return ("<div class='chat-log empty'><p>用中文提问项目支出绩效目标表的内容,例如“扶贫工作经费的社会效益指标是什么”。"
                "回答中的 [1]、[2] 是引用的原表行,点击即可查看。</p></div>")
    turns = "".join(turn_html(n, e, n == len(entries)) for n, e in enumerate(entries, 1))
    return f"<div class='chat-log' role='log' aria-live='polite' aria-label='对话记录'>{turns}</div>"


# -- cited rows ------------------------------------------------------------------------------------
def cited_cells(citation: dict[str, Any], record: Record | None) -> list[str]:
    """A cited row (CITED_COLUMNS after 编号), from the record when it is still indexed, else the citation."""
    if citation.get("indicator"):
        category = "/".join(c for c in (citation.get("level1"), citation.get("level2")) if c)
        cells = [citation.get("project"), category, citation.get("indicator"), citation.get("period_value"),
                 citation.get("annual_value")]
    else:
        amount = citation.get("amount")
        cells = [citation.get("project"), "项目行", f"预算 {amount:.2f}万元" if isinstance(amount, float | int) else "", "", ""]
    source = sv.where(record) if record is not None else f"{citation.get('source')}:{citation.get('line')}"
    repaired = sv.repaired_cell(record) if record is not None else ("是" if citation.get("repaired") else "否")
    return [str(c or "") for c in (*cells, source, repaired)]


def cited_section_html(turn: int, answer: dict[str, Any], library: Library, catalog: Catalog | None) -> str:
    """The cited rows of answer `turn` for the side panel: a table, each row with its source context."""
    citations = answer.get("citations") or []
    head = f"<h3>第{turn}问:{esc(answer.get('question'))}</h3>"
    if not citations:
        return f"<section class='cited-turn' id='cited-{turn}'>{head}<p class='meta'>这个回答没有引用原表行。</p></section>"
    header = "".join(f"<th scope='col'>{c}</th>" for c in CITED_COLUMNS)
    rows = []
    for n, c in enumerate(citations, 1):
        record = catalog.by_id.get(str(c.get("id"))) if catalog is not None else None
        cells = "".join(f"<td>{esc(v)}</td>" for v in cited_cells(c, record))
        context = sv.context_html(library, record) if record is not None else (
            f"<div class='src'><p class='meta'>这一行已不在索引中。引用时的原文:</p><p><mark>{esc(c.get('text'))}</mark></p></div>")
        rows.append(f"<tr class='cited-row' id='row-{turn}-{n}' data-turn='{turn}' data-ref='{n}' tabindex='0' "
                    f"aria-selected='false'><td class='ref'>{n}</td>{cells}</tr>"
                    f"<tr class='ctx' id='ctx-{turn}-{n}' hidden><td colspan='{len(CITED_COLUMNS)}'>{context}</td></tr>")
    return (f"<section class='cited-turn' id='cited-{turn}' aria-label='第{turn}问引用的原表行'>{head}"
            f"<table class='cited'><colgroup>{''.join(f'<col style=width:{w}>' for w in CITED_WIDTHS)}</colgroup>"
            f"<thead><tr>{header}</tr></thead><tbody>{''.join(rows)}</tbody></table></section>")


def inline_cites_html(turn: int, answer: dict[str, Any], library: Library, catalog: Catalog | None) -> str:
    """The cited rows right under the answer (shown instead of the side panel on a phone)."""
    citations = answer.get("citations") or []
    if not citations:
        return ""
    items = []
    for n, c in enumerate(citations, 1):
        record = catalog.by_id.get(str(c.get("id"))) if catalog is not None else None
        cells = cited_cells(c, record)
        values = ";".join(v for v in cells[3:5] if v)
        quote = sv.snippet_html(library, record) if record is not None else f"<mark>{esc(c.get('text'))}</mark>"
        items.append(f"<li class='cite-inline' id='inline-{turn}-{n}' tabindex='-1' aria-selected='false'>"
                     f"<b>[{n}]</b> {esc(_cite_label(c))}({esc(cells[1])}){esc(':' + values) if values else ''}"
                     f" — <code>{esc(cells[5])}</code><br><span class='quote'>{quote}</span></li>")
    return f"<ol class='cites-inline' aria-label='第{turn}问引用的原表行'>{''.join(items)}</ol>"


def panel_html(entries: Iterable[dict[str, Any]]) -> str:
    """Every answer's cited rows, the latest answer first."""
    sections = [e.get("panel", "") for e in entries if not e.get("notice")]
    if not sections:
        return ("<div class='cited-panel empty'><p class='meta'>回答引用的原表行会列在这里:"
                "点击回答中的 [n] 或表中的行,查看它在原文件中的位置。</p></div>")
    return f"<div class='cited-panel'>{''.join(reversed(sections))}</div>"
