"""One document's audit as the app shows it (审计检查, `GET /api/audit/{document}`) and exports it.

The checks are assistant/audit.py's; this module runs them on a document's rows and adds the
totals line (合计 against the sum of the projects, with ingest's reconciliation tolerance).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant import audit
from assistant import export as ex
from assistant.audit_matrix import coverage_table
from index.store import Index
from ingest.reconcile import TOLERANCE


@dataclass
class Totals:
    """合计 as the table prints it, against the sum of the projects' 总计."""

    grand_total: float
    projects_sum: float
    projects: int

    @property
    def agree(self) -> bool:
        return abs(self.projects_sum - self.grand_total) <= TOLERANCE

    def sentence(self) -> str:
        verdict = "一致" if self.agree else f"不一致(差 {self.grand_total - self.projects_sum:+.2f}万元)"
        return f"合计 {self.grand_total:.2f} 万元,{self.projects} 个项目之和 {self.projects_sum:.2f} 万元:{verdict}。"


@dataclass
class AuditReport:
    """The chosen checks run on one document."""

    doc: audit.DocumentRows
    findings: list[audit.Finding]
    rules: list[audit.Rule]  # the rules that ran, in report order

    @property
    def source(self) -> str:
        return self.doc.source

    @property
    def totals(self) -> Totals | None:
        if self.doc.info.grand_total is None:
            return None
        return Totals(self.doc.info.grand_total, sum(p.total or 0.0 for p in self.doc.projects), len(self.doc.projects))

    def counts(self) -> dict[str, int]:
        """Findings per rule code (every rule that ran, zeros included)."""
        return {r.code: sum(f.rule == r.code for f in self.findings) for r in self.rules}

    def headline(self) -> str:
        info = self.doc.info
        return (f"{info.department} {info.year}年({self.source}):{len(self.doc.projects)} 个项目,"
                f"{len(self.doc.indicators)} 条指标,发现 {len(self.findings)} 条问题。")


def document_rows(index: Index, source: str) -> audit.DocumentRows:
    """A document's rows and the parse warnings the index stored with it (kinds and rows, as
    data: the file is not read again); KeyError when it is not indexed."""
    catalog = index.catalog
    info = catalog.document(source)
    if info is None:
        raise KeyError(source)
    return audit.document_rows(catalog, source, list(info.parse_warnings))


def run(index: Index, source: str, rules: Iterable[str] | None = None) -> AuditReport:
    """Run the chosen checks (default: all) on one document. KeyError for an unknown document,
    ValueError for an unknown rule code."""
    doc = document_rows(index, source)
    chosen = None if rules is None else list(rules)
    findings = audit.run(doc, chosen)
    ran = [r for r in audit.RULES if chosen is None or r.code in chosen]
    return AuditReport(doc, findings, ran)


def export(index: Index, source: str | None, rules: Iterable[str] | None, fmt: str, folder: Path) -> Path:
    """The findings of one document (every document when `source` is empty) as XLSX or Markdown."""
    sources = [source] if source else [d.source for d in index.catalog.documents]
    chosen = None if rules is None else list(rules)
    reports = [run(index, s, chosen) for s in sources]
    findings = [f for r in reports for f in r.findings]
    if fmt == "md":
        path = ex.export_path(folder, "审计检查", "md")
        path.write_text(ex.findings_markdown(findings), encoding="utf-8")
        return path
    if fmt == "xlsx":
        sheets: list[tuple[str, Sequence[str], Sequence[Sequence[Any]]]] = [
            ("审计发现", ex.FINDING_COLUMNS, ex.finding_rows(findings)),
            ("指标覆盖", *coverage_table([r.doc for r in reports])),
        ]
        return ex.write_xlsx(ex.export_path(folder, "审计检查", "xlsx"), sheets)
    raise ValueError(f"export format {fmt!r}: expected xlsx or md")
