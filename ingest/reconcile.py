"""Check that the money adds up, per funding column and per row.

- per row (project, subtotal, 合计): 总计 = 财政拨款 + 财政专户拨款 + 其他资金;
- per funding column: the projects after a funding-unit subtotal row add up to it, and all
  projects add up to 合计.

An empty cell counts as 0 in a sum. An empty cell in a subtotal or 合计 row is not compared
(tables often leave the unused funding columns of those rows blank). Every mismatch is a
ParseWarning of kind "mismatch" whose `rows` name the lines involved.
"""

from __future__ import annotations

from collections.abc import Sequence

from ingest.records import ParsedFile, ParseWarning, Project, TotalRow
from ingest.taxonomy import FUNDING_COLUMNS

TOLERANCE = 0.005  # amounts are printed with two decimals
LABELS = dict(FUNDING_COLUMNS)
SOURCES = ("fiscal", "special", "other")


def _lines(lines: Sequence[int]) -> str:
    """`第7、8、9行` for a few lines, `第7–13行等7行` for many."""
    if not lines:
        return "(无)"
    if len(lines) <= 4:
        return "第" + "、".join(str(n) for n in lines) + "行"
    return f"第{lines[0]}–{lines[-1]}行等{len(lines)}行"


def _row_check(source: str, line: int, label: str, amounts: dict[str, float | None]) -> ParseWarning | None:
    parts = [amounts.get(k) for k in SOURCES]
    total = amounts.get("total")
    if total is None or all(p is None for p in parts):
        return None
    got = sum(p or 0.0 for p in parts)
    if abs(got - total) <= TOLERANCE:
        return None
    return ParseWarning(
        source,
        line,
        f"{label}总计 {total:.2f} ≠ 财政拨款+财政专户拨款+其他资金 {got:.2f}(差 {total - got:+.2f})",
        "mismatch",
        (line,),
    )


def _column_checks(source: str, row: TotalRow, projects: list[Project], what: str) -> list[ParseWarning]:
    out: list[ParseWarning] = []
    lines = [p.line for p in projects]
    for key, label in FUNDING_COLUMNS:
        expected = row.amounts.get(key)
        if expected is None:
            continue
        got = sum(getattr(p, key) or 0.0 for p in projects)
        if abs(got - expected) > TOLERANCE:
            out.append(
                ParseWarning(
                    source,
                    row.line,
                    f"{what}{label} {expected:.2f} ≠ {_lines(lines)}{len(projects)}个项目之和 {got:.2f}"
                    f"(差 {expected - got:+.2f})",
                    "mismatch",
                    (row.line, *lines),
                )
            )
    return out


def reconcile(parsed: ParsedFile) -> list[ParseWarning]:
    """Warnings for every total that does not add up, naming the rows and the difference."""
    source = parsed.document.source
    out: list[ParseWarning] = []
    for p in parsed.projects:
        w = _row_check(source, p.line, f"“{p.project}”", {"total": p.total, "fiscal": p.fiscal, "special": p.special, "other": p.other})
        if w:
            out.append(w)
    sheets = dict.fromkeys([t.sheet for t in parsed.totals] + [p.sheet for p in parsed.projects])
    for sheet in sheets:
        totals = sorted((t for t in parsed.totals if t.sheet == sheet), key=lambda t: t.line)
        projects = sorted((p for p in parsed.projects if p.sheet == sheet), key=lambda p: p.line)
        units = [t for t in totals if t.kind == "unit"]
        for t in totals:
            what = "合计" if t.kind == "grand" else f"单位“{t.name}”小计"
            w = _row_check(source, t.line, what, t.amounts)
            if w:
                out.append(w)
        # A subtotal row's projects are the project rows after it, up to the next total row.
        for u in units:
            following = [t.line for t in totals if t.line > u.line]
            stop = min(following) if following else float("inf")
            mine = [p for p in projects if u.line < p.line < stop]
            out.extend(_column_checks(source, u, mine, f"第{u.line}行单位“{u.name}”小计的"))
        for g in (t for t in totals if t.kind == "grand"):
            out.extend(_column_checks(source, g, projects, f"第{g.line}行合计的"))
    return out
