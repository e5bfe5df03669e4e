"""Check that the money adds up: projects = funding-unit subtotal = 合计, per column and row."""

from __future__ import annotations

from ingest.records import ParsedFile, ParseWarning
from ingest.taxonomy import FUNDING_COLUMNS

TOLERANCE = 0.005  # amounts are printed with two decimals


def reconcile(parsed: ParsedFile) -> list[ParseWarning]:
    """Warnings for every total that does not add up, naming the rows and the difference."""
    doc = parsed.document
    out: list[ParseWarning] = []
    labels = dict(FUNDING_COLUMNS)
    for p in parsed.projects:
        parts = [v for v in (p.fiscal, p.special, p.other) if v is not None]
        if p.total is not None and parts and abs(sum(parts) - p.total) > TOLERANCE:
            out.append(ParseWarning(doc.source, p.line, f"“{p.project}”总计{p.total:.2f} ≠ 财政拨款+财政专户拨款+其他资金 "
                                    f"{sum(parts):.2f}(差 {p.total - sum(parts):+.2f})"))
    for key, _label in FUNDING_COLUMNS:
        if key != "total":
            continue
        total = sum(getattr(p, key) or 0.0 for p in parsed.projects)
        by_unit: dict[str, float] = {}
        for p in parsed.projects:
            by_unit[p.unit_name] = by_unit.get(p.unit_name, 0.0) + (getattr(p, key) or 0.0)
        for unit, subtotal in doc.subtotals.items():
            got = by_unit.get(unit, 0.0)
            if abs(got - subtotal) > TOLERANCE:
                out.append(ParseWarning(doc.source, 0, f"单位“{unit}”小计{labels[key]} {subtotal:.2f} ≠ 其项目之和 {got:.2f}"
                                        f"(差 {subtotal - got:+.2f})"))
        if doc.grand_total is not None and abs(total - doc.grand_total) > TOLERANCE:
            out.append(ParseWarning(doc.source, 0, f"合计{labels[key]} {doc.grand_total:.2f} ≠ 各项目之和 {total:.2f}"
                                    f"(差 {doc.grand_total - total:+.2f})"))
    return out
